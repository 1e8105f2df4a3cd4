// fit_bench: Keras' model.fit, step by step — the lesson-7/9 MLP (784-128-10, relu, softmax,
// categorical cross-entropy, Adam, accuracy) on 12800 synthetic rows in batches of 32 and 128 —
// in milliseconds per step, the median epoch of epochs 2-6 (the first warms up), beside
// TensorFlow's Keras model.fit and a PyTorch training loop doing the same work, in the same run.
// The whole loop counts: batching, forward, loss, backward, optimizer, metrics, logging.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <sstream>
#include <vector>

#include "bench/peer.h"
#include "ember.h"

using namespace ember;

namespace {

constexpr std::int64_t kRows = 12800;

double ember_ms_per_step(const Device& device, std::int64_t batch) {
  DeviceScope scope(device);
  random::set_seed(1);
  const Tensor x = random::uniform({kRows, 784});
  const Tensor y = one_hot(cast(random::uniform({kRows}, {.maxval = 10, .dtype = int64}), int64), 10);
  keras::Sequential model({keras::Input({784}), layers::Dense(128, {.activation = "relu"}),
                           layers::Dense(10, {.activation = "softmax"})});
  model.compile({.optimizer = "adam", .loss = "categorical_crossentropy", .metrics = {"accuracy"}});
  std::vector<std::chrono::steady_clock::time_point> epoch_ends;
  auto timer = callbacks::LambdaCallback({.on_epoch_end = [&](int, keras::Logs&) {
    synchronize(device);
    epoch_ends.push_back(std::chrono::steady_clock::now());
  }});
  model.fit(x, y, {.batch_size = batch, .epochs = 6, .verbose = 0, .callbacks = {timer}});
  std::vector<double> epochs;
  for (std::size_t i = 1; i < epoch_ends.size(); ++i) {
    epochs.push_back(std::chrono::duration<double>(epoch_ends[i] - epoch_ends[i - 1]).count());
  }
  std::sort(epochs.begin(), epochs.end());
  return epochs[epochs.size() / 2] / static_cast<double>((kRows + batch - 1) / batch) * 1e3;
}

}  // namespace

int main() {
  const std::string torch_python = bench::python_with("torch", "EMBER_PYTHON");
  const std::string tf_python = bench::python_with("tensorflow", "EMBER_TF_PYTHON");
  std::printf("fit_bench: MLP 784-128-10 + Adam + accuracy, model.fit over %lld rows, ms per step\n",
              static_cast<long long>(kRows));
  std::vector<Device> devices = {Device::cpu()};
  if (cuda_available()) devices.push_back(Device::cuda(0));
  for (const Device& device : devices) {
    for (std::int64_t batch : {32, 128}) {
      const double ours = ember_ms_per_step(device, batch);
      std::ostringstream args_text;  // (operator+ on strings here trips a GCC 12 -Wrestrict false positive)
      if (device.is_cpu()) args_text << "cpu " << config::cpu_threads() << " " << batch;
      else args_text << "cuda 0 " << batch;
      const std::string args = args_text.str();
      std::printf("  %-8s batch %3lld  ember %7.3f ms", device.str().c_str(), static_cast<long long>(batch), ours);
      const auto report = [&](const std::string& python, const char* script, const char* label) {
        if (python.empty()) {
          std::printf("   (%s not available)", label);
          return;
        }
        const auto peer = bench::run_peer(python, std::string(EMBER_BENCH_DIR) + "/" + script, args);
        const auto it = peer.find("ms_per_step");
        if (it == peer.end()) std::printf("   (%s failed)", label);
        else std::printf("   %s %7.3f ms (ember %.2fx faster)", label, it->second, it->second / ours);
      };
      report(tf_python, "tf_fit.py", "Keras/TF");
      report(torch_python, "torch_fit.py", "PyTorch");
      std::printf("\n");
    }
  }
  return 0;
}
