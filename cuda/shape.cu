// Data movement: strided copies (transpose, slicing, broadcast, concat, pad, reverse). They move
// raw words: element types do not matter, only their size.
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

}  // namespace ember::cuda
