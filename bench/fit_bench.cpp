// fit_bench: Keras' model.fit, step by step, in milliseconds per step (the median epoch of epochs
// 2-6; the first warms up), beside TensorFlow's Keras model.fit and a PyTorch training loop doing
// the same work, in the same run. Two models on synthetic data:
//   - mlp: the lesson-7/9 network (784-128-10, relu, softmax, categorical cross-entropy, Adam,
//     accuracy), 12800 rows in batches of 32 and 128;
//   - resnet: lesson 13's toy ResNet on 32x32x3 images (sparse categorical cross-entropy, Adam,
//     accuracy), batches of 64 (640 images on the CPU, 12800 on a GPU).
// The whole loop counts: batching, forward, loss, backward, optimizer, metrics, logging. ember
// runs each case twice: with its compiled (traced and replayed) step, the default, and with
// run_eagerly = true, printed as "eager" with the ratio traced/eager.
//
//   fit_bench              every model, on the CPU and (when there is one) the GPU
//   fit_bench --busy-core  the CPU cases while another process spins on core 0, for ember and
//                          its peers alike: a shared machine (a laptop runs other programs)
//   fit_bench resnet       one model's cases only (mlp or resnet), e.g. under a profiler
//   fit_bench --policy mixed_bfloat16
//                          under a Keras dtype policy (the output layer stays float32, as Keras
//                          advises), beside Keras' own run under the same policy; PyTorch is
//                          left out then (its float32 figure would not compare)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <sstream>
#include <vector>

#include "bench/busy_core.h"
#include "bench/machine.h"
#include "bench/peer.h"
#include "ember.h"

using namespace ember;

namespace {

/// ms per step of the median epoch after the first, for `epochs` epochs of `steps` steps.
class EpochTimer {
 public:
  explicit EpochTimer(const Device& device)
      : callback_(callbacks::LambdaCallback({.on_epoch_end = [this, device](int, keras::Logs&) {
          synchronize(device);
          ends_.push_back(std::chrono::steady_clock::now());
        }})) {}
  callbacks::LambdaCallback& callback() { return callback_; }
  double ms_per_step(std::int64_t steps) const {
    std::vector<double> epochs;
    for (std::size_t i = 1; i < ends_.size(); ++i)
      epochs.push_back(std::chrono::duration<double>(ends_[i] - ends_[i - 1]).count());
    std::sort(epochs.begin(), epochs.end());
    return epochs[epochs.size() / 2] / static_cast<double>(steps) * 1e3;
  }

 private:
  std::vector<std::chrono::steady_clock::time_point> ends_;
  callbacks::LambdaCallback callback_;
};

double mlp_ms_per_step(const Device& device, std::int64_t rows, std::int64_t batch, bool eagerly) {
  DeviceScope scope(device);
  random::set_seed(1);
  const Tensor x = random::uniform({rows, 784});
  const Tensor y = one_hot(cast(random::uniform({rows}, _maxval = 10, _dtype = int64), int64), 10);
  keras::Sequential model({keras::Input({784}), layers::Dense(128, _activation = "relu"),
                           layers::Dense(10, _activation = "softmax", _dtype = "float32")});
  model.compile(_optimizer = "adam", _loss = "categorical_crossentropy", _metrics = {"accuracy"},
                _run_eagerly = eagerly);
  auto timer = std::make_shared<EpochTimer>(device);
  model.fit(x, y, _batch_size = batch, _epochs = 6, _verbose = 0, _callbacks = {timer->callback()});
  return timer->ms_per_step((rows + batch - 1) / batch);
}

double resnet_ms_per_step(const Device& device, std::int64_t rows, std::int64_t batch,
                          bool eagerly) {
  DeviceScope scope(device);
  random::set_seed(1);
  const Tensor x = random::uniform({rows, 32, 32, 3});
  const Tensor y = random::uniform({rows, 1}, _maxval = 10, _dtype = int64);
  auto inputs = keras::Input({32, 32, 3});
  auto h = layers::Conv2D(32, 3, _activation = "relu")(inputs);
  h = layers::Conv2D(64, 3, _activation = "relu")(h);
  auto block_1 = layers::MaxPooling2D(3)(h);
  h = layers::Conv2D(64, 3, _activation = "relu", _padding = "same")(block_1);
  h = layers::Conv2D(64, 3, _activation = "relu", _padding = "same")(h);
  auto block_2 = layers::add({h, block_1});
  h = layers::Conv2D(64, 3, _activation = "relu", _padding = "same")(block_2);
  h = layers::Conv2D(64, 3, _activation = "relu", _padding = "same")(h);
  auto block_3 = layers::add({h, block_2});
  h = layers::Conv2D(64, 3, _activation = "relu")(block_3);
  h = layers::GlobalAveragePooling2D()(h);
  h = layers::Dense(256, _activation = "relu")(h);
  h = layers::Dropout(0.5)(h);
  keras::Model model(inputs, layers::Dense(10, _activation = "softmax", _dtype = "float32")(h));
  model.compile(_optimizer = "adam", _loss = "sparse_categorical_crossentropy",
                _metrics = {"accuracy"}, _run_eagerly = eagerly);
  auto timer = std::make_shared<EpochTimer>(device);
  model.fit(x, y, _batch_size = batch, _epochs = 6, _verbose = 0, _callbacks = {timer->callback()});
  return timer->ms_per_step((rows + batch - 1) / batch);
}

}  // namespace

int main(int argc, char** argv) {
  bool busy_core = false;
  std::string only;  // a model name: run its cases alone (for a profiler)
  std::string policy = "float32";
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--busy-core")
      busy_core = true;
    else if (std::string(argv[i]) == "--policy" && i + 1 < argc)
      policy = argv[++i];
    else
      only = argv[i];
  }
  keras::mixed_precision::set_global_policy(policy);
  bench::print_machine();
  std::optional<bench::BusyCore> competitor;
  if (busy_core) {
    competitor.emplace(0);
    std::printf("another process spins on core 0 throughout (--busy-core)\n");
  }
  const std::string torch_python = bench::python_with("torch", "EMBER_PYTHON");
  const std::string tf_python = bench::python_with("tensorflow", "EMBER_TF_PYTHON");
  std::printf("fit_bench: model.fit, ms per step (median epoch of 2-6), policy %s\n",
              policy.c_str());
  std::vector<Device> devices = {Device::cpu()};
  if (cuda_available() && !busy_core) devices.push_back(Device::cuda(0));
  struct Case {
    const char* model;
    std::int64_t batch;
  };
  for (const Device& device : devices) {
    for (const Case& c : {Case{"mlp", 32}, Case{"mlp", 128}, Case{"resnet", 64}}) {
      if (!only.empty() && only != c.model) continue;
      const bool resnet = std::string(c.model) == "resnet";
      // Under --busy-core a step can be slow: fewer rows keep the run short.
      const std::int64_t rows =
          resnet ? (device.is_cpu() ? 640 : 12800) : (busy_core ? 3200 : 12800);
      const auto time = [&](bool eagerly) {
        return resnet ? resnet_ms_per_step(device, rows, c.batch, eagerly)
                      : mlp_ms_per_step(device, rows, c.batch, eagerly);
      };
      const double eager = time(true);
      const double ours = time(false);
      std::ostringstream
          args_text;  // (operator+ on strings here trips a GCC 12 -Wrestrict false positive)
      if (device.is_cpu())
        args_text << "cpu " << config::cpu_threads();
      else
        args_text << "cuda 0";
      args_text << " " << c.batch << " " << c.model << " " << rows << " " << policy;
      const std::string args = args_text.str();
      std::printf("  %-8s %-6s batch %3lld  ember %8.3f ms (%6.0f images/s; eager %8.3f ms, %.2fx)",
                  device.str().c_str(), c.model, static_cast<long long>(c.batch), ours,
                  static_cast<double>(c.batch) / ours * 1e3, eager, ours / eager);
      const auto report = [&](const std::string& python, const char* script, const char* label) {
        if (python.empty()) {
          std::printf("   (%s not available)", label);
          return;
        }
        const auto peer =
            bench::run_peer(python, std::string(EMBER_BENCH_DIR) + "/" + script, args);
        const auto it = peer.find("ms_per_step");
        if (it == peer.end())
          std::printf("   (%s failed)", label);
        else {
          std::printf("   %s %8.3f ms (%6.0f images/s; ember %.2fx)", label, it->second,
                      static_cast<double>(c.batch) / it->second * 1e3, it->second / ours);
        }
      };
      report(tf_python, "tf_fit.py", "Keras/TF");
      if (policy == "float32") report(torch_python, "torch_fit.py", "PyTorch");
      std::printf("\n");
      std::fflush(stdout);
    }
  }
  return 0;
}
