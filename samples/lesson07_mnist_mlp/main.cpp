// Lesson 7: a 784-128-10 network written with Modules, trained by a GradientTape loop with Adam
// (1e-3), batches of 32 from Dataset::from_tensor_slices({x, y}).shuffle(1024).batch(32), on
// Fashion-MNIST (the MNIST format; MNIST itself with --mnist when EMBER_DATA has it). Prints the
// loss of every epoch, the test accuracy and the time.
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
    if (!w) {
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

struct SequenceModule : Module {
  DenseNN layer_1{128}, layer_2{10, "softmax"};
  SequenceModule() {
    track(layer_1);
    track(layer_2);
  }
  Tensor operator()(const Tensor& x) { return layer_2(layer_1(x)); }
};

// Keras' categorical cross-entropy on probabilities: clipped to [1e-7, 1 - 1e-7], averaged.
Tensor cross_entropy(const Tensor& y_true, const Tensor& y_pred) {
  const Tensor p = clip_by_value(y_pred, 1e-7, 1.0 - 1e-7);
  return reduce_mean(-reduce_sum(y_true * log(p), -1));
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

  auto [train, test] =
      mnist ? io::datasets::mnist::load_data() : io::datasets::fashion_mnist::load_data();
  auto [x_train_raw, y_train_raw] = train;
  auto [x_test_raw, y_test] = test;
  // x / 255, flattened to 784 features; labels one-hot.
  const Tensor x_train =
      reshape(utils::rescale(x_train_raw, 1.0 / 255), {-1, 28 * 28}).to(default_device());
  const Tensor x_test =
      reshape(utils::rescale(x_test_raw, 1.0 / 255), {-1, 28 * 28}).to(default_device());
  const Tensor y_train = utils::to_categorical(y_train_raw, 10).to(default_device());

  SequenceModule model;
  optim::Adam opt(_learning_rate = 0.001);
  const auto train_dataset =
      Dataset::from_tensor_slices({x_train, y_train}).shuffle(1024).batch(32);

  const auto start = std::chrono::steady_clock::now();
  for (int n = 0; n < epochs; ++n) {
    Tensor loss = zeros({});
    std::int64_t batches = 0;
    for (const auto& batch : train_dataset) {
      GradientTape tape;
      const Tensor f_loss = cross_entropy(batch[1], model(batch[0]));
      loss = loss + f_loss;  // summed on the device: no host synchronisation per step
      ++batches;
      const auto vars = model.trainable_variables();
      opt.apply_gradients(tape.gradient(f_loss, vars), vars);
    }
    std::cout << "epoch " << n + 1 << ": loss " << loss.item<float>() / batches << "\n";
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const Tensor y = model(x_test);
  const Tensor predicted = cast(argmax(y, 1), int64);
  const Tensor correct = equal(predicted, cast(y_test.to(default_device()), int64));
  const double accuracy = reduce_mean(cast(correct, float32)).item<float>() * 100;
  std::cout << "test accuracy: " << accuracy << " %\n";
  std::cout << "training time: " << seconds << " s for " << epochs << " epochs\n";
  return 0;
}
