// Lesson 2: constants, types, conversion to host arrays, indexing, gather, reshape, transpose.
// Each block mirrors the lesson's Python; the comment above it is the TensorFlow line.
// (The lesson's tf.Variable snippets run in samples/lesson04_gradients with the autodiff issue.)
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

  // print(v2.shape)
  const Tensor v2 = constant({1.f, 2.f, 3.f, 4.f});
  std::cout << "\nv2.shape = " << v2.shape() << "\n";
  // print(v2[1:3])     val0 = v2[0]
  std::cout << "v2[1:3] = " << v2.slice(1, 3) << "\n";
  std::cout << "v2[0] = " << v2[0] << "\n";

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

  // b = tf.reshape(a, [5, 6])   b2 = tf.reshape(a, [5, -1])   b_T = tf.transpose(b, perm=[1, 0])
  const Tensor r = reshape(range(30), {5, 6});
  std::cout << "\nreshape(range(30), [5, 6]) = " << r << "\n";
  std::cout << "reshape(range(30), [5, -1]).shape = " << reshape(range(30), {5, -1}).shape() << "\n";
  std::cout << "transpose(b, [1, 0]) = " << transpose(r, std::vector<std::int64_t>{1, 0}) << "\n";
  try {
    (void)reshape(range(30), {4, 7});
  } catch (const Error& e) {
    std::cout << "reshape to (4, 7) -> ember::Error: " << e.what() << "\n";
  }
  return 0;
}
