// Gathering and its adjoint on the CPU: gather copies whole rows of the inner axes; scatter_add
// sums rows back into place (repeated indices add up, in order, so results are deterministic).
// Out-of-range indices were refused by the op layer; here they read zeros and add nothing.
#include <algorithm>
#include <cstring>

#include "kernels/cpu_kernels.h"
#include "kernels/parallel.h"

namespace ember::cpu {
namespace {

template <class Index>
void gather_typed(const char* x, std::size_t row_bytes, std::int64_t outer, std::int64_t axis_size,
                  const Index* indices, std::int64_t count, char* out) {
  parallel_for(
      outer * count,
      std::max<std::int64_t>(1, kParallelGrain * 4 / static_cast<std::int64_t>(row_bytes + 1)),
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

// Columns (o, i) are independent, so threads split them; each walks k in order, which keeps the
// sums deterministic.
template <class T, class Index>
void scatter_add_typed(const T* updates, std::int64_t outer, std::int64_t axis_size,
                       std::int64_t inner, const Index* indices, std::int64_t count, T* out) {
  parallel_for(
      outer * inner, std::max<std::int64_t>(1, kParallelGrain / std::max<std::int64_t>(count, 1)),
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
