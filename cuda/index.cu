// scatter_add: the transpose of gather (the gradient of gather). Repeated indices add up through
// atomics, so the order of the sums (and their last bits) may vary from run to run.
#include <cuda_runtime.h>

#include <cstdint>

#include "cuda/cuda_check.h"
#include "cuda/kernel_support.cuh"
#include "cuda/launch.h"

namespace ember::cuda {
namespace {

// updates: (outer, count, inner)  indices: (count,)  ->  out: (outer, axis_size, inner) +=
template <class T, class IndexT>
__global__ void scatter_add_kernel(const T* updates, std::int64_t axis_size, std::int64_t inner,
                                   const IndexT* indices, std::int64_t count, T* out,
                                   std::int64_t n) {
  for (std::int64_t t = global_thread_index(); t < n; t += grid_thread_count()) {
    const std::int64_t rest = t / inner, i = t - rest * inner;
    const std::int64_t o = rest / count, k = rest - o * count;
    const auto index = static_cast<std::int64_t>(indices[k]);
    if (index < 0 || index >= axis_size) continue;
    atomicAdd(out + (o * axis_size + index) * inner + i, updates[t]);
  }
}

template <class T, class IndexT>
void scatter_add_typed(const void* updates, std::int64_t outer, std::int64_t axis_size,
                       std::int64_t inner, const void* indices, std::int64_t count, void* out,
                       const StreamContext& ctx) {
  const std::int64_t n = outer * count * inner;
  if (n == 0) return;
  scatter_add_kernel<T, IndexT><<<grid_blocks(n, ctx), kBlockThreads, 0, ctx.stream>>>(
      static_cast<const T*>(updates), axis_size, inner, static_cast<const IndexT*>(indices), count,
      static_cast<T*>(out), n);
  EMBER_CUDA_CHECK_LAUNCH();
}

template <class T>
void scatter_add_values(const void* updates, std::int64_t outer, std::int64_t axis_size,
                        std::int64_t inner, DType index_dtype, const void* indices,
                        std::int64_t count, void* out, const StreamContext& ctx) {
  if (index_dtype == DType::int32) {
    scatter_add_typed<T, std::int32_t>(updates, outer, axis_size, inner, indices, count, out, ctx);
  } else {
    scatter_add_typed<T, std::int64_t>(updates, outer, axis_size, inner, indices, count, out, ctx);
  }
}

}  // namespace

void launch_scatter_add(DType dtype, const void* updates, std::int64_t outer,
                        std::int64_t axis_size, std::int64_t inner, DType index_dtype,
                        const void* indices, std::int64_t count, void* out,
                        const StreamContext& ctx) {
  if (dtype == DType::float32) {
    scatter_add_values<float>(updates, outer, axis_size, inner, index_dtype, indices, count, out, ctx);
  } else {
    scatter_add_values<double>(updates, outer, axis_size, inner, index_dtype, indices, count, out, ctx);
  }
}

}  // namespace ember::cuda
