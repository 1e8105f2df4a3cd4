// Lesson 2: constants, types, conversion to host arrays, variables, indexing, gather, reshape,
// transpose. Each block mirrors the lesson's Python; the comment above it is the TensorFlow line.
#include <iostream>

#include "ember.h"

using namespace ember;

int main() {
  std::cout << "device: " << default_device() << "\n\n";

  // a = tf.constant(1, shape=(1,1))     b = tf.constant([1,2,3,4])
  const Tensor a = constant(1, Shape{1, 1});
  const Tensor b = constant({1, 2, 3, 4});
  std::cout << "a = " << a << "\nb = " << b << "\n";

  // Mixed types and ragged lists are errors.
  try {
    (void)constant({{1, 2}, {3}});
  } catch (const Error& e) {
    std::cout << "ragged list -> ember::Error: " << e.what() << "\n";
  }
  try {
    (void)(b + constant({1.f, 2.f, 3.f, 4.f}));
  } catch (const Error& e) {
    std::cout << "int32 + float32 -> ember::Error: " << e.what() << "\n";
  }

  // a2 = tf.cast(a, dtype=tf.float32)
  const Tensor a2 = cast(a, float32);
  std::cout << "\na2 = " << a2 << "\n";

  // n2 = a.numpy()
  const std::vector<std::int32_t> n2 = b.to_vector<std::int32_t>();
  std::cout << "b.to_vector() = [";
  for (std::size_t i = 0; i < n2.size(); ++i) std::cout << (i ? ", " : "") << n2[i];
  std::cout << "]\n";

  // v1 = tf.Variable(-4)   v2 = tf.Variable([1,2,3,4], dtype=tf.float32)   v3 = tf.Variable(a)
  Variable v1(-4);
  Variable v2({1, 2, 3, 4}, _dtype = float32);
  Variable v3(a);
  std::cout << "\nv1 = " << v1 << "\nv2 = " << v2 << "\nv3 = " << v3 << "\n";

  // v1.assign(5)  v2.assign([5,6,7,8])  v1.assign_add(1)  v1.assign_sub(1)
  v1.assign(5);
  v2.assign({5, 6, 7, 8});
  v1.assign_add(1);
  v1.assign_sub(1);
  std::cout << "after assigns: v1 = " << v1.item<std::int32_t>() << ", v2 = " << v2.value() << "\n";
  try {
    v1.assign_add(constant({1, 1, 1, 1}));  // shapes must match
  } catch (const Error& e) {
    std::cout << "v1.assign_add([1,1,1,1]) -> ember::Error: " << e.what() << "\n";
  }

  // v4 = tf.Variable(v1)   (a clone; `Variable same = v1` would be the same variable, as in Python)
  Variable v4 = v1.clone();
  v4.assign(100);
  std::cout << "v4 = v1.clone(); v4.assign(100): v1 = " << v1.item<std::int32_t>()
            << ", v4 = " << v4.item<std::int32_t>() << "\n";

  // print(v2.shape)   print(v2[1:3])
  std::cout << "\nv2.shape = " << v2.shape() << "\n";
  std::cout << "v2[1:3] = " << v2.slice(1, 3) << "\n";
  // val0 = v2[0]; val0.assign(10): writes into v2, while val0 keeps the value it was read with
  VariableSlice val0 = v2[0];
  val0.assign(10.f);
  std::cout << "after v2[0].assign(10): v2 = " << v2.value() << "\n";
  std::cout << "val0 = " << val0 << "\n";

  // x = tf.constant(range(10)) + 5      x2 = tf.gather(x, [0, 4])
  const Tensor x = range(10) + 5;
  std::cout << "\nx = " << x << "\n";
  std::cout << "gather(x, [0, 4]) = " << gather(x, {0, 4}) << "\n";

  // m[1, 2], m[1][2], m[:, 1]
  const Tensor m = reshape(range(12), {3, 4});
  std::cout << "\nm = " << m << "\n";
  std::cout << "m[1, 2] = " << m.index(1, 2) << "\n";
  std::cout << "m[1][2] = " << m[1][2] << "\n";
  std::cout << "m[:, 1] = " << m.index(all, 1) << "\n";
  // The same on a Variable: vm[(1, 2)], vm[1][2], vm[:, 1].
  const Variable vm(m);
  std::cout << "vm[1, 2] = " << vm.index(1, 2) << ", vm[1][2] = " << vm[1][2]
            << ", vm[:, 1] = " << vm.index(all, 1) << "\n";

  // b = tf.reshape(a, [5, 6])   b2 = tf.reshape(a, [5, -1])   b_T = tf.transpose(b, perm=[1, 0])
  const Tensor r = reshape(range(30), {5, 6});
  std::cout << "\nreshape(range(30), [5, 6]) = " << r << "\n";
  std::cout << "reshape(range(30), [5, -1]).shape = " << reshape(range(30), {5, -1}).shape()
            << "\n";
  std::cout << "transpose(b, [1, 0]) = " << transpose(r, std::vector<std::int64_t>{1, 0}) << "\n";
  try {
    (void)reshape(range(30), {4, 7});
  } catch (const Error& e) {
    std::cout << "reshape to (4, 7) -> ember::Error: " << e.what() << "\n";
  }
  return 0;
}
