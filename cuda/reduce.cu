// Reductions over the middle axis of [outer, r, inner] and arg-reductions, matching the CPU's
// accumulators (kernels/reduce.cpp) in what they compute: integers accumulate in int64
// (wrapping), NaN wins max/min and argmax/argmin, empty axes give the identities. float64 sums in
// float64; float32 sums and means in float32 with the rounding error carried along (a
// compensated sum), because float64 arithmetic runs at 1/32 to 1/64 of the float32 rate on
// consumer GPUs; the carried error keeps a 10^7-element sum as accurate as the CPU's float64 one
// within float32's rounding of the result. float32 products still accumulate in float64.
//
// Strategy: a block covers a tile of outputs with a few threads each along the axis (see
// AxisTile), each thread accumulates its strided share, and a shared-memory tree combines the
// lanes. When the outputs alone cannot fill the GPU (a full sum of 10^7 values has one output),
// the axis is cut into contiguous splits, one block row each, whose partial accumulators a second
// pass of the same kernel combines in order: every SM works, the result is deterministic, and
// float sums stay accurate (short sequential runs, then a tree, with the error carried).
#include <cuda_runtime.h>

#include <cstdint>
#include <limits>
#include <type_traits>

#include "core/backend/elementwise_math.h"
#include "cuda/cuda_check.h"
#include "cuda/kernel_support.cuh"
#include "cuda/launch.h"

namespace ember::cuda {
namespace {

// --- accumulators: identity, load (value and its index along the axis), combine, finish -------

template <class T>
using Wide = std::conditional_t<std::is_floating_point_v<T>, double, std::int64_t>;

// A float32 sum and the rounding error its additions dropped (Neumaier's two-sum), combined
// pairwise by the lanes' tree and the splits' second pass alike.
struct CompensatedFloat {
  float sum;
  float error;
};

template <ReduceOp Op>
struct CompensatedFloatReducer {
  using Acc = CompensatedFloat;
  using Out = float;
  __device__ static Acc identity() { return {0.0f, 0.0f}; }
  __device__ static Acc load(float v, std::int64_t) { return {v, 0.0f}; }
  __device__ static Acc combine(Acc a, Acc b) {
    const float t = a.sum + b.sum;
    // An infinite or NaN total carries no error (inf - inf would turn it into NaN).
    const float e = !isfinite(t)                   ? 0.0f
                    : fabsf(a.sum) >= fabsf(b.sum) ? (a.sum - t) + b.sum
                                                   : (b.sum - t) + a.sum;
    return {t, a.error + b.error + e};
  }
  __device__ static Out finish(Acc a, std::int64_t divisor) {
    const float total = isfinite(a.sum) ? a.sum + a.error : a.sum;
    if constexpr (Op == ReduceOp::mean) return total / static_cast<float>(divisor);  // 0/0: NaN
    return total;
  }
};

// sum, mean, prod
template <class T, ReduceOp Op>
struct Reducer {
  using Acc = Wide<T>;
  using Out = T;
  __device__ static Acc identity() { return Op == ReduceOp::prod ? Acc(1) : Acc(0); }
  __device__ static Acc load(T v, std::int64_t) { return static_cast<Acc>(v); }
  __device__ static Acc combine(Acc a, Acc b) {
    if constexpr (std::is_floating_point_v<Acc>) {
      return Op == ReduceOp::prod ? a * b : a + b;
    } else {  // unsigned arithmetic wraps like the CPU's int64 without undefined behaviour
      const auto ua = static_cast<std::uint64_t>(a), ub = static_cast<std::uint64_t>(b);
      return static_cast<Acc>(Op == ReduceOp::prod ? ua * ub : ua + ub);
    }
  }
  __device__ static Out finish(Acc a, std::int64_t divisor) {
    if constexpr (Op == ReduceOp::mean) {
      if constexpr (std::is_floating_point_v<T>) {
        return static_cast<T>(a / static_cast<double>(divisor));  // 0/0: NaN, like the CPU
      } else {
        return divisor == 0 ? T(0) : static_cast<T>(a / divisor);
      }
    } else {
      return static_cast<T>(a);
    }
  }
};

template <>
struct Reducer<float, ReduceOp::sum> : CompensatedFloatReducer<ReduceOp::sum> {};
template <>
struct Reducer<float, ReduceOp::mean> : CompensatedFloatReducer<ReduceOp::mean> {};

template <class T, bool IsMax>
struct ExtremumReducer {
  using Acc = T;
  using Out = T;
  __device__ static Acc identity() {
    using Limits = std::numeric_limits<T>;
    if constexpr (Limits::has_infinity) {
      return IsMax ? -Limits::infinity() : Limits::infinity();
    } else {
      return IsMax ? Limits::lowest() : Limits::max();
    }
  }
  __device__ static Acc load(T v, std::int64_t) { return v; }
  // The CPU's rule: a NaN, once seen, stays.
  __device__ static Acc combine(Acc a, Acc b) {
    if ((IsMax ? b > a : b < a) || math::is_nan(b)) return math::is_nan(a) ? a : b;
    return a;
  }
  __device__ static Out finish(Acc a, std::int64_t) { return a; }
};

template <class T>
struct Reducer<T, ReduceOp::max> : ExtremumReducer<T, true> {};
template <class T>
struct Reducer<T, ReduceOp::min> : ExtremumReducer<T, false> {};

template <bool IsAny>
struct LogicalReducer {
  using Acc = bool;
  using Out = bool;
  __device__ static Acc identity() { return !IsAny; }
  __device__ static Acc load(bool v, std::int64_t) { return v; }
  __device__ static Acc combine(Acc a, Acc b) { return IsAny ? (a || b) : (a && b); }
  __device__ static Out finish(Acc a, std::int64_t) { return a; }
};

template <>
struct Reducer<bool, ReduceOp::any> : LogicalReducer<true> {};
template <>
struct Reducer<bool, ReduceOp::all> : LogicalReducer<false> {};

// A candidate of argmax/argmin; index < 0 stands for "no element yet".
template <class T>
struct ArgCandidate {
  T value;
  std::int64_t index;
};

// Order-independent form of the CPU's scan: the first NaN wins, else the best value, ties going
// to the first index.
template <class T, ArgReduceOp Op>
struct ArgReducer {
  using Acc = ArgCandidate<T>;
  using Out = std::int64_t;
  __device__ static Acc identity() { return {T{}, -1}; }
  __device__ static Acc load(T v, std::int64_t j) { return {v, j}; }
  __device__ static Acc combine(Acc a, Acc b) {
    if (a.index < 0) return b;
    if (b.index < 0) return a;
    const bool a_nan = math::is_nan(a.value), b_nan = math::is_nan(b.value);
    if (a_nan != b_nan) return a_nan ? a : b;
    if (a_nan || a.value == b.value) return a.index < b.index ? a : b;
    const bool a_better = Op == ArgReduceOp::argmax ? a.value > b.value : a.value < b.value;
    return a_better ? a : b;
  }
  __device__ static Out finish(Acc a, std::int64_t) { return a.index < 0 ? 0 : a.index; }
};

// --- kernel -----------------------------------------------------------------------------------

// x: (outer, r, inner) In, read over rows [blockIdx.y * rows_per_split, + rows_per_split)
//   ->  Finalize: y: (outer, inner) F::Out;  else y: (gridDim.y, outer * inner) F::Acc partials.
// FromPartials: x holds F::Acc partials (the second pass), combined without load().
template <class F, class In, class Out, bool FromPartials, bool Finalize>
__global__ void reduce_kernel(const In* x, Out* y, std::int64_t outer, std::int64_t r,
                              std::int64_t inner, std::int64_t rows_per_split, std::int64_t divisor,
                              AxisTile tile) {
  using Acc = typename F::Acc;
  __shared__ Acc partial[kBlockThreads];
  int tx, ty;
  axis_tile_position(tile, &tx, &ty);
  const std::int64_t outputs = outer * inner;
  const std::int64_t tiles = ceil_div(outputs, tile.bx);
  const std::int64_t j_begin = static_cast<std::int64_t>(blockIdx.y) * rows_per_split;
  const std::int64_t j_end = j_begin + rows_per_split < r ? j_begin + rows_per_split : r;
  for (std::int64_t t = blockIdx.x; t < tiles; t += gridDim.x) {
    const std::int64_t q = t * tile.bx + tx;
    Acc acc = F::identity();
    if (q < outputs) {
      const std::int64_t o = q / inner, i = q - o * inner;
      const std::int64_t step = static_cast<std::int64_t>(tile.by) * inner;
      std::int64_t offset = (o * r + j_begin + ty) * inner + i;
#pragma unroll 4
      for (std::int64_t j = j_begin + ty; j < j_end; j += tile.by, offset += step) {
        if constexpr (FromPartials) {
          acc = F::combine(acc, x[offset]);
        } else {
          acc = F::combine(acc, F::load(x[offset], j));
        }
      }
    }
    partial[ty * tile.bx + tx] = acc;
    combine_along_axis<F>(partial, tile, tx, ty);
    if (ty == 0 && q < outputs) {
      if constexpr (Finalize) {
        y[q] = F::finish(partial[tx], divisor);
      } else {
        y[static_cast<std::int64_t>(blockIdx.y) * outputs + q] = partial[tx];
      }
    }
    __syncthreads();  // the next tile rewrites `partial`
  }
}

// --- launch -----------------------------------------------------------------------------------

// Each split of a long axis gives every thread at least this many values to accumulate.
constexpr std::int64_t kMinValuesPerThread = 16;

template <class F, class In, class Out, bool FromPartials, bool Finalize>
void launch_pass(const In* x, Out* y, std::int64_t outer, std::int64_t r, std::int64_t inner,
                 std::int64_t rows_per_split, std::int64_t splits, std::int64_t divisor,
                 const AxisTile& tile, const StreamContext& ctx) {
  const std::int64_t tiles = ceil_div(outer * inner, tile.bx);
  const dim3 grid(grid_blocks(tiles, ctx, 1), static_cast<unsigned>(splits));
  reduce_kernel<F, In, Out, FromPartials, Finalize><<<grid, kBlockThreads, 0, ctx.stream>>>(
      x, y, outer, r, inner, rows_per_split, divisor, tile);
  EMBER_CUDA_CHECK_LAUNCH();
}

// x: (outer, r, inner) T  ->  y: (outer, inner) F::Out
template <class F, class T>
void reduce_with(const T* x, typename F::Out* y, std::int64_t outer, std::int64_t r,
                 std::int64_t inner, std::int64_t divisor, const StreamContext& ctx) {
  using Acc = typename F::Acc;
  const std::int64_t outputs = outer * inner;
  if (outputs <= 0) return;
  const AxisTile tile = choose_axis_tile(r, inner);
  const std::int64_t tiles = ceil_div(outputs, tile.bx);
  const std::int64_t target_blocks = static_cast<std::int64_t>(ctx.multiprocessors) * 8;
  std::int64_t splits = 1;
  if (tiles < target_blocks) {
    const std::int64_t useful = r / (tile.by * kMinValuesPerThread);
    splits = ceil_div(target_blocks, tiles);
    if (splits > useful) splits = useful;
    if (splits > 65535) splits = 65535;  // gridDim.y
  }
  if (splits <= 1) {
    launch_pass<F, T, typename F::Out, false, true>(x, y, outer, r, inner, r, 1, divisor, tile,
                                                    ctx);
    return;
  }
  const std::int64_t rows_per_split = ceil_div(r, splits);
  splits = ceil_div(r, rows_per_split);
  StreamBuffer partials(static_cast<std::size_t>(splits * outputs) * sizeof(Acc), ctx);
  Acc* partial = static_cast<Acc*>(partials.get());
  launch_pass<F, T, Acc, false, false>(x, partial, outer, r, inner, rows_per_split, splits, divisor,
                                       tile, ctx);
  // partial: (splits, outputs), reduced over its first axis like x: (1, splits, outputs).
  const AxisTile second = choose_axis_tile(splits, outputs);
  launch_pass<F, Acc, typename F::Out, true, true>(partial, y, 1, splits, outputs, splits, 1,
                                                   divisor, second, ctx);
}

}  // namespace

void launch_reduce(ReduceOp op, DType dtype, const void* x, void* y, std::int64_t outer,
                   std::int64_t r, std::int64_t inner, std::int64_t mean_divisor,
                   const StreamContext& ctx) {
  dispatch_dtype(dtype, [&](auto zero) {
    using T = decltype(zero);
    const T* in = static_cast<const T*>(x);
    T* out = static_cast<T*>(y);
    if constexpr (is_half_type_v<T>) {
      // never reached: the backend boundary widens 16-bit types (half_precision_backend.h)
    } else if constexpr (std::is_same_v<T, bool>) {
      if (op == ReduceOp::any) {
        reduce_with<Reducer<T, ReduceOp::any>>(in, out, outer, r, inner, 0, ctx);
      } else if (op == ReduceOp::all) {
        reduce_with<Reducer<T, ReduceOp::all>>(in, out, outer, r, inner, 0, ctx);
      }
    } else {
      switch (op) {
        case ReduceOp::sum:
          reduce_with<Reducer<T, ReduceOp::sum>>(in, out, outer, r, inner, 0, ctx);
          break;
        case ReduceOp::mean:
          reduce_with<Reducer<T, ReduceOp::mean>>(in, out, outer, r, inner, mean_divisor, ctx);
          break;
        case ReduceOp::max:
          reduce_with<Reducer<T, ReduceOp::max>>(in, out, outer, r, inner, 0, ctx);
          break;
        case ReduceOp::min:
          reduce_with<Reducer<T, ReduceOp::min>>(in, out, outer, r, inner, 0, ctx);
          break;
        case ReduceOp::prod:
          reduce_with<Reducer<T, ReduceOp::prod>>(in, out, outer, r, inner, 0, ctx);
          break;
        default:
          break;
      }
    }
  });
}

void launch_arg_reduce(ArgReduceOp op, DType dtype, const void* x, std::int64_t* y,
                       std::int64_t outer, std::int64_t r, std::int64_t inner,
                       const StreamContext& ctx) {
  dispatch_dtype(dtype, [&](auto zero) {
    using T = decltype(zero);
    if constexpr (!std::is_same_v<T, bool> && !is_half_type_v<T>) {  // 16-bit: widened before
      const T* in = static_cast<const T*>(x);
      if (op == ArgReduceOp::argmax) {
        reduce_with<ArgReducer<T, ArgReduceOp::argmax>>(in, y, outer, r, inner, 0, ctx);
      } else {
        reduce_with<ArgReducer<T, ArgReduceOp::argmin>>(in, y, outer, r, inner, 0, ctx);
      }
    }
  });
}

}  // namespace ember::cuda
