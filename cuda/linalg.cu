// A shared-memory tiled matrix product for the dtypes cuBLAS lacks (int32, int64), and for the
// degenerate k == 0 (C = 0) of any dtype. Integers wrap like the CPU's reference kernel.
#include <cuda_runtime.h>

#include <cstdint>
#include <type_traits>

#include "cuda/cuda_check.h"
#include "cuda/kernel_support.cuh"
#include "cuda/launch.h"

namespace ember::cuda {
namespace {

constexpr int kTile = 16;

// Integer products accumulate in the unsigned type: the same bits as wrapping signed arithmetic,
// without its undefined behaviour.
template <class T, bool = std::is_integral_v<T>>
struct GemmAccumulator {
  using type = T;
};
template <class T>
struct GemmAccumulator<T, true> {
  using type = std::make_unsigned_t<T>;
};
template <class T>
using GemmAcc = typename GemmAccumulator<T>::type;

// a: op(A) (m, k)  b: op(B) (k, n)  ->  c: (m, n), per batch; row-major with leading dimensions.
// A block of kTile x kTile threads computes one kTile x kTile tile of C at a time; the loads of
// the A and B tiles run along memory whether or not the operand is transposed.
template <class T>
__global__ void gemm_tiled_kernel(GemmArgs g, std::int64_t row_tiles, std::int64_t col_tiles) {
  __shared__ T a_tile[kTile][kTile + 1];  // [row of C][p]
  __shared__ T b_tile[kTile][kTile + 1];  // [p][column of C]
  const int tx = static_cast<int>(threadIdx.x), ty = static_cast<int>(threadIdx.y);
  const std::int64_t tiles_per_matrix = row_tiles * col_tiles;
  const std::int64_t total = tiles_per_matrix * g.batch;
  for (std::int64_t t = blockIdx.x; t < total; t += gridDim.x) {
    const std::int64_t batch = t / tiles_per_matrix, rest = t - batch * tiles_per_matrix;
    const std::int64_t row0 = rest / col_tiles * kTile, col0 = rest % col_tiles * kTile;
    const T* a = static_cast<const T*>(g.a) + batch * g.stride_a;
    const T* b = static_cast<const T*>(g.b) + batch * g.stride_b;
    T* c = static_cast<T*>(g.c) + batch * g.stride_c;
    GemmAcc<T> acc = 0;
    for (std::int64_t p0 = 0; p0 < g.k; p0 += kTile) {
      if (g.transpose_a) {  // op(A)(i, p) = a[p * lda + i]: tx walks i
        const std::int64_t i = row0 + tx, p = p0 + ty;
        a_tile[tx][ty] = (i < g.m && p < g.k) ? a[p * g.lda + i] : T(0);
      } else {  // op(A)(i, p) = a[i * lda + p]: tx walks p
        const std::int64_t i = row0 + ty, p = p0 + tx;
        a_tile[ty][tx] = (i < g.m && p < g.k) ? a[i * g.lda + p] : T(0);
      }
      if (g.transpose_b) {  // op(B)(p, j) = b[j * ldb + p]: tx walks p
        const std::int64_t p = p0 + tx, j = col0 + ty;
        b_tile[tx][ty] = (p < g.k && j < g.n) ? b[j * g.ldb + p] : T(0);
      } else {  // op(B)(p, j) = b[p * ldb + j]: tx walks j
        const std::int64_t p = p0 + ty, j = col0 + tx;
        b_tile[ty][tx] = (p < g.k && j < g.n) ? b[p * g.ldb + j] : T(0);
      }
      __syncthreads();
#pragma unroll
      for (int q = 0; q < kTile; ++q) {
        acc += static_cast<GemmAcc<T>>(a_tile[ty][q]) * static_cast<GemmAcc<T>>(b_tile[q][tx]);
      }
      __syncthreads();
    }
    const std::int64_t row = row0 + ty, col = col0 + tx;
    if (row < g.m && col < g.n) c[row * g.ldc + col] = static_cast<T>(acc);
  }
}

template <class T>
void gemm_typed(const GemmArgs& g, const StreamContext& ctx) {
  const std::int64_t row_tiles = ceil_div(g.m, kTile), col_tiles = ceil_div(g.n, kTile);
  const dim3 block(kTile, kTile);
  gemm_tiled_kernel<T>
      <<<grid_blocks(row_tiles * col_tiles * g.batch, ctx, 1), block, 0, ctx.stream>>>(g, row_tiles,
                                                                                       col_tiles);
  EMBER_CUDA_CHECK_LAUNCH();
}

}  // namespace

void launch_gemm_tiled(const GemmArgs& args, const StreamContext& ctx) {
  if (args.m <= 0 || args.n <= 0 || args.batch <= 0) return;
  switch (args.dtype) {
    case DType::float32:
      gemm_typed<float>(args, ctx);
      break;
    case DType::float64:
      gemm_typed<double>(args, ctx);
      break;
    case DType::int32:
      gemm_typed<std::int32_t>(args, ctx);
      break;
    case DType::int64:
      gemm_typed<std::int64_t>(args, ctx);
      break;
    default:
      break;
  }
}

}  // namespace ember::cuda
