// How the CPU kernels split work across threads (OpenMP). Small tensors stay on one thread:
// waking the team costs more than a few thousand elements of work.
#pragma once

#include <algorithm>
#include <cstdint>

#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__x86_64__) || defined(_M_X64)
#include <xmmintrin.h>
#endif

namespace ember::cpu {

/// Flushes denormal floats to zero (and reads denormal inputs as zero) while it lives, then puts
/// the thread's mode back. TensorFlow runs its CPU ops this way: values that decay towards zero
/// (Adam's second moments of dead units, say) otherwise turn into denormals, which x86 cores
/// process a hundred times slower — training got 3x slower per step within a few epochs.
class FlushDenormals {
 public:
#if defined(__x86_64__) || defined(_M_X64)
  FlushDenormals() : saved_(_mm_getcsr()) {
    _mm_setcsr(saved_ | 0x8040u);
  }  // FTZ (bit 15) + DAZ (bit 6)
  ~FlushDenormals() { _mm_setcsr(saved_); }

 private:
  unsigned saved_;
#else
  FlushDenormals() = default;  // other architectures keep their default (gradual underflow)
#endif
 public:
  FlushDenormals(const FlushDenormals&) = delete;
  FlushDenormals& operator=(const FlushDenormals&) = delete;
};

/// Elements of simple elementwise work below which one thread does it all.
inline constexpr std::int64_t kParallelGrain = 32768;

/// The threads one op may use: config::set_intra_op_parallelism_threads, else the OpenMP default
/// (the cores ember may run on, or OMP_NUM_THREADS). Process-wide, unlike omp_set_num_threads,
/// which sets only the calling thread's count: an op in a prefetch thread's map() uses the same.
int max_threads();

/// Makes the calling thread's OpenMP count max_threads(), for libraries that read it (oneDNN).
void use_intra_op_threads_here();

/// Runs body(begin, end) over [0, n) in contiguous chunks, one per thread when n is large.
/// Denormals are flushed to zero inside (see FlushDenormals).
template <class Body>
void parallel_for(std::int64_t n, std::int64_t grain, const Body& body) {
  const std::int64_t threads = max_threads();
  if (n <= grain || threads <= 1) {
    const FlushDenormals flush;
    if (n > 0) body(std::int64_t{0}, n);
    return;
  }
  const std::int64_t chunks = std::min<std::int64_t>(threads, (n + grain - 1) / grain);
#pragma omp parallel for schedule(static) num_threads(static_cast <int>(chunks))
  for (std::int64_t c = 0; c < chunks; ++c) {
    const FlushDenormals flush;
    const std::int64_t begin = n * c / chunks, end = n * (c + 1) / chunks;
    body(begin, end);
  }
}

}  // namespace ember::cpu
