// gather, and scatter_add, its transpose (the gradient of gather). gather moves raw words (only
// the element size matters); scatter_add adds repeated indices up through atomics, so the order
// of the sums (and their last bits) may vary from run to run, unless op determinism is on: then
// one thread owns each output column and adds the updates in index order.
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "cuda/cuda_check.h"
#include "cuda/kernel_support.cuh"
#include "cuda/launch.h"

namespace ember::cuda {
namespace {

// --- kernels ----------------------------------------------------------------------------------

// x: (outer, axis_size, words) indices: (count,)  ->  out: (outer, count, words); a row whose
// index is out of range reads as zeros.
template <class Word, class IndexT, class Div>
__global__ void gather_kernel(const Word* x, std::int64_t axis_size, std::int64_t words,
                              const IndexT* indices, std::int64_t count, Word* out,
                              std::int64_t n) {
  for (std::int64_t t = global_thread_index(); t < n; t += grid_thread_count()) {
    const Div rest = static_cast<Div>(t) / static_cast<Div>(words);
    const Div w = static_cast<Div>(t) - rest * static_cast<Div>(words);
    const Div o = rest / static_cast<Div>(count);
    const Div k = rest - o * static_cast<Div>(count);
    const auto index = static_cast<std::int64_t>(indices[k]);
    out[t] = (index < 0 || index >= axis_size)
                 ? Word{}
                 : x[(static_cast<std::int64_t>(o) * axis_size + index) * words + w];
  }
}

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

// The same without atomics: thread (o, i) walks the indices in order and adds each update to
// its column, so repeated indices are summed in one fixed order (config::enable_op_determinism).
// Only outer * inner threads: slower than the atomic version when count is large.
template <class T, class IndexT>
__global__ void scatter_add_ordered_kernel(const T* updates, std::int64_t axis_size,
                                           std::int64_t inner, const IndexT* indices,
                                           std::int64_t count, T* out, std::int64_t columns) {
  for (std::int64_t t = global_thread_index(); t < columns; t += grid_thread_count()) {
    const std::int64_t o = t / inner, i = t - o * inner;
    for (std::int64_t k = 0; k < count; ++k) {
      const auto index = static_cast<std::int64_t>(indices[k]);
      if (index < 0 || index >= axis_size) continue;
      out[(o * axis_size + index) * inner + i] += updates[(o * count + k) * inner + i];
    }
  }
}

// --- helpers ----------------------------------------------------------------------------------

template <class Word, class IndexT>
void gather_words(const void* x, std::int64_t outer, std::int64_t axis_size, std::int64_t words,
                  const IndexT* indices, std::int64_t count, void* out, const StreamContext& ctx) {
  const std::int64_t n = outer * count * words;
  const auto* in = static_cast<const Word*>(x);
  auto* o = static_cast<Word*>(out);
  if (fits_uint32(n)) {
    gather_kernel<Word, IndexT, std::uint32_t>
        <<<grid_blocks(n, ctx), kBlockThreads, 0, ctx.stream>>>(in, axis_size, words, indices,
                                                                count, o, n);
  } else {
    gather_kernel<Word, IndexT, std::int64_t>
        <<<grid_blocks(n, ctx), kBlockThreads, 0, ctx.stream>>>(in, axis_size, words, indices,
                                                                count, o, n);
  }
  EMBER_CUDA_CHECK_LAUNCH();
}

// Rows move in the widest word that divides the row and the alignment of both arrays.
template <class IndexT>
void gather_typed(std::size_t row_bytes, const void* x, std::int64_t outer, std::int64_t axis_size,
                  const IndexT* indices, std::int64_t count, void* out, const StreamContext& ctx) {
  const auto alignment =
      reinterpret_cast<std::uintptr_t>(x) | reinterpret_cast<std::uintptr_t>(out);
  auto fits = [&](std::size_t word) { return row_bytes % word == 0 && alignment % word == 0; };
  const auto words = [&](std::size_t word) { return static_cast<std::int64_t>(row_bytes / word); };
  if (fits(16)) {
    gather_words<uint4>(x, outer, axis_size, words(16), indices, count, out, ctx);
  } else if (fits(8)) {
    gather_words<std::uint64_t>(x, outer, axis_size, words(8), indices, count, out, ctx);
  } else if (fits(4)) {
    gather_words<std::uint32_t>(x, outer, axis_size, words(4), indices, count, out, ctx);
  } else if (fits(2)) {
    gather_words<std::uint16_t>(x, outer, axis_size, words(2), indices, count, out, ctx);
  } else {
    gather_words<std::uint8_t>(x, outer, axis_size, words(1), indices, count, out, ctx);
  }
}

template <class T, class IndexT>
void scatter_add_typed(const void* updates, std::int64_t outer, std::int64_t axis_size,
                       std::int64_t inner, const void* indices, std::int64_t count, void* out,
                       bool deterministic, const StreamContext& ctx) {
  const std::int64_t n = outer * count * inner;
  if (n == 0) return;
  if (deterministic) {
    const std::int64_t columns = outer * inner;
    scatter_add_ordered_kernel<T, IndexT>
        <<<grid_blocks(columns, ctx), kBlockThreads, 0, ctx.stream>>>(
            static_cast<const T*>(updates), axis_size, inner, static_cast<const IndexT*>(indices),
            count, static_cast<T*>(out), columns);
    EMBER_CUDA_CHECK_LAUNCH();
    return;
  }
  scatter_add_kernel<T, IndexT><<<grid_blocks(n, ctx), kBlockThreads, 0, ctx.stream>>>(
      static_cast<const T*>(updates), axis_size, inner, static_cast<const IndexT*>(indices), count,
      static_cast<T*>(out), n);
  EMBER_CUDA_CHECK_LAUNCH();
}

template <class T>
void scatter_add_values(const void* updates, std::int64_t outer, std::int64_t axis_size,
                        std::int64_t inner, DType index_dtype, const void* indices,
                        std::int64_t count, void* out, bool deterministic,
                        const StreamContext& ctx) {
  if (index_dtype == DType::int32) {
    scatter_add_typed<T, std::int32_t>(updates, outer, axis_size, inner, indices, count, out,
                                       deterministic, ctx);
  } else {
    scatter_add_typed<T, std::int64_t>(updates, outer, axis_size, inner, indices, count, out,
                                       deterministic, ctx);
  }
}

}  // namespace

// --- launchers --------------------------------------------------------------------------------

void launch_gather(std::size_t element_size, const void* x, std::int64_t outer,
                   std::int64_t axis_size, std::int64_t inner, DType index_dtype,
                   const void* indices, std::int64_t count, void* out, const StreamContext& ctx) {
  const std::size_t row_bytes = element_size * static_cast<std::size_t>(inner);
  if (outer <= 0 || count <= 0 || row_bytes == 0) return;
  if (index_dtype == DType::int32) {
    gather_typed(row_bytes, x, outer, axis_size, static_cast<const std::int32_t*>(indices), count,
                 out, ctx);
  } else {
    gather_typed(row_bytes, x, outer, axis_size, static_cast<const std::int64_t*>(indices), count,
                 out, ctx);
  }
}

void launch_scatter_add(DType dtype, const void* updates, std::int64_t outer,
                        std::int64_t axis_size, std::int64_t inner, DType index_dtype,
                        const void* indices, std::int64_t count, void* out, bool deterministic,
                        const StreamContext& ctx) {
  if (dtype == DType::float32) {
    scatter_add_values<float>(updates, outer, axis_size, inner, index_dtype, indices, count, out,
                              deterministic, ctx);
  } else {
    scatter_add_values<double>(updates, outer, axis_size, inner, index_dtype, indices, count, out,
                               deterministic, ctx);
  }
}

}  // namespace ember::cuda
