// autodiff_bench: the tape's overhead on small ops — forward + backward of a chain of 100
// elementwise ops (multiply, add, tanh in turn) on 1000-element float32 tensors, in µs per op,
// beside PyTorch autograd measured in the same run. Target (issue "Autodiff"): <= 0.5x
// PyTorch's time per op on the CPU.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "bench/machine.h"
#include "bench/peer.h"
#include "ember.h"

using namespace ember;

int main() {
  bench::print_machine();
  DeviceScope cpu(Device::cpu());
  const std::int64_t n = 1000;
  const int ops = 100;
  random::set_seed(0);
  Variable x(random::uniform({n}));
  std::vector<Tensor> scales, shifts;
  for (int i = 0; i < ops; ++i) {
    scales.push_back(random::uniform({n}, _minval = 0.75, _maxval = 1.25));
    shifts.push_back(random::uniform({n}, _minval = 0, _maxval = 0.1));
  }
  auto step = [&] {
    GradientTape tape;
    Tensor y = x;
    for (int i = 0; i < ops; ++i) {
      switch (i % 3) {
        case 0:
          y = y * scales[i];
          break;
        case 1:
          y = y + shifts[i];
          break;
        default:
          y = tanh(y);
          break;
      }
    }
    const Tensor loss = reduce_sum(y);
    return tape.gradient(loss, x);
  };
  for (int i = 0; i < 20; ++i) (void)step();
  std::vector<double> times;
  for (int i = 0; i < 200; ++i) {
    const auto start = std::chrono::steady_clock::now();
    (void)step();
    times.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  const double ember_us = times[times.size() / 2] / ops * 1e6;

  const std::string python = bench::python_with("torch", "EMBER_PYTHON");
  std::printf(
      "autodiff_bench: chain of %d elementwise ops on %lld floats, forward + backward, "
      "median of 200; CPU threads %d\n",
      ops, static_cast<long long>(n), config::cpu_threads());
  if (python.empty()) {
    std::printf("  ember %.2f us/op   (PyTorch not found: set EMBER_PYTHON)\n", ember_us);
    return 0;
  }
  const auto peer = bench::run_peer(python, std::string(EMBER_BENCH_DIR) + "/torch_autodiff.py",
                                    std::to_string(config::cpu_threads()));
  const auto it = peer.find("us_per_op");
  if (it == peer.end()) {
    std::printf("  ember %.2f us/op   (PyTorch run failed)\n", ember_us);
  } else {
    std::printf(
        "  ember %.2f us/op   PyTorch %.2f us/op   ember/PyTorch time %.2fx (target <= 0.5x)\n",
        ember_us, it->second, ember_us / it->second);
  }
  return 0;
}
