// Data movement on the CPU: strided copies (transpose, slicing, broadcast, concat, pad).
#include <array>
#include <cstring>

#include "kernels/cpu_kernels.h"
#include "kernels/parallel.h"
#include "kernels/strided_iteration.h"

namespace ember::cpu {
namespace {

template <class Word>
void strided_copy_typed(const Word* src, const StridedLayout& src_layout, Word* dst,
                        const StridedLayout& dst_layout) {
  std::int64_t n = 1;
  for (int d = 0; d < dst_layout.rank; ++d) n *= dst_layout.shape[d];
  const std::array<const StridedLayout*, 2> layouts{&src_layout, &dst_layout};
  parallel_for(n, kParallelGrain, [&](std::int64_t begin, std::int64_t end) {
    for_each_run(dst_layout, layouts, begin, end,
                 [&](std::int64_t, const std::array<std::int64_t, 2>& off, std::int64_t count,
                     const std::array<std::int64_t, 2>& step) {
                   const Word* s = src + off[0];
                   Word* d = dst + off[1];
                   if (step[0] == 1 && step[1] == 1) {
                     std::memcpy(d, s, static_cast<std::size_t>(count) * sizeof(Word));
                   } else {
                     for (std::int64_t j = 0; j < count; ++j) d[j * step[1]] = s[j * step[0]];
                   }
                 });
  });
}

}  // namespace

void strided_copy(std::size_t element_size, const void* src, const StridedLayout& src_layout,
                  void* dst, const StridedLayout& dst_layout) {
  switch (element_size) {
    case 1:
      strided_copy_typed(static_cast<const std::uint8_t*>(src), src_layout,
                         static_cast<std::uint8_t*>(dst), dst_layout);
      break;
    case 2:
      strided_copy_typed(static_cast<const std::uint16_t*>(src), src_layout,
                         static_cast<std::uint16_t*>(dst), dst_layout);
      break;
    case 4:
      strided_copy_typed(static_cast<const std::uint32_t*>(src), src_layout,
                         static_cast<std::uint32_t*>(dst), dst_layout);
      break;
    default:
      strided_copy_typed(static_cast<const std::uint64_t*>(src), src_layout,
                         static_cast<std::uint64_t*>(dst), dst_layout);
      break;
  }
}

}  // namespace ember::cpu
