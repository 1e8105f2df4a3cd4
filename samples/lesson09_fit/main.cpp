// Lesson 9: the lesson's NeuralNetwork as a keras::Model — custom DenseLayer layers, one of which
// adds a regularization term to the loss (add_loss) and reports it (add_metric) — trained with
// compile / fit / evaluate on Fashion-MNIST, as
//
//   model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
//   model.fit(x_train, y_train, batch_size=32, epochs=5)
//   acc = model.evaluate(x_test, y_test)
//
//   lesson09_fit [--epochs N] [--verbose 0|1|2]
#include <cstring>
#include <iostream>

#include "ember.h"

using namespace ember;

// The lesson's layer: weights made in build(), a regularization loss and a metric in call().
struct DenseLayer : keras::Layer {
  std::int64_t units;
  Variable w, b;
  explicit DenseLayer(std::int64_t units) : units(units) {}
  void build(const Shape& input_shape) override {
    w = add_weight("w", {input_shape[-1], units}, "random_normal");
    b = add_weight("b", {units}, "zeros");
  }
  Tensor call(const Tensor& inputs) override {
    const Tensor regular = 0.01 * reduce_mean(square(w));
    add_loss(regular);                         // the model minimises cross-entropy + regular
    add_metric(regular, "mean square error");  // and logs it
    return matmul(inputs, w) + b;
  }
};

// Its layers are members, as the lesson's self.layer_1: calling them in call() tracks them.
struct NeuralNetwork : keras::Model {
  DenseLayer layer_1{128};
  DenseLayer layer_2{10};
  Tensor call(const Tensor& inputs) override {
    Tensor y = layer_1(inputs);
    y = relu(y);
    y = layer_2(y);
    return softmax(y);
  }
};

int main(int argc, char** argv) {
  int epochs = 5, verbose = 1;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--epochs") == 0)
      epochs = std::atoi(argv[++i]);
    else if (std::strcmp(argv[i], "--verbose") == 0)
      verbose = std::atoi(argv[++i]);
  }
  std::cout << "device: " << default_device() << "\n";
  random::set_seed(1);

  auto [train, test] = io::datasets::fashion_mnist::load_data();
  auto [x_train_raw, y_train_raw] = train;
  auto [x_test_raw, y_test_raw] = test;
  const Tensor x_train = reshape(utils::rescale(x_train_raw, 1.0 / 255), {-1, 28 * 28});
  const Tensor x_test = reshape(utils::rescale(x_test_raw, 1.0 / 255), {-1, 28 * 28});
  const Tensor y_train = utils::to_categorical(y_train_raw, 10);
  const Tensor y_test = utils::to_categorical(y_test_raw, 10);

  NeuralNetwork model;
  model.compile(_optimizer = "adam", _loss = "categorical_crossentropy", _metrics = {"accuracy"});
  const keras::History history =
      model.fit(x_train, y_train, _batch_size = 32, _epochs = epochs, _verbose = verbose);

  const keras::Logs result = model.evaluate(x_test, y_test, _verbose = verbose);
  std::cout << "test loss " << result["loss"] << ", test accuracy " << result["accuracy"] * 100
            << " %\n";
  std::cout << "history:";
  for (const auto& [key, values] : history.history)
    std::cout << " " << key << "[" << values.size() << "]";
  std::cout << "\n";
  return 0;
}
