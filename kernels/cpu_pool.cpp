// Max and average pooling of NHWC images on the CPU, every floating dtype. Pooling is
// memory-bound, so these are plain loops with the channels innermost (contiguous). The backward
// pass is a gather: each input element sums the gradients of the windows that cover it, so no
// two threads write one element and the order of the sums is fixed (the CUDA kernels in
// cuda/pooling.cu follow the same rules).
#include <cmath>
#include <limits>
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

// The windows [begin, end) along one axis that contain input position i.
Span covering_windows(std::int64_t i, std::int64_t stride, std::int64_t pad, std::int64_t window,
                      std::int64_t outputs) {
  const std::int64_t p = i + pad;  // windows o with o·stride <= p < o·stride + window
  const std::int64_t first = p - window + 1 <= 0 ? 0 : (p - window + stride) / stride;
  const std::int64_t last = p / stride;  // inclusive
  return {first, last + 1 > outputs ? outputs : last + 1};
}

template <class T>
bool replaces(T candidate, T best) {
  // The first maximum wins; a NaN wins over numbers and stays (as in reduce_max).
  if (std::isnan(best)) return false;
  return candidate > best || std::isnan(candidate);
}

template <class T>
void forward(const Pool2DArgs& a, const T* x, T* y) {
  const std::int64_t c_count = a.channels;
  parallel_for(a.batch * a.out_height,
               std::max<std::int64_t>(1, 8192 / std::max<std::int64_t>(1, a.out_width * c_count)),
               [&](std::int64_t begin, std::int64_t end) {
                 std::vector<double> sums(static_cast<std::size_t>(c_count));
                 for (std::int64_t t = begin; t < end; ++t) {
                   const std::int64_t n = t / a.out_height, oh = t % a.out_height;
                   const Span rows =
                       window_span(oh, a.stride_height, a.pad_top, a.window_height, a.in_height);
                   for (std::int64_t ow = 0; ow < a.out_width; ++ow) {
                     const Span cols =
                         window_span(ow, a.stride_width, a.pad_left, a.window_width, a.in_width);
                     T* out = y + (t * a.out_width + ow) * c_count;
                     if (a.mode == PoolMode::max) {
                       for (std::int64_t c = 0; c < c_count; ++c)
                         out[c] = -std::numeric_limits<T>::infinity();
                     } else {
                       std::fill(sums.begin(), sums.end(), 0.0);
                     }
                     for (std::int64_t ih = rows.begin; ih < rows.end; ++ih) {
                       for (std::int64_t iw = cols.begin; iw < cols.end; ++iw) {
                         const T* in = x + ((n * a.in_height + ih) * a.in_width + iw) * c_count;
                         if (a.mode == PoolMode::max) {
                           for (std::int64_t c = 0; c < c_count; ++c) {
                             if (replaces(in[c], out[c])) out[c] = in[c];
                           }
                         } else {
                           for (std::int64_t c = 0; c < c_count; ++c) sums[c] += in[c];
                         }
                       }
                     }
                     if (a.mode == PoolMode::average) {
                       const double count =
                           static_cast<double>((rows.end - rows.begin) * (cols.end - cols.begin));
                       for (std::int64_t c = 0; c < c_count; ++c)
                         out[c] = static_cast<T>(sums[c] / count);
                     }
                   }
                 }
               });
}

// Whether (ih, iw) is the first position of window (oh, ow) that holds the window's result in
// channel c (the element max pooling passes the gradient to).
template <class T>
bool is_first_maximum(const Pool2DArgs& a, const T* x_image, std::int64_t oh, std::int64_t ow,
                      std::int64_t c, std::int64_t ih, std::int64_t iw, T result) {
  const Span rows = window_span(oh, a.stride_height, a.pad_top, a.window_height, a.in_height);
  const Span cols = window_span(ow, a.stride_width, a.pad_left, a.window_width, a.in_width);
  const bool result_is_nan = std::isnan(result);
  for (std::int64_t h = rows.begin; h < rows.end; ++h) {
    for (std::int64_t w = cols.begin; w < cols.end; ++w) {
      const T v = x_image[(h * a.in_width + w) * a.channels + c];
      if (v == result || (result_is_nan && std::isnan(v))) return h == ih && w == iw;
    }
  }
  return false;
}

template <class T>
void backward(const Pool2DArgs& a, const T* x, const T* y, const T* dy, T* dx) {
  const std::int64_t c_count = a.channels;
  parallel_for(
      a.batch * a.in_height,
      std::max<std::int64_t>(1, 8192 / std::max<std::int64_t>(1, a.in_width * c_count)),
      [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t t = begin; t < end; ++t) {
          const std::int64_t n = t / a.in_height, ih = t % a.in_height;
          const T* x_image = x == nullptr ? nullptr : x + n * a.in_height * a.in_width * c_count;
          const Span ohs =
              covering_windows(ih, a.stride_height, a.pad_top, a.window_height, a.out_height);
          for (std::int64_t iw = 0; iw < a.in_width; ++iw) {
            const Span ows =
                covering_windows(iw, a.stride_width, a.pad_left, a.window_width, a.out_width);
            T* out = dx + (t * a.in_width + iw) * c_count;
            for (std::int64_t c = 0; c < c_count; ++c) {
              double sum = 0;
              for (std::int64_t oh = ohs.begin; oh < ohs.end; ++oh) {
                for (std::int64_t ow = ows.begin; ow < ows.end; ++ow) {
                  const std::int64_t o = ((n * a.out_height + oh) * a.out_width + ow) * c_count + c;
                  if (a.mode == PoolMode::average) {
                    const Span rows =
                        window_span(oh, a.stride_height, a.pad_top, a.window_height, a.in_height);
                    const Span cols =
                        window_span(ow, a.stride_width, a.pad_left, a.window_width, a.in_width);
                    sum += static_cast<double>(dy[o]) /
                           static_cast<double>((rows.end - rows.begin) * (cols.end - cols.begin));
                  } else {
                    const T here = x_image[iw * c_count + ih * a.in_width * c_count + c];
                    const bool candidate = here == y[o] || (std::isnan(y[o]) && std::isnan(here));
                    if (candidate && is_first_maximum(a, x_image, oh, ow, c, ih, iw, y[o]))
                      sum += dy[o];
                  }
                }
              }
              out[c] = static_cast<T>(sum);
            }
          }
        }
      });
}

template <class F>
void floating_dispatch(DType dtype, F&& f) {
  switch (dtype) {
    case DType::float32:
      f(float{});
      break;
    case DType::float64:
      f(double{});
      break;
    default:
      EMBER_ASSERT(false && "pooling dtype checked by the op layer");
  }
}

}  // namespace

void pool2d_forward(const Pool2DArgs& a, const void* x, void* y) {
  floating_dispatch(a.dtype, [&](auto zero) {
    using T = decltype(zero);
    forward(a, static_cast<const T*>(x), static_cast<T*>(y));
  });
}

void pool2d_backward(const Pool2DArgs& a, const void* x, const void* y, const void* dy, void* dx) {
  floating_dispatch(a.dtype, [&](auto zero) {
    using T = decltype(zero);
    backward(a, static_cast<const T*>(x), static_cast<const T*>(y), static_cast<const T*>(dy),
             static_cast<T*>(dx));
  });
}

}  // namespace ember::cpu
