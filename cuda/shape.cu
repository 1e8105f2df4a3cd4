// Data movement: strided copies (transpose, slicing, broadcast, concat, pad, reverse) and gather.
// Both move raw words: element types do not matter, only their size.
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "cuda/cuda_check.h"
#include "cuda/kernel_support.cuh"
#include "cuda/launch.h"

namespace ember::cuda {
namespace {

// --- kernels ----------------------------------------------------------------------------------

// src, dst: one shape (the copied region) with their own strides, possibly negative or 0 in src
template <class Word, class Index>
__global__ void strided_copy_kernel(const Word* src, Word* dst, std::int64_t n,
                                    StridedOperands<2> operands) {
  for (std::int64_t i = global_thread_index(); i < n; i += grid_thread_count()) {
    std::int64_t offsets[2];
    strided_offsets<Index>(operands, i, offsets);
    dst[offsets[1]] = src[offsets[0]];
  }
}

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

// --- helpers ----------------------------------------------------------------------------------

// Whether the layout is its shape's row-major layout (size-1 axes may have any stride).
bool is_row_major(const StridedLayout& layout) {
  std::int64_t expected = 1;
  for (int d = layout.rank - 1; d >= 0; --d) {
    if (layout.shape[d] != 1 && layout.strides[d] != expected) return false;
    expected *= layout.shape[d];
  }
  return true;
}

template <class Word>
void strided_copy_typed(const void* src, const StridedLayout& src_layout, void* dst,
                        const StridedLayout& dst_layout, std::int64_t n, const StreamContext& ctx) {
  const StridedLayout* const layouts[2] = {&src_layout, &dst_layout};
  const StridedOperands<2> operands = strided_operands<2>(dst_layout, layouts);
  const auto* s = static_cast<const Word*>(src);
  auto* d = static_cast<Word*>(dst);
  if (fits_uint32(n)) {
    strided_copy_kernel<Word, std::uint32_t>
        <<<grid_blocks(n, ctx), kBlockThreads, 0, ctx.stream>>>(s, d, n, operands);
  } else {
    strided_copy_kernel<Word, std::int64_t>
        <<<grid_blocks(n, ctx), kBlockThreads, 0, ctx.stream>>>(s, d, n, operands);
  }
  EMBER_CUDA_CHECK_LAUNCH();
}

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

}  // namespace

// --- launchers --------------------------------------------------------------------------------

void launch_strided_copy(std::size_t element_size, const void* src, const StridedLayout& src_layout,
                         void* dst, const StridedLayout& dst_layout, const StreamContext& ctx) {
  const std::int64_t n = element_count(dst_layout);
  if (n <= 0) return;
  if (is_row_major(src_layout) && is_row_major(dst_layout)) {
    EMBER_CUDA_CHECK(cudaMemcpyAsync(dst, src, static_cast<std::size_t>(n) * element_size,
                                     cudaMemcpyDeviceToDevice, ctx.stream));
    return;
  }
  switch (element_size) {
    case 1:
      strided_copy_typed<std::uint8_t>(src, src_layout, dst, dst_layout, n, ctx);
      break;
    case 2:
      strided_copy_typed<std::uint16_t>(src, src_layout, dst, dst_layout, n, ctx);
      break;
    case 4:
      strided_copy_typed<std::uint32_t>(src, src_layout, dst, dst_layout, n, ctx);
      break;
    default:
      strided_copy_typed<std::uint64_t>(src, src_layout, dst, dst_layout, n, ctx);
      break;
  }
}

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

}  // namespace ember::cuda
