// ops_bench: float32 matmul 1024^3 (GFLOP/s) and elementwise add of 2^24 elements (GB/s), on the
// CPU and on the GPU when present, printed beside PyTorch measured in the same run.
// Targets (issue "Foundation"): CPU matmul >= 0.9x PyTorch, CPU add >= 1.0x PyTorch.
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

double median_seconds(const std::function<void()>& fn, int repeats, const Device& device) {
  fn();
  synchronize(device);
  std::vector<double> times;
  for (int i = 0; i < repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    fn();
    synchronize(device);
    times.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

struct Peers {
  std::map<std::string, double> torch, tensorflow;
};

void row(const char* what, double ember_value, const Peers& peers, const char* key,
         const char* unit) {
  std::printf("  %-24s ember %8.1f %-8s", what, ember_value, unit);
  for (const auto& [name, results] :
       {std::pair{"PyTorch", &peers.torch}, std::pair{"TensorFlow", &peers.tensorflow}}) {
    const auto it = results->find(key);
    if (it != results->end()) {
      std::printf("  %s %8.1f (ember %.2fx)", name, it->second, ember_value / it->second);
    }
  }
  std::printf("\n");
}

void bench_device(const Device& device, const std::string& torch_python,
                  const std::string& tf_python) {
  DeviceScope scope(device);
  const bool gpu = device.is_cuda();
  random::set_seed(1);
  const std::int64_t n = 1024;
  const Tensor a = random::uniform({n, n}), b = random::uniform({n, n});
  config::set_tf32_enabled(false);
  const double t_mm = median_seconds([&] { (void)matmul(a, b); }, gpu ? 200 : 20, device);
  double t_tf32 = 0;
  if (gpu) {
    config::set_tf32_enabled(true);
    t_tf32 = median_seconds([&] { (void)matmul(a, b); }, 200, device);
  }
  const std::int64_t m = std::int64_t{1} << 24;
  const Tensor x = random::uniform({m}), y = random::uniform({m});
  const double t_add = median_seconds([&] { (void)(x + y); }, gpu ? 200 : 30, device);

  Peers peers;
  const std::string args = (gpu ? "cuda 0" : "cpu " + std::to_string(config::cpu_threads()));
  if (!torch_python.empty()) {
    peers.torch =
        bench::run_peer(torch_python, std::string(EMBER_BENCH_DIR) + "/torch_ops.py", args);
  }
  if (!tf_python.empty()) {
    peers.tensorflow =
        bench::run_peer(tf_python, std::string(EMBER_BENCH_DIR) + "/tf_ops.py", args);
  }
  std::printf("%s (%s)\n", device.str().c_str(),
              gpu ? "TF32 off unless marked"
                  : ("threads: " + std::to_string(config::cpu_threads())).c_str());
  row("matmul 1024^3 float32", 2.0 * n * n * n / t_mm / 1e9, peers, "matmul_gflops", "GFLOP/s");
  if (gpu)
    row("matmul 1024^3 TF32", 2.0 * n * n * n / t_tf32 / 1e9, peers, "matmul_tf32_gflops",
        "GFLOP/s");
  row("add 2^24 float32", 3.0 * 4 * m / t_add / 1e9, peers, "add_gbs", "GB/s");
}

}  // namespace

int main() {
  bench::print_machine();
  const std::string torch_python = ember::bench::python_with("torch", "EMBER_PYTHON");
  const std::string tf_python = ember::bench::python_with("tensorflow", "EMBER_TF_PYTHON");
  std::printf(
      "ops_bench: median of repeated runs; PyTorch %s; TensorFlow %s\n",
      torch_python.empty() ? "not found (set EMBER_PYTHON)" : ("via " + torch_python).c_str(),
      tf_python.empty() ? "not found (set EMBER_TF_PYTHON)" : ("via " + tf_python).c_str());
  bench_device(ember::Device::cpu(), torch_python, tf_python);
  if (ember::cuda_available()) bench_device(ember::Device::cuda(0), torch_python, tf_python);
  return 0;
}
