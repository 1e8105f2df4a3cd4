// Lesson 7: handwritten digits with a 784-128-10 network of Modules, trained by a GradientTape
// loop with Adam (1e-3) on batches of 32 from Dataset::from_tensor_slices({x, y}).shuffle(1024)
// .batch(32). The lesson's two programs, one after the other:
//   1. two DenseNN layers and a model_predict function; the gradients of both layers' variables
//      at once, applied with opt.apply_gradients(zip(grads[0], layer_1.trainable_variables()));
//   2. the same network as a SequenceModule, whose submodules() it prints, trained through
//      model.trainable_variables().
// Each prints the summed loss of every epoch and the test accuracy, counted as the lesson counts
// it: len(y_test[y_test == y2]) / y_test.shape[0] * 100. On Fashion-MNIST (the MNIST format,
// installed by scripts/setup-deps); MNIST itself with --mnist when EMBER_DATA has it.
//
//   lesson07_mnist_mlp [--epochs N] [--mnist]
#include <chrono>
#include <cstring>
#include <iostream>
#include <optional>

#include "ember.h"

using namespace ember;

struct DenseNN : Module {
  std::int64_t outputs;
  std::string activate;
  std::optional<Variable> w, b;

  DenseNN(std::int64_t outputs, std::string activate = "relu")
      : outputs(outputs), activate(std::move(activate)) {}

  Tensor operator()(const Tensor& x) {
    if (!w) {  // the lesson's fl_init: the weights are made on the first call
      w = track(
          Variable(random::truncated_normal({x.shape(-1), outputs}, _stddev = 0.1), _name = "w"));
      b = track(Variable(zeros({outputs}), _name = "b"));
    }
    const Tensor y = matmul(x, *w) + *b;
    if (activate == "relu") return relu(y);
    if (activate == "softmax") return softmax(y);
    return y;
  }
};

// A tf.Module lists its members itself in Python; C++ has no reflection, so a Module tracks them
// (keras::Layer tracks what it calls by itself: samples/lesson09_custom_layer).
struct SequenceModule : Module {
  DenseNN layer_1{128}, layer_2{10, "softmax"};
  SequenceModule() {
    track(layer_1);
    track(layer_2);
  }
  Tensor operator()(const Tensor& x) { return layer_2(layer_1(x)); }
};

// The lesson's cross_entropy lambda: Keras' categorical cross-entropy of probabilities, averaged.
Tensor cross_entropy(const Tensor& y_true, const Tensor& y_pred) {
  return reduce_mean(losses::categorical_crossentropy(y_true, y_pred));
}

struct Digits {
  Tensor x_train, y_train, x_test, y_test;
};

Digits load(bool mnist) {
  auto [train, test] =
      mnist ? io::datasets::mnist::load_data() : io::datasets::fashion_mnist::load_data();
  auto [x_train, y_train] = train;
  auto [x_test, y_test] = test;
  // x / 255, flattened to 784 features; the training labels one-hot.
  return {reshape(cast(x_train, float32) / 255.0f, {-1, 28 * 28}).to(default_device()),
          utils::to_categorical(y_train, 10).to(default_device()),
          reshape(cast(x_test, float32) / 255.0f, {-1, 28 * 28}).to(default_device()),
          y_test.to(default_device())};
}

// len(y_test[y_test == y2]) / y_test.shape[0] * 100: uint8 labels against int64 argmax.
double accuracy(const Tensor& y, const Tensor& y_test) {
  const Tensor y2 = argmax(y, 1);
  return static_cast<double>(y_test[y_test == y2].shape(0)) / y_test.shape(0) * 100;
}

void program_1(const Digits& data, int epochs) {
  std::cout << "--- program 1: two layers and model_predict ---\n";
  DenseNN layer_1(128);
  DenseNN layer_2(10, "softmax");
  const auto model_predict = [&](const Tensor& x) { return layer_2(layer_1(x)); };

  optim::Adam opt(_learning_rate = 0.001);
  const auto train_dataset =
      Dataset::from_tensor_slices({data.x_train, data.y_train}).shuffle(1024).batch(32);
  for (int n = 0; n < epochs; ++n) {
    Tensor loss = constant(0.0f);
    for (const auto& batch : train_dataset) {
      const Tensor &x_batch = batch[0], &y_batch = batch[1];
      GradientTape tape;
      const Tensor f_loss = cross_entropy(y_batch, model_predict(x_batch));
      loss += f_loss;  // summed on the device: no host synchronisation per step
      const auto grads =
          tape.gradient(f_loss, {layer_1.trainable_variables(), layer_2.trainable_variables()});
      opt.apply_gradients(zip(grads[0], layer_1.trainable_variables()));
      opt.apply_gradients(zip(grads[1], layer_2.trainable_variables()));
    }
    std::cout << loss.item<float>() << "\n";
  }
  std::cout << "accuracy: " << accuracy(model_predict(data.x_test), data.y_test) << " %\n";
}

void program_2(const Digits& data, int epochs) {
  std::cout << "--- program 2: a SequenceModule ---\n";
  SequenceModule model;
  std::cout << "submodules:";
  for (const Module* m : model.submodules()) std::cout << " " << m->name();
  std::cout << "\n";

  optim::Adam opt(_learning_rate = 0.001);
  const auto train_dataset =
      Dataset::from_tensor_slices({data.x_train, data.y_train}).shuffle(1024).batch(32);
  for (int n = 0; n < epochs; ++n) {
    Tensor loss = constant(0.0f);
    for (const auto& batch : train_dataset) {
      const Tensor &x_batch = batch[0], &y_batch = batch[1];
      GradientTape tape;
      const Tensor f_loss = cross_entropy(y_batch, model(x_batch));
      loss += f_loss;
      const auto grads = tape.gradient(f_loss, model.trainable_variables());
      opt.apply_gradients(zip(grads, model.trainable_variables()));
    }
    std::cout << loss.item<float>() << "\n";
  }
  std::cout << "accuracy: " << accuracy(model(data.x_test), data.y_test) << " %\n";
}

int main(int argc, char** argv) {
  int epochs = 5;
  bool mnist = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--epochs") == 0 && i + 1 < argc)
      epochs = std::atoi(argv[++i]);
    else if (std::strcmp(argv[i], "--mnist") == 0)
      mnist = true;
  }
  std::cout << "device: " << default_device() << ", CPU threads: " << config::cpu_threads() << "\n";
  random::set_seed(1);
  const Digits data = load(mnist);

  const auto start = std::chrono::steady_clock::now();
  program_1(data, epochs);
  program_2(data, epochs);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "training time: " << seconds << " s for 2 x " << epochs << " epochs\n";
  return 0;
}
