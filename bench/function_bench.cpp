// function_bench: lesson 8's training step — a GradientTape, categorical cross-entropy, Adam on the
// 784-128-10 network — run eagerly and as an ember::function, in milliseconds per step (the
// median of 5 timed rounds of 200 steps after a warm-up round), beside TensorFlow running the
// lesson's own code eagerly and under @tf.function, and a PyTorch loop, in the same run.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <sstream>
#include <vector>

#include "bench/machine.h"
#include "bench/peer.h"
#include "ember.h"

using namespace ember;

namespace {

struct Step {
  keras::Handle<keras::Sequential> model;
  optim::Adam opt{_learning_rate = 0.001};

  Step() {
    random::set_seed(1);
    model = keras::make<keras::Sequential>(std::vector<keras::SequentialItem>{
        keras::Input({784}), layers::Dense(128, _activation = "relu"),
        layers::Dense(10, _activation = "softmax")});
  }
  Tensor operator()(const Tensor& x, const Tensor& y) {
    GradientTape tape;
    const Tensor loss = reduce_mean(losses::categorical_crossentropy(y, (*model)(x, true)));
    const auto vars = model->trainable_variables();
    opt.apply_gradients(tape.gradient(loss, vars), vars);
    return loss;
  }
};

/// Median ms per step over rounds of `steps` calls (one warm-up round first).
template <class F>
double ms_per_step(F&& step, const std::vector<Tensor>& xs, const std::vector<Tensor>& ys,
                   const Device& device) {
  constexpr int kSteps = 200, kRounds = 5;
  std::vector<double> rounds;
  for (int round = 0; round <= kRounds; ++round) {
    const auto start = std::chrono::steady_clock::now();
    Tensor total = zeros({});
    for (int i = 0; i < kSteps; ++i) total = total + step(xs[i % xs.size()], ys[i % ys.size()]);
    (void)total.item<float>();
    synchronize(device);
    if (round > 0)
      rounds.push_back(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(rounds.begin(), rounds.end());
  return rounds[rounds.size() / 2] / kSteps * 1e3;
}

}  // namespace

int main() {
  bench::print_machine();
  const std::string torch_python = bench::python_with("torch", "EMBER_PYTHON");
  const std::string tf_python = bench::python_with("tensorflow", "EMBER_TF_PYTHON");
  std::printf("function_bench: lesson 8's training step (784-128-10, Adam), ms per step\n");
  std::vector<Device> devices = {Device::cpu()};
  if (cuda_available()) devices.push_back(Device::cuda(0));
  for (const Device& device : devices) {
    for (std::int64_t batch : {32, 128}) {
      const DeviceScope scope(device);
      random::Generator data(2);
      std::vector<Tensor> xs, ys;
      for (int i = 0; i < 50; ++i) {
        xs.push_back(data.uniform({batch, 784}));
        ys.push_back(one_hot(data.uniform({batch}, _maxval = 10, _dtype = int32), 10));
      }
      Step eager, traced;
      auto traced_step = function([&](const Tensor& x, const Tensor& y) { return traced(x, y); });
      const double eager_ms = ms_per_step(eager, xs, ys, device);
      const double function_ms = ms_per_step(traced_step, xs, ys, device);
      std::printf("  %-8s batch %3lld  ember eager %7.3f ms  ember function %7.3f ms",
                  device.str().c_str(), static_cast<long long>(batch), eager_ms, function_ms);
      std::ostringstream args;
      if (device.is_cpu())
        args << "cpu " << config::cpu_threads();
      else
        args << "cuda 0";
      args << " " << batch;
      if (tf_python.empty()) {
        std::printf("   (TensorFlow not available)");
      } else {
        const auto tf = bench::run_peer(tf_python, std::string(EMBER_BENCH_DIR) + "/tf_function.py",
                                        args.str());
        if (tf.count("eager_ms") && tf.count("function_ms")) {
          std::printf("   TF eager %7.3f ms  @tf.function %7.3f ms (ember function %.2fx)",
                      tf.at("eager_ms"), tf.at("function_ms"), tf.at("function_ms") / function_ms);
        } else {
          std::printf("   (TensorFlow failed)");
        }
      }
      if (torch_python.empty()) {
        std::printf("   (PyTorch not available)");
      } else {
        const auto torch =
            bench::run_peer(torch_python, std::string(EMBER_BENCH_DIR) + "/torch_fit.py",
                            args.str() + " mlp 12800");
        if (torch.count("ms_per_step"))
          std::printf("   PyTorch loop %7.3f ms", torch.at("ms_per_step"));
        else
          std::printf("   (PyTorch failed)");
      }
      std::printf("\n");
      std::fflush(stdout);
    }
  }
  return 0;
}
