// Batch normalization in training mode on the CPU, every floating dtype: statistics per channel
// over the rows of x viewed as (rows, channels). Memory-bound, so plain loops over contiguous rows.
// Sums accumulate in float64 over fixed chunks of rows combined in order, so the results do not
// depend on the number of threads; the variance is the mean of squared deviations from the mean
// (two passes), which stays accurate when the mean is large.
#include <cmath>
#include <vector>

#include "core/error.h"
#include "kernels/cpu_kernels.h"
#include "kernels/parallel.h"

namespace ember::cpu {
namespace {

constexpr std::int64_t kRowsPerChunk = 256;

// sums[c] = sum over rows r of term(r, c), in float64.
template <class Term>
std::vector<double> channel_sums(std::int64_t rows, std::int64_t channels, const Term& term) {
  const std::int64_t chunks = (rows + kRowsPerChunk - 1) / kRowsPerChunk;
  std::vector<double> partial(static_cast<std::size_t>(chunks * channels), 0.0);
  parallel_for(
      chunks, std::max<std::int64_t>(1, 4096 / std::max<std::int64_t>(1, kRowsPerChunk * channels)),
      [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t k = begin; k < end; ++k) {
          double* acc = partial.data() + k * channels;
          const std::int64_t last = std::min(rows, (k + 1) * kRowsPerChunk);
          for (std::int64_t r = k * kRowsPerChunk; r < last; ++r) {
            for (std::int64_t c = 0; c < channels; ++c) acc[c] += term(r, c);
          }
        }
      });
  std::vector<double> sums(static_cast<std::size_t>(channels), 0.0);
  for (std::int64_t k = 0; k < chunks; ++k) {
    for (std::int64_t c = 0; c < channels; ++c) sums[c] += partial[k * channels + c];
  }
  return sums;
}

template <class Body>
void for_rows(std::int64_t rows, std::int64_t channels, const Body& body) {
  parallel_for(rows,
               std::max<std::int64_t>(1, kParallelGrain / std::max<std::int64_t>(1, channels)),
               [&](std::int64_t begin, std::int64_t end) {
                 for (std::int64_t r = begin; r < end; ++r) body(r);
               });
}

template <class T>
void forward_training(const BatchNormArgs& a, const T* x, const T* scale, const T* offset, T* y,
                      T* mean_out, T* variance_out, T* inv_std_out) {
  const std::int64_t m = a.rows, ch = a.channels;
  const double count = static_cast<double>(m);
  std::vector<double> mean =
      channel_sums(m, ch, [&](std::int64_t r, std::int64_t c) { return double(x[r * ch + c]); });
  for (double& v : mean) v /= count;
  std::vector<double> variance = channel_sums(m, ch, [&](std::int64_t r, std::int64_t c) {
    const double d = double(x[r * ch + c]) - mean[c];
    return d * d;
  });
  std::vector<double> factor(static_cast<std::size_t>(ch)), shift(static_cast<std::size_t>(ch));
  for (std::int64_t c = 0; c < ch; ++c) {
    variance[c] /= count;
    const double inv_std = 1.0 / std::sqrt(variance[c] + a.epsilon);
    mean_out[c] = static_cast<T>(mean[c]);
    variance_out[c] = static_cast<T>(variance[c]);
    inv_std_out[c] = static_cast<T>(inv_std);
    factor[c] = inv_std * double(scale[c]);
    shift[c] = double(offset[c]) - mean[c] * factor[c];
  }
  for_rows(m, ch, [&](std::int64_t r) {
    for (std::int64_t c = 0; c < ch; ++c)
      y[r * ch + c] = static_cast<T>(double(x[r * ch + c]) * factor[c] + shift[c]);
  });
}

template <class T>
void backward(const BatchNormArgs& a, const T* x, const T* dy, const T* scale, const T* mean,
              const T* inv_std, T* dx, T* dscale, T* doffset) {
  const std::int64_t m = a.rows, ch = a.channels;
  const double count = static_cast<double>(m);
  const std::vector<double> dy_sum =
      channel_sums(m, ch, [&](std::int64_t r, std::int64_t c) { return double(dy[r * ch + c]); });
  // sum(dy · x̂) with x̂ = (x − mean) · inv_std
  const std::vector<double> dy_xhat_sum = channel_sums(m, ch, [&](std::int64_t r, std::int64_t c) {
    return double(dy[r * ch + c]) * (double(x[r * ch + c]) - double(mean[c])) * double(inv_std[c]);
  });
  std::vector<double> gain(static_cast<std::size_t>(ch));
  for (std::int64_t c = 0; c < ch; ++c) {
    doffset[c] = static_cast<T>(dy_sum[c]);
    dscale[c] = static_cast<T>(dy_xhat_sum[c]);
    gain[c] = double(scale[c]) * double(inv_std[c]);
  }
  // dx = scale · inv_std · (dy − mean(dy) − x̂ · mean(dy · x̂))
  for_rows(m, ch, [&](std::int64_t r) {
    for (std::int64_t c = 0; c < ch; ++c) {
      const double xhat = (double(x[r * ch + c]) - double(mean[c])) * double(inv_std[c]);
      dx[r * ch + c] = static_cast<T>(
          gain[c] * (double(dy[r * ch + c]) - dy_sum[c] / count - xhat * dy_xhat_sum[c] / count));
    }
  });
}

}  // namespace

void batch_norm_forward_training(const BatchNormArgs& a, const void* x, const void* scale,
                                 const void* offset, void* y, void* mean, void* variance,
                                 void* inv_std) {
  dispatch_floating(a.dtype, [&](auto zero) {
    using T = decltype(zero);
    forward_training(a, static_cast<const T*>(x), static_cast<const T*>(scale),
                     static_cast<const T*>(offset), static_cast<T*>(y), static_cast<T*>(mean),
                     static_cast<T*>(variance), static_cast<T*>(inv_std));
  });
}

void batch_norm_backward(const BatchNormArgs& a, const void* x, const void* dy, const void* scale,
                         const void* mean, const void* inv_std, void* dx, void* dscale,
                         void* doffset) {
  dispatch_floating(a.dtype, [&](auto zero) {
    using T = decltype(zero);
    backward(a, static_cast<const T*>(x), static_cast<const T*>(dy), static_cast<const T*>(scale),
             static_cast<const T*>(mean), static_cast<const T*>(inv_std), static_cast<T*>(dx),
             static_cast<T*>(dscale), static_cast<T*>(doffset));
  });
}

}  // namespace ember::cpu
