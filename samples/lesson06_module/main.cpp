// Lesson 6: a dense layer written by hand as a Module learns to add two numbers.
// The weights are made on the first call, when the input width is known (the lesson's fl_init).
#include <iostream>
#include <optional>

#include "ember.h"

using namespace ember;

struct DenseNN : Module {
  std::int64_t outputs;
  std::optional<Variable> w, b;

  explicit DenseNN(std::int64_t outputs) : outputs(outputs) {}

  Tensor operator()(const Tensor& x) {
    if (!w) {
      w = track(
          Variable(random::truncated_normal({x.shape(-1), outputs}, _stddev = 0.1), _name = "w"));
      b = track(Variable(zeros({outputs}), _name = "b"));
    }
    return matmul(x, *w) + *b;
  }
};

int main() {
  std::cout << "device: " << default_device() << "\n";
  random::set_seed(1);
  DenseNN model(1);

  // x_train: 100 pairs of numbers in [0, 10); y_train: their sums.
  const Tensor x_train = random::uniform({100, 2}, _minval = 0, _maxval = 10);
  const Tensor y_train = reduce_sum(x_train, 1, /*keepdims=*/true);

  auto loss = [](const Tensor& y, const Tensor& f) { return reduce_mean(square(y - f)); };
  optim::Adam opt(_learning_rate = 0.01);

  const int epochs = 50;
  for (int n = 0; n < epochs; ++n) {
    Tensor f_loss;
    for (std::int64_t i = 0; i < x_train.shape(0); ++i) {
      const Tensor x = expand_dims(x_train[i], 0);         // one example: (1, 2)
      const Tensor y = constant(y_train[i], Shape{1, 1});  // tf.constant(y, shape=(1, 1))
      GradientTape tape;
      f_loss = loss(y, model(x));
      opt.apply_gradients(tape.gradient(f_loss, model.trainable_variables()),
                          model.trainable_variables());
    }
    if (n % 10 == 9) std::cout << "epoch " << n + 1 << ": loss " << f_loss.item<float>() << "\n";
  }
  for (const Variable& v : model.trainable_variables())
    std::cout << v << "\n";  // w ~ [[1], [1]], b ~ 0
  std::cout << "model([1, 2]) = " << model(constant({{1.0f, 2.0f}})) << "\n";  // ~3
  return 0;
}
