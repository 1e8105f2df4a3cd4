// How the CPU kernels split work across threads (OpenMP). Small tensors stay on one thread:
// waking the team costs more than a few thousand elements of work.
#pragma once

#include <algorithm>
#include <cstdint>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace ember::cpu {

/// Elements of simple elementwise work below which one thread does it all.
inline constexpr std::int64_t kParallelGrain = 32768;

inline int max_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

/// Runs body(begin, end) over [0, n) in contiguous chunks, one per thread when n is large.
template <class Body>
void parallel_for(std::int64_t n, std::int64_t grain, const Body& body) {
  const std::int64_t threads = max_threads();
  if (n <= grain || threads <= 1) {
    if (n > 0) body(std::int64_t{0}, n);
    return;
  }
  const std::int64_t chunks = std::min<std::int64_t>(threads, (n + grain - 1) / grain);
#pragma omp parallel for schedule(static) num_threads(static_cast<int>(chunks))
  for (std::int64_t c = 0; c < chunks; ++c) {
    const std::int64_t begin = n * c / chunks, end = n * (c + 1) / chunks;
    body(begin, end);
  }
}

}  // namespace ember::cpu
