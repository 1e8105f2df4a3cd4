// Lesson 8: graph functions (tf.function). The lesson's training step — a GradientTape, the
// cross-entropy, Adam — wrapped in ember::function and trained on Fashion-MNIST (the MNIST
// format); then the lesson's function_tf, timed plain and as a graph, once and in a loop.
//
//   @tf.function
//   def train_batch(x_batch, y_batch): ...
//
//   lesson08_function [--epochs N] [--size N]
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
    if (!w) {  // on the first call (inside the trace: variables are made once, as in TensorFlow)
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

Tensor cross_entropy(const Tensor& y_true, const Tensor& y_pred) {
  return reduce_mean(losses::categorical_crossentropy(y_true, y_pred));
}

// The lesson's function_tf: the print shows when C++ code runs.
Tensor function_tf(const Tensor& x, const Tensor& y) {
  Tensor s = zeros_like(x);
  s = s + matmul(x, y);
  for (int n = 0; n < 10; ++n) s = s + matmul(s, y) * x;
  std::cout << "  (function_tf's C++ code runs)\n";  // print(s): once per trace in a graph function
  return s;
}

template <class F>
double seconds_of(F&& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int main(int argc, char** argv) {
  int epochs = 2;
  std::int64_t size = 1000;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--epochs") == 0)
      epochs = std::atoi(argv[++i]);
    else if (std::strcmp(argv[i], "--size") == 0)
      size = std::atoll(argv[++i]);
  }
  std::cout << "device: " << default_device() << "\n";
  random::set_seed(1);

  auto [train, test] = io::datasets::fashion_mnist::load_data();
  const Tensor x_train =
      reshape(utils::rescale(train.first, 1.0 / 255), {-1, 28 * 28}).to(default_device());
  const Tensor y_train = utils::to_categorical(train.second, 10).to(default_device());
  const Tensor x_test =
      reshape(utils::rescale(test.first, 1.0 / 255), {-1, 28 * 28}).to(default_device());

  SequenceModule model;
  optim::Adam opt(_learning_rate = 0.001);
  const auto train_dataset =
      Dataset::from_tensor_slices({x_train, y_train}).shuffle(1024).batch(32);

  auto train_batch = function(
      [&](const Tensor& x_batch, const Tensor& y_batch) {
        GradientTape tape;
        const Tensor f_loss = cross_entropy(y_batch, model(x_batch));
        const auto vars = model.trainable_variables();
        opt.apply_gradients(tape.gradient(f_loss, vars), vars);
        return f_loss;
      },
      _name = "train_batch");

  for (int n = 0; n < epochs; ++n) {
    Tensor loss = zeros({});
    std::int64_t batches = 0;
    const double seconds = seconds_of([&] {
      for (const auto& batch : train_dataset) {
        loss = loss + train_batch(batch[0], batch[1]);
        ++batches;
      }
      (void)loss.item<float>();
    });
    std::cout << "epoch " << n + 1 << ": loss " << loss.item<float>() / batches << " (" << seconds
              << " s)\n";
  }
  // One trace per batch shape: a shorter last batch would be a second signature, a second trace.
  std::cout << "train_batch traces: " << train_batch.tracing_count() << "; the graph keeps "
            << train_batch.last_trace().kept << " of " << train_batch.last_trace().recorded
            << " recorded ops\n";

  const Tensor y2 = argmax(model(x_test), 1);
  const Tensor correct = equal(cast(y2, int64), cast(test.second.to(default_device()), int64));
  std::cout << "test accuracy: " << reduce_mean(cast(correct, float32)).item<float>() * 100
            << " %\n\n";

  // function_tf, plain and traced, on size x size matrices.
  const Tensor x = ones({size, size});
  const Tensor y = zeros_like(x);
  auto function_tf_graph = function(function_tf, _name = "function_tf");
  std::cout << "function_tf on " << size << "x" << size << ":\n";
  const double plain_once = seconds_of([&] {
    (void)function_tf(x, y).index({0, 0}).item<float>();
  });
  const double graph_once = seconds_of([&] {
    (void)function_tf_graph(x, y).index({0, 0}).item<float>();
  });
  std::cout << "  once:      plain " << plain_once << " s, graph " << graph_once
            << " s (includes tracing)\n";
  double plain_loop = 0, graph_loop = 0;
  plain_loop = seconds_of([&] {
    for (int n = 0; n < 10; ++n) (void)function_tf(x, y).index({0, 0}).item<float>();
  });
  graph_loop = seconds_of([&] {
    for (int n = 0; n < 10; ++n) (void)function_tf_graph(x, y).index({0, 0}).item<float>();
  });
  std::cout << "  10 calls:  plain " << plain_loop << " s, graph " << graph_loop
            << " s (the print ran "
            << "only while tracing)\n";
  return 0;
}
