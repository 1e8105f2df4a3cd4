// conv_bench: conv2d 3x3, 64 -> 64 channels, 32x32 images, batch 128, "same" padding (9.7 GFLOP
// per pass): the forward pass, the data gradient, the filter gradient and a taped forward +
// backward, in milliseconds, on the CPU and on the GPU when present, beside PyTorch
// (channels-last) and TensorFlow (NHWC) measured in the same run.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "bench/machine.h"
#include "bench/peer.h"
#include "ember.h"

namespace {

using namespace ember;

struct Peers {
  std::map<std::string, double> torch, tensorflow;
};

double median_ms(const std::function<void()>& fn, int repeats, const Device& device) {
  fn();
  synchronize(device);
  std::vector<double> times;
  for (int i = 0; i < repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    fn();
    synchronize(device);
    times.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

// `passes` convolutions of 9.7 GFLOP each were timed.
void row(const char* what, double ms, int passes, const Peers& peers, const std::string& key) {
  constexpr double kFlops = 2.0 * 128 * 32 * 32 * 64 * 64 * 9;
  std::printf("  %-32s ember %7.2f ms (%4.0f GFLOP/s)", what, ms, passes * kFlops / ms / 1e6);
  for (const auto& [name, results] :
       {std::pair{"PyTorch", &peers.torch}, std::pair{"TensorFlow", &peers.tensorflow}}) {
    const auto it = results->find(key);
    if (it != results->end())
      std::printf("   %s %7.2f ms (ember %.2fx the time)", name, it->second, ms / it->second);
  }
  std::printf("\n");
}

void bench_device(const Device& device, const std::string& torch_python,
                  const std::string& tf_python) {
  DeviceScope scope(device);
  const bool gpu = device.is_cuda();
  random::set_seed(1);
  const Tensor x = random::uniform({128, 32, 32, 64});
  const Tensor w = random::uniform({3, 3, 64, 64}, _minval = -0.05, _maxval = 0.05);
  const Tensor dy = random::uniform({128, 32, 32, 64});
  const Conv2DOptions same{.padding = "same"};
  const int repeats = gpu ? 100 : 10;
  Peers peers;
  const std::string args = gpu ? "cuda 0" : "cpu " + std::to_string(config::cpu_threads());
  if (!torch_python.empty())
    peers.torch =
        bench::run_peer(torch_python, std::string(EMBER_BENCH_DIR) + "/torch_conv.py", args);
  if (!tf_python.empty())
    peers.tensorflow =
        bench::run_peer(tf_python, std::string(EMBER_BENCH_DIR) + "/tf_conv.py", args);
  std::printf("%s (%s)\n", device.str().c_str(),
              gpu ? "TF32 off unless marked"
                  : ("threads: " + std::to_string(config::cpu_threads())).c_str());
  for (bool tf32 : gpu ? std::vector<bool>{false, true} : std::vector<bool>{false}) {
    config::set_tf32_enabled(tf32);
    const std::string prefix = tf32 ? "tf32_" : "";
    const std::string label = tf32 ? " (TF32)" : "";
    const double forward = median_ms([&] { (void)conv2d(x, w, same); }, repeats, device);
    const double data =
        median_ms([&] { (void)conv2d_backward_input(x.shape(), w, dy, same); }, repeats, device);
    const double filter =
        median_ms([&] { (void)conv2d_backward_filter(x, w.shape(), dy, same); }, repeats, device);
    const double taped = median_ms(
        [&] {
          GradientTape tape;
          tape.watch(x);
          tape.watch(w);
          const Tensor y = conv2d(x, w, same);
          (void)tape.gradient(reduce_sum(y * dy), {x, w});
        },
        repeats, device);
    row(("forward" + label).c_str(), forward, 1, peers, prefix + "forward_ms");
    row(("backward data" + label).c_str(), data, 1, peers, prefix + "backward_data_ms");
    row(("backward filter" + label).c_str(), filter, 1, peers, prefix + "backward_filter_ms");
    row(("forward + backward (taped)" + label).c_str(), taped, 3, peers,
        prefix + "forward_backward_ms");
  }
  config::set_tf32_enabled(true);
}

}  // namespace

int main() {
  bench::print_machine();
  const std::string torch_python = ember::bench::python_with("torch", "EMBER_PYTHON");
  const std::string tf_python = ember::bench::python_with("tensorflow", "EMBER_TF_PYTHON");
  std::printf(
      "conv_bench: conv2d 3x3, 64->64, 32x32, batch 128, same padding, float32; median of repeats; "
      "PyTorch %s; TensorFlow %s\n",
      torch_python.empty() ? "not found (set EMBER_PYTHON)" : ("via " + torch_python).c_str(),
      tf_python.empty() ? "not found (set EMBER_TF_PYTHON)" : ("via " + tf_python).c_str());
  bench_device(ember::Device::cpu(), torch_python, tf_python);
  if (ember::cuda_available()) bench_device(ember::Device::cuda(0), torch_python, tf_python);
  return 0;
}
