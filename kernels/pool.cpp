// Max and average pooling of NHWC images on the CPU, every floating dtype (float16 and bfloat16
// compared and summed in float and double, their values moved as they are). Pooling is
// memory-bound, so these are plain loops with the channels innermost (contiguous). The backward
// pass hands each thread whole images (blocks of channels): no two threads write one element
// and the order of the sums is fixed (the CUDA kernels in cuda/pool.cu, a gather, add in the
// same order).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "core/error.h"
#include "kernels/cpu_kernels.h"
#include "kernels/parallel.h"

namespace ember::cpu {
namespace {

// The rows [begin, end) of the input that window `o` covers (clipped to the image).
struct Span {
  std::int64_t begin, end;
};
Span window_span(std::int64_t o, std::int64_t stride, std::int64_t pad, std::int64_t window,
                 std::int64_t size) {
  const std::int64_t start = o * stride - pad;
  return {start < 0 ? 0 : start, start + window > size ? size : start + window};
}

// The type a 16-bit value is compared in; the others compare as they are.
template <class T>
using wide_t = std::conditional_t<is_half_type_v<T>, float, T>;
template <class T>
wide_t<T> wide(T v) {
  return static_cast<wide_t<T>>(v);
}

template <class T>
void forward(const Pool2DArgs& a, const T* x, T* y) {
  using W = wide_t<T>;
  const std::int64_t c_count = a.channels;
  parallel_for(
      a.batch * a.out_height,
      std::max<std::int64_t>(1, 8192 / std::max<std::int64_t>(1, a.out_width * c_count)),
      [&](std::int64_t begin, std::int64_t end) {
        std::vector<double> sums(static_cast<std::size_t>(c_count));
        // A 16-bit maximum is kept in float and stored once (exactly: it is one of the
        // inputs), so the loop below vectorises; other types keep it in the output.
        std::vector<W> wide_best(is_half_type_v<T> ? static_cast<std::size_t>(c_count) : 0);
        for (std::int64_t t = begin; t < end; ++t) {
          const std::int64_t n = t / a.out_height, oh = t % a.out_height;
          const Span rows =
              window_span(oh, a.stride_height, a.pad_top, a.window_height, a.in_height);
          for (std::int64_t ow = 0; ow < a.out_width; ++ow) {
            const Span cols =
                window_span(ow, a.stride_width, a.pad_left, a.window_width, a.in_width);
            T* out = y + (t * a.out_width + ow) * c_count;
            W* best_of = nullptr;
            if constexpr (is_half_type_v<T>) {
              best_of = wide_best.data();
            } else {
              best_of = out;
            }
            if (a.mode == PoolMode::max) {
              for (std::int64_t c = 0; c < c_count; ++c)
                best_of[c] = -std::numeric_limits<W>::infinity();
            } else {
              std::fill(sums.begin(), sums.end(), 0.0);
            }
            for (std::int64_t ih = rows.begin; ih < rows.end; ++ih) {
              for (std::int64_t iw = cols.begin; iw < cols.end; ++iw) {
                const T* in = x + ((n * a.in_height + ih) * a.in_width + iw) * c_count;
                if (a.mode == PoolMode::max) {
                  // The first maximum wins; a NaN wins over numbers and stays (as in
                  // reduce_max). Without branches, so the loop vectorises.
                  for (std::int64_t c = 0; c < c_count; ++c) {
                    const W best = best_of[c], v = wide(in[c]);
                    const bool take = (best == best) & ((v > best) | (v != v));
                    best_of[c] = take ? v : best;
                  }
                } else {
                  for (std::int64_t c = 0; c < c_count; ++c) sums[c] += static_cast<double>(in[c]);
                }
              }
            }
            if constexpr (is_half_type_v<T>) {
              if (a.mode == PoolMode::max) {
                for (std::int64_t c = 0; c < c_count; ++c) out[c] = T(best_of[c]);
              }
            }
            if (a.mode == PoolMode::average) {
              const double count =
                  static_cast<double>((rows.end - rows.begin) * (cols.end - cols.begin));
              for (std::int64_t c = 0; c < c_count; ++c) out[c] = static_cast<T>(sums[c] / count);
            }
          }
        }
      });
}

template <class T>
void backward(const Pool2DArgs& a, const T* x, const T* y, const T* dy, T* dx) {
  const std::int64_t C = a.channels, H = a.in_height, W = a.in_width, OH = a.out_height,
                     OW = a.out_width;
  constexpr std::int64_t kBlock = 64;  // channels per task: contiguous, so the loops vectorise
  const std::int64_t blocks = (C + kBlock - 1) / kBlock;
  // Each task owns one image's block of channels: it walks the windows in order (oh, ow
  // ascending) and adds each window's gradient where it belongs — the first maximum of the
  // window (the value the forward pass kept), or evenly for average pooling. No two tasks write
  // one element, and every element sums its windows in the same order as the CUDA kernels'
  // gather, in float64.
  parallel_for(a.batch * blocks, 1, [&](std::int64_t begin, std::int64_t end) {
    std::vector<double> sums(static_cast<std::size_t>(H * W * kBlock));
    std::int32_t first[kBlock];  // per channel: the first position of the window holding the result
    for (std::int64_t t = begin; t < end; ++t) {
      const std::int64_t n = t / blocks, c0 = (t % blocks) * kBlock, nc = std::min(kBlock, C - c0);
      std::fill(sums.begin(), sums.end(), 0.0);
      const T* x_image = x == nullptr ? nullptr : x + n * H * W * C + c0;
      for (std::int64_t oh = 0; oh < OH; ++oh) {
        const Span rows = window_span(oh, a.stride_height, a.pad_top, a.window_height, H);
        for (std::int64_t ow = 0; ow < OW; ++ow) {
          const Span cols = window_span(ow, a.stride_width, a.pad_left, a.window_width, W);
          const std::int64_t o = ((n * OH + oh) * OW + ow) * C + c0;
          if (a.mode == PoolMode::average) {
            const double count =
                static_cast<double>((rows.end - rows.begin) * (cols.end - cols.begin));
            for (std::int64_t h = rows.begin; h < rows.end; ++h) {
              for (std::int64_t w = cols.begin; w < cols.end; ++w) {
                double* s = &sums[static_cast<std::size_t>((h * W + w) * kBlock)];
                for (std::int64_t c = 0; c < nc; ++c)
                  s[c] += static_cast<double>(dy[o + c]) / count;
              }
            }
            continue;
          }
          // The first position holding the forward result (the first NaN when it is NaN).
          const T* result = y + o;
          constexpr std::int32_t kNone = std::numeric_limits<std::int32_t>::max();
          std::fill(first, first + nc, kNone);
          for (std::int64_t h = rows.begin; h < rows.end; ++h) {
            for (std::int64_t w = cols.begin; w < cols.end; ++w) {
              const T* v = x_image + (h * W + w) * C;
              const auto position =
                  static_cast<std::int32_t>(h * W + w);  // ascending: min keeps the first
              for (std::int64_t c = 0; c < nc; ++c) {    // branch-free, so it vectorises
                const auto value = wide(v[c]), kept = wide(result[c]);
                const bool match = (value == kept) | ((kept != kept) & (value != value));
                first[c] = std::min(first[c], match ? position : kNone);
              }
            }
          }
          for (std::int64_t c = 0; c < nc; ++c) {
            if (first[c] != kNone)
              sums[static_cast<std::size_t>(first[c]) * kBlock + static_cast<std::size_t>(c)] +=
                  static_cast<double>(dy[o + c]);
          }
        }
      }
      T* dx_image = dx + n * H * W * C + c0;
      for (std::int64_t p = 0; p < H * W; ++p) {
        for (std::int64_t c = 0; c < nc; ++c) {
          dx_image[p * C + c] = static_cast<T>(sums[static_cast<std::size_t>(p * kBlock + c)]);
        }
      }
    }
  });
}

}  // namespace

void pool2d_forward(const Pool2DArgs& a, const void* x, void* y) {
  dispatch_floating_or_half(a.dtype, [&](auto zero) {
    using T = decltype(zero);
    forward(a, static_cast<const T*>(x), static_cast<T*>(y));
  });
}

void pool2d_backward(const Pool2DArgs& a, const void* x, const void* y, const void* dy, void* dx) {
  dispatch_floating_or_half(a.dtype, [&](auto zero) {
    using T = decltype(zero);
    backward(a, static_cast<const T*>(x), static_cast<const T*>(y), static_cast<const T*>(dy),
             static_cast<T*>(dx));
  });
}

}  // namespace ember::cpu
