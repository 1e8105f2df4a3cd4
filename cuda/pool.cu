// Max and average pooling of NHWC images, forward and backward, with the CPU's rules
// (kernels/pool.cpp): windows clipped to the image (so TensorFlow's asymmetric SAME padding
// needs no special case, which cuDNN's symmetric pooling descriptors would), the average over
// the elements inside the image, the gradient of max pooling to the first maximum of a window.
// The backward pass is a gather, one thread per input element: no atomics, a fixed summation
// order, and the same ties as the CPU.
#include <cuda_runtime.h>

#include <cstdint>
#include <limits>

#include "core/backend/elementwise_math.h"
#include "cuda/cuda_check.h"
#include "cuda/kernel_support.cuh"
#include "cuda/launch.h"

namespace ember::cuda {
namespace {

// --- kernels ----------------------------------------------------------------------------------

struct Span {
  std::int64_t begin, end;
};

// The input rows [begin, end) window o covers, clipped to the image.
__device__ __forceinline__ Span window_span(std::int64_t o, std::int64_t stride, std::int64_t pad,
                                            std::int64_t window, std::int64_t size) {
  const std::int64_t start = o * stride - pad;
  return {start < 0 ? 0 : start, start + window > size ? size : start + window};
}

// The windows [begin, end) that contain input position i.
__device__ __forceinline__ Span covering_windows(std::int64_t i, std::int64_t stride,
                                                 std::int64_t pad, std::int64_t window,
                                                 std::int64_t outputs) {
  const std::int64_t p = i + pad;
  const std::int64_t first = p - window + 1 <= 0 ? 0 : (p - window + stride) / stride;
  const std::int64_t last = p / stride + 1;
  return {first, last > outputs ? outputs : last};
}

// x: (N, H, W, C)  ->  y: (N, OH, OW, C), one thread per output element (channels fastest, so
// neighbouring threads read neighbouring addresses).
template <class T>
__global__ void pool_forward_kernel(Pool2DArgs a, const T* x, T* y, std::int64_t n) {
  for (std::int64_t t = global_thread_index(); t < n; t += grid_thread_count()) {
    const std::int64_t c = t % a.channels;
    std::int64_t rest = t / a.channels;
    const std::int64_t ow = rest % a.out_width;
    rest /= a.out_width;
    const std::int64_t oh = rest % a.out_height, image = rest / a.out_height;
    const Span rows = window_span(oh, a.stride_height, a.pad_top, a.window_height, a.in_height);
    const Span cols = window_span(ow, a.stride_width, a.pad_left, a.window_width, a.in_width);
    const T* base = x + image * a.in_height * a.in_width * a.channels + c;
    if (a.mode == PoolMode::max) {
      T best = -std::numeric_limits<T>::infinity();
      for (std::int64_t h = rows.begin; h < rows.end; ++h) {
        for (std::int64_t w = cols.begin; w < cols.end; ++w) {
          const T v = base[(h * a.in_width + w) * a.channels];
          if (!math::is_nan(best) && (v > best || math::is_nan(v))) best = v;
        }
      }
      y[t] = best;
    } else {
      double sum = 0;
      for (std::int64_t h = rows.begin; h < rows.end; ++h) {
        for (std::int64_t w = cols.begin; w < cols.end; ++w)
          sum += static_cast<double>(base[(h * a.in_width + w) * a.channels]);
      }
      y[t] = static_cast<T>(sum /
                            static_cast<double>((rows.end - rows.begin) * (cols.end - cols.begin)));
    }
  }
}

// Whether (ih, iw) is the first element of the window (rows x cols) that holds `result`, scanning
// row by row: the element max pooling passes the gradient to. x_image points at channel c.
template <class T>
__device__ bool is_first_maximum(const Pool2DArgs& a, const T* x_image, Span rows, Span cols,
                                 std::int64_t ih, std::int64_t iw, T result) {
  const bool result_is_nan = math::is_nan(result);
  for (std::int64_t h = rows.begin; h < rows.end; ++h) {
    for (std::int64_t w = cols.begin; w < cols.end; ++w) {
      const T v = x_image[(h * a.in_width + w) * a.channels];
      if (v == result || (result_is_nan && math::is_nan(v))) return h == ih && w == iw;
    }
  }
  return false;
}

// dy: (N, OH, OW, C)  ->  dx: (N, H, W, C), one thread per input element summing the windows
// that cover it (for max pooling: those whose first maximum it is).
template <class T>
__global__ void pool_backward_kernel(Pool2DArgs a, const T* x, const T* y, const T* dy, T* dx,
                                     std::int64_t n) {
  for (std::int64_t t = global_thread_index(); t < n; t += grid_thread_count()) {
    const std::int64_t c = t % a.channels;
    std::int64_t rest = t / a.channels;
    const std::int64_t iw = rest % a.in_width;
    rest /= a.in_width;
    const std::int64_t ih = rest % a.in_height, image = rest / a.in_height;
    const Span ohs =
        covering_windows(ih, a.stride_height, a.pad_top, a.window_height, a.out_height);
    const Span ows = covering_windows(iw, a.stride_width, a.pad_left, a.window_width, a.out_width);
    const T* x_image =
        a.mode == PoolMode::max ? x + image * a.in_height * a.in_width * a.channels + c : nullptr;
    double sum = 0;
    for (std::int64_t oh = ohs.begin; oh < ohs.end; ++oh) {
      for (std::int64_t ow = ows.begin; ow < ows.end; ++ow) {
        const std::int64_t o = ((image * a.out_height + oh) * a.out_width + ow) * a.channels + c;
        const Span rows = window_span(oh, a.stride_height, a.pad_top, a.window_height, a.in_height);
        const Span cols = window_span(ow, a.stride_width, a.pad_left, a.window_width, a.in_width);
        if (a.mode == PoolMode::average) {
          sum += static_cast<double>(dy[o]) /
                 static_cast<double>((rows.end - rows.begin) * (cols.end - cols.begin));
          continue;
        }
        const T result = y[o];
        const T here = x_image[(ih * a.in_width + iw) * a.channels];
        if (!(here == result || (math::is_nan(result) && math::is_nan(here)))) continue;
        const bool first = is_first_maximum(a, x_image, rows, cols, ih, iw, result);
        if (first) sum += static_cast<double>(dy[o]);
      }
    }
    dx[t] = static_cast<T>(sum);
  }
}

template <class F>
void floating_dispatch(DType dtype, F&& f) {
  if (dtype == DType::float64) {
    f(double{});
  } else {
    f(float{});
  }
}

}  // namespace

// --- launchers ----------------------------------------------------------------------------------

void launch_pool2d_forward(const Pool2DArgs& a, const void* x, void* y, const StreamContext& ctx) {
  const std::int64_t n = a.batch * a.out_height * a.out_width * a.channels;
  if (n <= 0) return;
  floating_dispatch(a.dtype, [&](auto zero) {
    using T = decltype(zero);
    pool_forward_kernel<T><<<grid_blocks(n, ctx), kBlockThreads, 0, ctx.stream>>>(
        a, static_cast<const T*>(x), static_cast<T*>(y), n);
    EMBER_CUDA_CHECK_LAUNCH();
  });
}

void launch_pool2d_backward(const Pool2DArgs& a, const void* x, const void* y, const void* dy,
                            void* dx, const StreamContext& ctx) {
  const std::int64_t n = a.batch * a.in_height * a.in_width * a.channels;
  if (n <= 0) return;
  floating_dispatch(a.dtype, [&](auto zero) {
    using T = decltype(zero);
    pool_backward_kernel<T><<<grid_blocks(n, ctx), kBlockThreads, 0, ctx.stream>>>(
        a, static_cast<const T*>(x), static_cast<const T*>(y), static_cast<const T*>(dy),
        static_cast<T*>(dx), n);
    EMBER_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace ember::cuda
