// The fused optimizer update: one pass over a variable, its gradient and its slots, with the
// per-element rule of core/backend/optimizer_math.h (shared with the CPU). Elements whose gradient
// is not finite are counted (one atomic per thread that saw any) and, when asked, left untouched.
#include <cuda_runtime.h>

#include <cstdint>

#include "core/backend/optimizer_math.h"
#include "cuda/cuda_check.h"
#include "cuda/kernel_support.cuh"
#include "cuda/launch.h"

namespace ember::cuda {
namespace {

struct Coefficients {
  double values[6];
};

// p, g, s0..s2: (n,)  (absent slots are nullptr)
template <OptimizerRule Rule, class T>
__global__ void optimizer_update_kernel(T* p, const T* g, T* s0, T* s1, T* s2, Coefficients coeff,
                                        T lr, T decay, std::int64_t n,
                                        unsigned long long* nonfinite_count, bool skip_nonfinite) {
  T c[6];
  for (int i = 0; i < 6; ++i) c[i] = static_cast<T>(coeff.values[i]);
  unsigned long long skipped = 0;
  for (std::int64_t i = global_thread_index(); i < n; i += grid_thread_count()) {
    const T gi = g[i];
    if (!(gi - gi == T(0))) {  // NaN or infinite
      ++skipped;
      if (skip_nonfinite) continue;
    }
    T absent[3] = {0, 0, 0};
    math::optimizer_step<Rule, T>(p[i], gi, s0 ? s0 + i : &absent[0], s1 ? s1 + i : &absent[1],
                                  s2 ? s2 + i : &absent[2], c, lr, decay);
  }
  // Rare: only threads that skipped something touch the counter.
  if (skipped != 0) atomicAdd(nonfinite_count, skipped);
}

template <OptimizerRule Rule, class T>
void update_typed(const OptimizerUpdateArgs& a, const StreamContext& ctx) {
  Coefficients coeff;
  for (int i = 0; i < 6; ++i) coeff.values[i] = a.coefficients[i];
  optimizer_update_kernel<Rule, T><<<grid_blocks(a.n, ctx), kBlockThreads, 0, ctx.stream>>>(
      static_cast<T*>(a.param), static_cast<const T*>(a.grad), static_cast<T*>(a.slots[0]),
      static_cast<T*>(a.slots[1]), static_cast<T*>(a.slots[2]), coeff,
      static_cast<T>(a.learning_rate), static_cast<T>(a.decay), a.n,
      reinterpret_cast<unsigned long long*>(a.nonfinite_count), a.skip_nonfinite);
  EMBER_CUDA_CHECK_LAUNCH();
}

}  // namespace

void launch_optimizer_update(const OptimizerUpdateArgs& args, const StreamContext& ctx) {
  if (args.n == 0) return;
  math::dispatch_optimizer_rule(args.rule, [&](auto tag) {
    constexpr OptimizerRule kRule = decltype(tag)::value;
    if (args.dtype == DType::float32) {
      update_typed<kRule, float>(args, ctx);
    } else {
      update_typed<kRule, double>(args, ctx);
    }
  });
}

}  // namespace ember::cuda
