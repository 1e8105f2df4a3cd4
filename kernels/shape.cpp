// Data movement on the CPU: strided copies (transpose, slicing, broadcast, concat, pad) and gather.
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

template <class Index>
void gather_typed(const char* x, std::size_t row_bytes, std::int64_t outer,
                  std::int64_t axis_size, const Index* indices, std::int64_t count, char* out) {
  parallel_for(outer * count, std::max<std::int64_t>(1, kParallelGrain * 4 / static_cast<std::int64_t>(row_bytes + 1)),
               [&](std::int64_t begin, std::int64_t end) {
                 for (std::int64_t t = begin; t < end; ++t) {
                   const std::int64_t o = t / count, k = t % count;
                   const std::int64_t index = static_cast<std::int64_t>(indices[k]);
                   char* dst = out + t * row_bytes;
                   if (index < 0 || index >= axis_size) {
                     std::memset(dst, 0, row_bytes);
                   } else {
                     std::memcpy(dst, x + (o * axis_size + index) * row_bytes, row_bytes);
                   }
                 }
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

void gather(std::size_t element_size, const void* x, std::int64_t outer, std::int64_t axis_size,
            std::int64_t inner, DType index_dtype, const void* indices, std::int64_t count,
            void* out) {
  const std::size_t row_bytes = element_size * static_cast<std::size_t>(inner);
  if (index_dtype == DType::int32) {
    gather_typed(static_cast<const char*>(x), row_bytes, outer, axis_size,
                 static_cast<const std::int32_t*>(indices), count, static_cast<char*>(out));
  } else {
    gather_typed(static_cast<const char*>(x), row_bytes, outer, axis_size,
                 static_cast<const std::int64_t*>(indices), count, static_cast<char*>(out));
  }
}

}  // namespace ember::cpu

namespace ember::cpu {
namespace {

// Columns (o, i) are independent, so threads split them; each walks k in order, which keeps the
// sums deterministic.
template <class T, class Index>
void scatter_add_typed(const T* updates, std::int64_t outer, std::int64_t axis_size,
                       std::int64_t inner, const Index* indices, std::int64_t count, T* out) {
  parallel_for(outer * inner, std::max<std::int64_t>(1, kParallelGrain / std::max<std::int64_t>(count, 1)),
               [&](std::int64_t begin, std::int64_t end) {
                 for (std::int64_t t = begin; t < end; ++t) {
                   const std::int64_t o = t / inner, i = t % inner;
                   for (std::int64_t k = 0; k < count; ++k) {
                     const auto index = static_cast<std::int64_t>(indices[k]);
                     if (index < 0 || index >= axis_size) continue;
                     out[(o * axis_size + index) * inner + i] += updates[(o * count + k) * inner + i];
                   }
                 }
               });
}

template <class T>
void scatter_add_values(const void* updates, std::int64_t outer, std::int64_t axis_size,
                        std::int64_t inner, DType index_dtype, const void* indices,
                        std::int64_t count, void* out) {
  if (index_dtype == DType::int32) {
    scatter_add_typed(static_cast<const T*>(updates), outer, axis_size, inner,
                      static_cast<const std::int32_t*>(indices), count, static_cast<T*>(out));
  } else {
    scatter_add_typed(static_cast<const T*>(updates), outer, axis_size, inner,
                      static_cast<const std::int64_t*>(indices), count, static_cast<T*>(out));
  }
}

}  // namespace

void scatter_add(DType dtype, const void* updates, std::int64_t outer, std::int64_t axis_size,
                 std::int64_t inner, DType index_dtype, const void* indices, std::int64_t count,
                 void* out) {
  if (dtype == DType::float32) {
    scatter_add_values<float>(updates, outer, axis_size, inner, index_dtype, indices, count, out);
  } else {
    scatter_add_values<double>(updates, outer, axis_size, inner, index_dtype, indices, count, out);
  }
}

}  // namespace ember::cpu
