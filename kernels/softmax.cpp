// softmax and log_softmax over the middle axis of [outer, n, inner] on the CPU: shifted by the
// maximum for stability, the sum of exponentials accumulated in float64.
#include <algorithm>
#include <cmath>

#include "kernels/cpu_kernels.h"
#include "kernels/parallel.h"

namespace ember::cpu {
namespace {

template <class T>
void softmax_typed(bool log, const T* x, T* y, std::int64_t outer, std::int64_t n,
                   std::int64_t inner) {
  parallel_for(outer * inner, std::max<std::int64_t>(1, 4096 / std::max<std::int64_t>(n, 1)),
               [&](std::int64_t begin, std::int64_t end) {
                 for (std::int64_t t = begin; t < end; ++t) {
                   const std::int64_t o = t / inner, i = t % inner;
                   const T* in = x + o * n * inner + i;
                   T* out = y + o * n * inner + i;
                   T max = in[0];
                   for (std::int64_t j = 1; j < n; ++j)
                     max = in[j * inner] > max ? in[j * inner] : max;
                   double sum = 0;
                   for (std::int64_t j = 0; j < n; ++j)
                     sum += std::exp(static_cast<double>(in[j * inner] - max));
                   if (log) {
                     const T log_sum = static_cast<T>(std::log(sum));
                     for (std::int64_t j = 0; j < n; ++j)
                       out[j * inner] = in[j * inner] - max - log_sum;
                   } else {
                     const double scale = 1.0 / sum;
                     for (std::int64_t j = 0; j < n; ++j) {
                       out[j * inner] = static_cast<T>(
                           std::exp(static_cast<double>(in[j * inner] - max)) * scale);
                     }
                   }
                 }
               });
}

}  // namespace

void softmax(bool log, DType dtype, const void* x, void* y, std::int64_t outer, std::int64_t n,
             std::int64_t inner) {
  if (dtype == DType::float32) {
    softmax_typed(log, static_cast<const float*>(x), static_cast<float*>(y), outer, n, inner);
  } else {
    softmax_typed(log, static_cast<const double*>(x), static_cast<double*>(y), outer, n, inner);
  }
}

}  // namespace ember::cpu
