// Lesson 3: filled tensors, random tensors, arithmetic, products and reductions.
#include <iostream>

#include "ember.h"

using namespace ember;

int main() {
  std::cout << "device: " << default_device() << "\n\n";

  // tf.eye, tf.identity, tf.ones, tf.ones_like, tf.zeros, tf.zeros_like, tf.fill, tf.range
  std::cout << "eye(3) = " << eye(3) << "\n";
  std::cout << "eye(2, 3) = " << eye(2, 3) << "\n";
  const Tensor v = constant({{1.f, 2.f}, {3.f, 4.f}});
  std::cout << "identity(v) = " << identity(v) << "\n";
  std::cout << "ones({2, 3}) = " << ones({2, 3}) << "\n";
  std::cout << "ones_like(v) = " << ones_like(v) << "\n";
  std::cout << "zeros({2}) = " << zeros({2}) << "\n";
  std::cout << "zeros_like(v) = " << zeros_like(v) << "\n";
  std::cout << "fill({2, 3}, 9) = " << fill({2, 3}, 9) << "\n";
  std::cout << "range(5) = " << range(5) << "\n\n";

  // tf.random.set_seed(5); normal, truncated_normal, uniform, shuffle
  random::set_seed(5);
  std::cout << "random::normal({2, 3}) = " << random::normal({2, 3}) << "\n";
  std::cout << "random::truncated_normal({2, 3}) = " << random::truncated_normal({2, 3}) << "\n";
  std::cout << "random::uniform({2, 3}, {0, 10}) = "
            << random::uniform({2, 3}, _minval = 0, _maxval = 10) << "\n";
  std::cout << "random::shuffle(range(10)) = " << random::shuffle(range(10)) << "\n\n";

  // a + b, a - b, a / b, a // b, a * b, a ** 2
  const Tensor a = constant({1, 2, 3}), b = constant({9, 8, 7});
  std::cout << "add(a, b) = " << add(a, b) << "   a + b = " << a + b << "\n";
  std::cout << "subtract(a, b) = " << subtract(a, b) << "   a - b = " << a - b << "\n";
  std::cout << "divide(a, b) = " << divide(a, b) << "\n";
  std::cout << "a / b = " << a / b << "\n";
  std::cout << "floordiv(b, a) = " << floordiv(b, a) << "\n";
  std::cout << "multiply(a, b) = " << multiply(a, b) << "   a * b = " << a * b << "\n";
  std::cout << "pow(a, 2) = " << pow(a, 2) << "\n\n";

  // tf.tensordot(a, b, axes=0) (outer), axes=1 (inner), tf.matmul(a, b), a @ b
  std::cout << "tensordot(a, b, 0) = " << tensordot(a, b, 0) << "\n";
  std::cout << "tensordot(a, b, 1) = " << tensordot(a, b, 1) << "\n";
  const Tensor m = reshape(range(1, 10), {3, 3});
  std::cout << "matmul(m, m) = " << matmul(m, m) << "\n";
  std::cout << "m.matmul(m) = " << m.matmul(m) << "\n\n";

  // tf.reduce_sum(m), axis=0, axis=[0, 1]; mean, max, min, prod; sqrt needs a float cast
  std::cout << "reduce_sum(m) = " << reduce_sum(m) << "\n";
  std::cout << "reduce_sum(m, 0) = " << reduce_sum(m, 0) << "\n";
  std::cout << "reduce_sum(m, {0, 1}) = " << reduce_sum(m, {0, 1}) << "\n";
  std::cout << "reduce_mean(m) = " << reduce_mean(m) << "\n";
  std::cout << "reduce_max(m) = " << reduce_max(m) << "   reduce_min(m) = " << reduce_min(m)
            << "\n";
  std::cout << "reduce_prod(m) = " << reduce_prod(m) << "\n";
  try {
    (void)sqrt(a);
  } catch (const Error& e) {
    std::cout << "sqrt(int32) -> ember::Error: " << e.what() << "\n";
  }
  std::cout << "sqrt(cast(a, float32)) = " << sqrt(cast(a, float32)) << "\n";
  std::cout << "square(a) = " << square(a) << "\n";
  std::cout << "sin(cast(a, float32)) = " << sin(cast(a, float32)) << "\n\n";

  // tf.keras.activations.relu(a)
  const Tensor z = constant({-2.f, -0.5f, 0.f, 0.5f, 2.f});
  std::cout << "relu(z) = " << relu(z) << "\n";
  std::cout << "sigmoid(z) = " << sigmoid(z) << "\n";
  std::cout << "tanh(z) = " << tanh(z) << "\n";
  std::cout << "softmax(z) = " << softmax(z) << "\n";
  // tf.keras.losses.categorical_crossentropy(y_true, y_pred), and its formula in ops.
  const Tensor y_true = constant({0.f, 1.f, 0.f}), y_pred = constant({0.05f, 0.9f, 0.05f});
  std::cout << "losses::categorical_crossentropy = "
            << losses::categorical_crossentropy(y_true, y_pred) << "\n";
  std::cout << "-reduce_sum(y_true * log(y_pred)) = " << -reduce_sum(y_true * log(y_pred)) << "\n";
  return 0;
}
