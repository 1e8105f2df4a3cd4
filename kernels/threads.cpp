// config::cpu_threads lives with the CPU backend, which owns the thread team (OpenMP).
#include "core/config.h"
#include "core/error.h"
#include "kernels/parallel.h"

namespace ember::config {

int cpu_threads() { return cpu::max_threads(); }

void set_cpu_threads(int threads) {
  if (threads < 1) throw Error(cat("set_cpu_threads: need at least 1 thread, got ", threads));
#ifdef _OPENMP
  omp_set_num_threads(threads);
#endif
}

}  // namespace ember::config
