// The intra-op thread count lives with the CPU backend, which owns the thread team (OpenMP).
#include <atomic>

#include "core/config.h"
#include "core/error.h"
#include "kernels/parallel.h"

namespace ember {
namespace {

std::atomic<int> intra_op_setting{0};  // 0: OpenMP's default

int default_threads() {
#ifdef _OPENMP
  static const int threads = omp_get_max_threads();
  return threads;
#else
  return 1;
#endif
}

}  // namespace

namespace cpu {

int max_threads() {
  const int setting = intra_op_setting.load(std::memory_order_relaxed);
  return setting > 0 ? setting : default_threads();
}

void use_intra_op_threads_here() {
#ifdef _OPENMP
  const int threads = max_threads();
  if (omp_get_max_threads() != threads) omp_set_num_threads(threads);
#endif
}

}  // namespace cpu

namespace config {

int cpu_threads() { return cpu::max_threads(); }

int get_intra_op_parallelism_threads() { return intra_op_setting.load(); }

void set_intra_op_parallelism_threads(int threads) {
  if (threads < 0)
    throw Error(cat(
        "set_intra_op_parallelism_threads: need 0 (ember chooses) or more threads, got ", threads));
  default_threads();  // read OpenMP's default before anything changes it
  intra_op_setting.store(threads);
}

}  // namespace config
}  // namespace ember
