// Lesson 9: a custom Keras layer (build + call + add_weight), a network made of such layers,
// a model subclass, and the layer that adds a regularization loss and a metric.
// (compile/fit/evaluate on such a model: samples/lesson09_fit.)
#include <iostream>

#include "ember.h"

using namespace ember;

// build() runs once, on the first call, with the input shape.
struct DenseLayer : keras::Layer {
  std::int64_t units;
  Variable w, b;
  explicit DenseLayer(std::int64_t units) : units(units) {}
  void build(const Shape& input_shape) override {
    w = add_weight("w", {input_shape[-1], units}, "random_normal");
    b = add_weight("b", {units}, "zeros");
  }
  Tensor call(const Tensor& inputs) override { return matmul(inputs, w) + b; }
};

// A layer of layers, members as the lesson's self.layer_1: a layer called inside another's call
// becomes its sublayer (its weights are the outer layer's too), as Keras tracks attributes...
struct NeuralNetworkLayer : keras::Layer {
  DenseLayer layer_1{128};
  DenseLayer layer_2{10};
  Tensor call(const Tensor& inputs) override {
    Tensor y = relu(layer_1(inputs));
    return softmax(layer_2(y));
  }
};

// ...and the same as a Model (which adds compile, fit, evaluate, predict and summary).
struct NeuralNetwork : keras::Model {
  DenseLayer layer_1{128};
  DenseLayer layer_2{10};
  Tensor call(const Tensor& inputs) override { return softmax(layer_2(relu(layer_1(inputs)))); }
};

// A layer that adds a regularization term to the loss and reports it as a metric.
struct RegularizedDense : keras::Layer {
  std::int64_t units;
  Variable w, b;
  explicit RegularizedDense(std::int64_t units) : units(units) {}
  void build(const Shape& input_shape) override {
    w = add_weight("w", {input_shape[-1], units}, "random_normal");
    b = add_weight("b", {units}, "zeros");
  }
  Tensor call(const Tensor& inputs) override {
    const Tensor regular = reduce_mean(square(w));
    add_loss(regular);
    add_metric(regular, "mean square error");
    return matmul(inputs, w) + b;
  }
};

int main() {
  std::cout << "device: " << default_device() << "\n\n";
  random::set_seed(1);

  DenseLayer layer_1(10);
  const Tensor y = layer_1(constant({{1.0f, 2.0f, 3.0f}}));  // a batch of one
  std::cout << "layer_1(x) = " << y << "\n";
  std::cout << "weights: " << layer_1.weights().size()
            << ", trainable: " << layer_1.trainable_weights().size()
            << ", non-trainable: " << layer_1.non_trainable_weights().size() << "\n\n";

  NeuralNetworkLayer network;
  std::cout << "NeuralNetwork layer: " << network(constant({{1.0f, 2.0f, 3.0f}})).shape()
            << ", trainable variables: " << network.trainable_variables().size() << "\n";

  NeuralNetwork model;
  const Tensor p = model(constant({{1.0f, 2.0f, 3.0f}}));
  std::cout << "NeuralNetwork model: rows sum to " << reduce_sum(p).item<float>() << "\n";
  model.summary();

  RegularizedDense regularized(4);
  (void)regularized(ones({2, 3}));
  std::cout << "\nadd_loss: " << regularized.losses().size() << " loss, value "
            << regularized.losses()[0].item<float>() << "\nadd_metric: '"
            << regularized.metrics_values()[0].first
            << "' = " << regularized.metrics_values()[0].second.item<float>() << "\n";
  return 0;
}
