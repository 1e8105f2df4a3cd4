// Softmax and log-softmax over the middle axis of [outer, n, inner], in the CPU's formula
// (kernels/softmax.cpp): shift by the row's max in T, sum exp, then
// softmax = exp(x - max) * (1 / sum) and log_softmax = x - max - log(sum). The CPU sums in
// float64; here float32 rows sum in float32 (every term is in (0, 1] after the shift, so the sum
// of a row of n terms loses at most about log2(n / threads) bits), because float64 runs at 1/32
// to 1/64 of the float32 rate on consumer GPUs.
#include <cuda_runtime.h>

#include <cstdint>
#include <limits>

#include "cuda/cuda_check.h"
#include "cuda/kernel_support.cuh"
#include "cuda/launch.h"

namespace ember::cuda {
namespace {

// exp and log in the accumulator's own precision.
__device__ __forceinline__ float exp_of(float v) { return expf(v); }
__device__ __forceinline__ double exp_of(double v) { return ::exp(v); }
__device__ __forceinline__ float log_of(float v) { return logf(v); }
__device__ __forceinline__ double log_of(double v) { return ::log(v); }

template <class Acc>
struct MaxOf {
  __device__ static Acc combine(Acc a, Acc b) { return b > a ? b : a; }
};
template <class Acc>
struct SumOf {
  __device__ static Acc combine(Acc a, Acc b) { return a + b; }
};

// x: (outer, n, inner)  ->  y: (outer, n, inner); a tile of tile.bx rows (each an (outer, inner)
// pair) per block, tile.by threads along each row.
template <class T>
__global__ void softmax_kernel(bool log, const T* x, T* y, std::int64_t outer, std::int64_t n,
                               std::int64_t inner, AxisTile tile) {
  using Acc = T;  // float32 rows in float32, float64 rows in float64
  __shared__ Acc partial[kBlockThreads];
  int tx, ty;
  axis_tile_position(tile, &tx, &ty);
  const std::int64_t rows = outer * inner;
  const std::int64_t tiles = ceil_div(rows, tile.bx);
  const std::int64_t step = static_cast<std::int64_t>(tile.by) * inner;
  for (std::int64_t t = blockIdx.x; t < tiles; t += gridDim.x) {
    const std::int64_t q = t * tile.bx + tx;
    const bool active = q < rows;
    const std::int64_t o = active ? q / inner : 0, i = active ? q - o * inner : 0;
    const std::int64_t first = (o * n + ty) * inner + i;
    const std::int64_t count = active ? n : 0;

    // NaN never becomes the max here (v > m is false), unlike the CPU's scan from x[0]; either
    // way a NaN in the row makes the sum, hence every output, NaN.
    T m = -std::numeric_limits<T>::infinity();
    std::int64_t offset = first;
    for (std::int64_t j = ty; j < count; j += tile.by, offset += step) {
      const T v = x[offset];
      m = v > m ? v : m;
    }
    partial[ty * tile.bx + tx] = m;
    combine_along_axis<MaxOf<Acc>>(partial, tile, tx, ty);
    m = static_cast<T>(partial[tx]);
    __syncthreads();

    Acc sum = 0;
    offset = first;
    for (std::int64_t j = ty; j < count; j += tile.by, offset += step) {
      sum += exp_of(static_cast<Acc>(x[offset] - m));
    }
    partial[ty * tile.bx + tx] = sum;
    combine_along_axis<SumOf<Acc>>(partial, tile, tx, ty);
    sum = partial[tx];
    __syncthreads();

    offset = first;
    if (log) {
      const T log_sum = static_cast<T>(log_of(sum));
      for (std::int64_t j = ty; j < count; j += tile.by, offset += step) {
        y[offset] = static_cast<T>(static_cast<T>(x[offset] - m) - log_sum);
      }
    } else {
      const Acc scale = Acc(1) / sum;
      for (std::int64_t j = ty; j < count; j += tile.by, offset += step) {
        y[offset] = static_cast<T>(exp_of(static_cast<Acc>(x[offset] - m)) * scale);
      }
    }
  }
}

template <class T>
void softmax_typed(bool log, const T* x, T* y, std::int64_t outer, std::int64_t n,
                   std::int64_t inner, const StreamContext& ctx) {
  const std::int64_t rows = outer * inner;
  if (rows <= 0 || n <= 0) return;
  const AxisTile tile = choose_axis_tile(n, inner);
  softmax_kernel<T><<<grid_blocks(ceil_div(rows, tile.bx), ctx, 1), kBlockThreads, 0, ctx.stream>>>(
      log, x, y, outer, n, inner, tile);
  EMBER_CUDA_CHECK_LAUNCH();
}

}  // namespace

void launch_softmax(bool log, DType dtype, const void* x, void* y, std::int64_t outer,
                    std::int64_t n, std::int64_t inner, const StreamContext& ctx) {
  if (dtype == DType::float32) {
    softmax_typed(log, static_cast<const float*>(x), static_cast<float*>(y), outer, n, inner, ctx);
  } else {
    softmax_typed(log, static_cast<const double*>(x), static_cast<double*>(y), outer, n, inner,
                  ctx);
  }
}

}  // namespace ember::cuda
