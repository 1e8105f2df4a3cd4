// optim_bench: one Adam update of 10^7 float32 parameters, in GB/s of memory traffic (the update
// reads the parameters, gradient and two slots and writes three arrays: 28 bytes per parameter),
// beside PyTorch's torch.optim.Adam(foreach=True) in the same run. Targets (issue "Optimizers"):
// >= 1.0x PyTorch on the CPU; >= 70% of the memory bandwidth on the GPU.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "bench/machine.h"
#include "bench/peer.h"
#include "ember.h"

using namespace ember;

namespace {

double ember_gbs(const Device& device) {
  DeviceScope scope(device);
  const std::int64_t n = 10'000'000;
  Variable w(zeros({n}), _name = "w");
  const Tensor g = random::uniform({n});
  optim::Adam adam(_learning_rate = 1e-3);
  for (int i = 0; i < 5; ++i) adam.apply_gradients({g}, {w});
  synchronize(device);
  std::vector<double> times;
  for (int i = 0; i < (device.is_cpu() ? 30 : 200); ++i) {
    const auto start = std::chrono::steady_clock::now();
    adam.apply_gradients({g}, {w});
    synchronize(device);
    times.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return 7.0 * 4 * n / times[times.size() / 2] / 1e9;
}

}  // namespace

int main() {
  bench::print_machine();
  const std::string python = bench::python_with("torch", "EMBER_PYTHON");
  std::printf(
      "optim_bench: Adam step over 1e7 float32 parameters (28 bytes moved per parameter)\n");
  std::vector<Device> devices = {Device::cpu()};
  if (cuda_available()) devices.push_back(Device::cuda(0));
  for (const Device& device : devices) {
    const double ours = ember_gbs(device);
    const std::string args =
        device.is_cpu() ? "cpu " + std::to_string(config::cpu_threads()) : "cuda 0";
    const auto peer =
        python.empty()
            ? std::map<std::string, double>{}
            : bench::run_peer(python, std::string(EMBER_BENCH_DIR) + "/torch_adam.py", args);
    std::printf("  %-8s ember %7.1f GB/s", device.str().c_str(), ours);
    const auto it = peer.find("gbs");
    if (it != peer.end())
      std::printf("   PyTorch %7.1f GB/s   ember %.2fx", it->second, ours / it->second);
    else
      std::printf("   (PyTorch not available)");
    if (device.is_cuda()) std::printf("   (H100 SXM: 3350 GB/s, H200: 4800 GB/s peak)");
    std::printf("\n");
  }
  return 0;
}
