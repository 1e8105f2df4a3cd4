// How the CPU kernels split work across threads (ember's own team, kernels/thread_pool.h). Small
// tensors stay on one thread: waking a worker costs more than a few thousand elements of work.
#pragma once

#include <algorithm>
#include <cstdint>

#include "kernels/thread_pool.h"
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

/// The threads one op may use: config::set_intra_op_parallelism_threads, else the cores ember may
/// run on (its affinity mask), or OMP_NUM_THREADS when set. Process-wide.
int max_threads();

/// Sets the calling thread's OpenMP thread count, which oneDNN reads for its own parallel regions.
/// Without OpenMP, does nothing.
void set_onednn_threads_here(int threads);

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
  const auto chunk = [&](std::int64_t c) {
    const FlushDenormals flush;
    body(n * c / chunks, n * (c + 1) / chunks);
  };
  run_chunks(chunks, ChunkTask(chunk));
}

}  // namespace ember::cpu
