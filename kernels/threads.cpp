// The intra-op thread count lives with the CPU backend, which owns the thread team
// (kernels/thread_pool.h).
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <thread>

#include "core/config.h"
#include "core/error.h"
#include "kernels/parallel.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace ember {
namespace {

std::atomic<int> intra_op_setting{0};  // 0: ember chooses

// OMP_NUM_THREADS (its first number, as OpenMP reads a list) when set, else the cores in this
// process's affinity mask (taskset, a container's cpuset), else the hardware's.
int default_threads() {
  static const int threads = [] {
    if (const char* env = std::getenv("OMP_NUM_THREADS")) {
      const int n = std::atoi(env);
      if (n > 0) return n;
    }
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
    return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }();
  return threads;
}

}  // namespace

namespace cpu {

int max_threads() {
  const int setting = intra_op_setting.load(std::memory_order_relaxed);
  return setting > 0 ? setting : default_threads();
}

void set_onednn_threads_here(int threads) {
#ifdef _OPENMP
  if (omp_get_max_threads() != threads) omp_set_num_threads(threads);
#else
  (void)threads;
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
  intra_op_setting.store(threads);
}

}  // namespace config
}  // namespace ember
