// Helpers shared by the .cu files (internal, thin: C++17, device code): grid sizing for
// grid-stride loops and the offsets of strided operands.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "core/backend/kernel_types.h"
#include "cuda/cuda_check.h"
#include "cuda/launch.h"

namespace ember::cuda {

/// Threads per block of the one-dimensional kernels.
inline constexpr int kBlockThreads = 256;

constexpr std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

/// Blocks for a grid-stride loop over n items: one item per thread up to a few waves of the
/// whole GPU, then each thread takes several.
inline unsigned grid_blocks(std::int64_t n, const StreamContext& ctx, int threads = kBlockThreads) {
  const std::int64_t cap = static_cast<std::int64_t>(ctx.multiprocessors) * 32;
  const std::int64_t blocks = ceil_div(n, threads);
  return static_cast<unsigned>(blocks < cap ? blocks : cap);
}

__device__ __forceinline__ std::int64_t global_thread_index() {
  return static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ __forceinline__ std::int64_t grid_thread_count() {
  return static_cast<std::int64_t>(gridDim.x) * blockDim.x;
}

/// N operands walked over one row-major shape (the output's or the copied region's), passed to
/// kernels by value. Axes are stored innermost first, so the unrolled loop of strided_offsets
/// indexes them with constants and the arrays stay in parameter space, not local memory.
template <int N>
struct StridedOperands {
  int rank = 0;
  std::int64_t shape[kMaxRank] = {};
  std::int64_t strides[N][kMaxRank] = {};
};

/// Operand k follows layouts[k] (nullptr: a broadcast scalar, all strides 0) over `shape`.
template <int N>
StridedOperands<N> strided_operands(const StridedLayout& shape,
                                    const StridedLayout* const (&layouts)[N]) {
  StridedOperands<N> s;
  s.rank = shape.rank;
  for (int i = 0; i < shape.rank; ++i) {
    const int axis = shape.rank - 1 - i;
    s.shape[i] = shape.shape[axis];
    for (int k = 0; k < N; ++k) s.strides[k][i] = layouts[k] ? layouts[k]->strides[axis] : 0;
  }
  return s;
}

/// The number of elements of a shape.
inline std::int64_t element_count(const StridedLayout& shape) {
  std::int64_t n = 1;
  for (int d = 0; d < shape.rank; ++d) n *= shape.shape[d];
  return n;
}

/// Whether linear indices and coordinates fit the cheaper 32-bit division.
inline bool fits_uint32(std::int64_t n) { return n <= static_cast<std::int64_t>(UINT32_MAX); }

/// The element offsets of row-major element `linear` in each operand. Index is std::uint32_t
/// when the element count fits (integer division is the cost here), else std::int64_t.
template <class Index, int N>
__device__ __forceinline__ void strided_offsets(const StridedOperands<N>& s, std::int64_t linear,
                                                std::int64_t (&offsets)[N]) {
#pragma unroll
  for (int k = 0; k < N; ++k) offsets[k] = 0;
  Index rest = static_cast<Index>(linear);
#pragma unroll
  for (int i = 0; i < kMaxRank; ++i) {
    if (i == s.rank) break;
    const Index size = static_cast<Index>(s.shape[i]);
    const Index coordinate = rest % size;
    rest /= size;
#pragma unroll
    for (int k = 0; k < N; ++k) {
      offsets[k] += static_cast<std::int64_t>(coordinate) * s.strides[k][i];
    }
  }
}

/// A temporary device buffer from the backend's pool, allocated and freed in stream order (the
/// kernels that use it are queued in between, so no wait is needed).
class StreamBuffer {
 public:
  StreamBuffer(std::size_t bytes, const StreamContext& ctx) : allocator_(ctx.allocator) {
    if (bytes == 0) return;
    data_ = allocator_->try_allocate(bytes);
    if (data_ == nullptr) throw_out_of_device_memory(ctx.device, bytes);
  }
  ~StreamBuffer() {
    if (data_ != nullptr) allocator_->deallocate(data_);  // never throws
  }
  StreamBuffer(const StreamBuffer&) = delete;
  StreamBuffer& operator=(const StreamBuffer&) = delete;
  void* get() const { return data_; }

 private:
  void* data_ = nullptr;
  DeviceAllocator* allocator_;
};

// --- work along the middle axis of [outer, n, inner] ------------------------------------------

/// How a block of kBlockThreads threads covers "rows" (one per (outer, inner) pair, each n values
/// apart by `inner`): bx rows per tile, by threads cooperating along each row (powers of two).
/// Consecutive lanes walk along the axis when inner == 1 (the row is contiguous) and across rows
/// otherwise (neighbouring rows are neighbouring addresses): both read memory coalesced.
struct AxisTile {
  int bx = 1;
  int by = kBlockThreads;
  bool lanes_along_axis = true;
};

inline int pow2_at_least(std::int64_t n, int cap) {
  int p = 1;
  while (p < n && p < cap) p *= 2;
  return p;
}

inline AxisTile choose_axis_tile(std::int64_t n, std::int64_t inner) {
  AxisTile tile;
  const int along = pow2_at_least(n, kBlockThreads);
  if (inner == 1) {
    tile.by = along;
    tile.lanes_along_axis = true;
  } else {
    tile.by = kBlockThreads / pow2_at_least(inner, 32);
    if (along < tile.by) tile.by = along;
    tile.lanes_along_axis = false;
  }
  tile.bx = kBlockThreads / tile.by;
  return tile;
}

/// This thread's row within the tile (tx) and lane along the axis (ty).
__device__ __forceinline__ void axis_tile_position(const AxisTile& tile, int* tx, int* ty) {
  const int t = static_cast<int>(threadIdx.x);
  *tx = tile.lanes_along_axis ? t / tile.by : t % tile.bx;
  *ty = tile.lanes_along_axis ? t % tile.by : t / tile.bx;
}

/// Tree-combines partial[ty * bx + tx] over ty into partial[tx] (row 0) with F::combine; every
/// thread of the block must call it. The caller reads partial[tx], then synchronises before
/// writing `partial` again.
template <class F, class Acc>
__device__ __forceinline__ void combine_along_axis(Acc* partial, const AxisTile& tile, int tx,
                                                   int ty) {
  __syncthreads();
  for (int s = tile.by / 2; s > 0; s /= 2) {
    if (ty < s) {
      partial[ty * tile.bx + tx] =
          F::combine(partial[ty * tile.bx + tx], partial[(ty + s) * tile.bx + tx]);
    }
    __syncthreads();
  }
}

}  // namespace ember::cuda
