// Convolutions on the CPU. float32 goes to oneDNN's primitives when ember is built with it
// (kernels/conv_onednn.cpp); every floating dtype has the reference here: im2col + gemm.
//
// The reference works a few whole images at a time: their patches are unrolled into a column
// matrix col (rows (n, oh, ow), columns (group, i, j, c)), so that each group's convolution is
// one matrix product with its slice of the (kh·kw·cg, out) filter, which the gemm primitive
// reads in place through its leading dimensions. The data gradient is the product the other way
// round followed by col2im, written as a gather (each input element sums the column entries that
// read it), so threads never write to the same element and the sums have a fixed order.
#include <algorithm>
#include <vector>

#include "core/error.h"
#include "kernels/cpu_kernels.h"
#include "kernels/parallel.h"

namespace ember::cpu {
namespace {

// Elements of the column buffer worked on at once (16 MiB of float32): big enough for long gemms,
// small enough to stay out of the way of the rest of memory.
constexpr std::int64_t kColumnBudget = std::int64_t{1} << 22;

// Per-thread scratch memory that grows and is reused: a fresh large buffer per call would fault
// its pages in every time.
template <class T>
T* scratch(std::vector<T>& buffer, std::int64_t n) {
  if (static_cast<std::int64_t>(buffer.size()) < n) buffer.resize(static_cast<std::size_t>(n));
  return buffer.data();
}

struct ColumnShape {
  std::int64_t group_width;  // kh·kw·cg: the columns of one group
  std::int64_t width;        // groups · group_width
  std::int64_t image_rows;   // oh·ow
  std::int64_t images_per_chunk;
};

ColumnShape column_shape(const Conv2DArgs& a) {
  ColumnShape s;
  s.group_width = a.kernel_height * a.kernel_width * (a.in_channels / a.groups);
  s.width = a.groups * s.group_width;
  s.image_rows = a.out_height * a.out_width;
  s.images_per_chunk =
      std::max<std::int64_t>(1, kColumnBudget / std::max<std::int64_t>(1, s.image_rows * s.width));
  return s;
}

// col[(n - first) * oh·ow + oh * ow + ow, g, i, j, c] = x[n, ih, iw, g·cg + c] (0 outside x).
template <class T>
void im2col(const Conv2DArgs& a, const T* x, std::int64_t first, std::int64_t count, T* col) {
  const std::int64_t cg = a.in_channels / a.groups;
  const ColumnShape s = column_shape(a);
  parallel_for(
      count * a.out_height,
      std::max<std::int64_t>(1, 4096 / std::max<std::int64_t>(1, a.out_width * s.width)),
      [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t t = begin; t < end; ++t) {
          const std::int64_t n = first + t / a.out_height, oh = t % a.out_height;
          for (std::int64_t ow = 0; ow < a.out_width; ++ow) {
            T* row = col + (t * a.out_width + ow) * s.width;
            for (std::int64_t g = 0; g < a.groups; ++g) {
              for (std::int64_t i = 0; i < a.kernel_height; ++i) {
                const std::int64_t ih = oh * a.stride_height - a.pad_top + i * a.dilation_height;
                for (std::int64_t j = 0; j < a.kernel_width; ++j) {
                  const std::int64_t iw = ow * a.stride_width - a.pad_left + j * a.dilation_width;
                  T* dst = row + g * s.group_width + (i * a.kernel_width + j) * cg;
                  if (ih < 0 || ih >= a.in_height || iw < 0 || iw >= a.in_width) {
                    std::fill(dst, dst + cg, T(0));
                  } else {
                    const T* src =
                        x + ((n * a.in_height + ih) * a.in_width + iw) * a.in_channels + g * cg;
                    std::copy(src, src + cg, dst);
                  }
                }
              }
            }
          }
        }
      });
}

// dx[n, ih, iw, g·cg + c] = sum of the col entries im2col would have filled from it.
template <class T>
void col2im(const Conv2DArgs& a, const T* col, std::int64_t first, std::int64_t count, T* dx) {
  const std::int64_t cg = a.in_channels / a.groups;
  const ColumnShape s = column_shape(a);
  parallel_for(
      count * a.in_height,
      std::max<std::int64_t>(1, 4096 / std::max<std::int64_t>(1, a.in_width * a.in_channels)),
      [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t t = begin; t < end; ++t) {
          const std::int64_t local = t / a.in_height, ih = t % a.in_height;
          T* dx_row = dx + ((first + local) * a.in_height + ih) * a.in_width * a.in_channels;
          std::fill(dx_row, dx_row + a.in_width * a.in_channels, T(0));
          for (std::int64_t i = 0; i < a.kernel_height; ++i) {
            const std::int64_t h = ih + a.pad_top - i * a.dilation_height;
            if (h < 0 || h % a.stride_height != 0 || h / a.stride_height >= a.out_height) continue;
            const std::int64_t oh = h / a.stride_height;
            for (std::int64_t iw = 0; iw < a.in_width; ++iw) {
              T* dst = dx_row + iw * a.in_channels;
              for (std::int64_t j = 0; j < a.kernel_width; ++j) {
                const std::int64_t w = iw + a.pad_left - j * a.dilation_width;
                if (w < 0 || w % a.stride_width != 0 || w / a.stride_width >= a.out_width) continue;
                const T* row =
                    col +
                    ((local * a.out_height + oh) * a.out_width + w / a.stride_width) * s.width;
                for (std::int64_t g = 0; g < a.groups; ++g) {
                  const T* src = row + g * s.group_width + (i * a.kernel_width + j) * cg;
                  for (std::int64_t c = 0; c < cg; ++c) dst[g * cg + c] += src[c];
                }
              }
            }
          }
        }
      });
}

GemmArgs matrix_product(DType dtype, std::int64_t m, std::int64_t n, std::int64_t k) {
  GemmArgs g;
  g.dtype = dtype;
  g.m = m;
  g.n = n;
  g.k = k;
  return g;
}

template <class T>
void forward_reference(const Conv2DArgs& a, const T* x, const T* filter, T* y) {
  thread_local std::vector<T> buffer;
  const ColumnShape s = column_shape(a);
  const std::int64_t og = a.out_channels / a.groups;
  for (std::int64_t first = 0; first < a.batch; first += s.images_per_chunk) {
    const std::int64_t count = std::min(s.images_per_chunk, a.batch - first);
    T* col = scratch(buffer, count * s.image_rows * s.width);
    im2col(a, x, first, count, col);
    for (std::int64_t g = 0; g < a.groups; ++g) {
      // y[rows, g·og:] (rows x og) = col[rows, g] (rows x kh·kw·cg) · filter[:, g·og:]
      GemmArgs p = matrix_product(a.dtype, count * s.image_rows, og, s.group_width);
      p.a = col + g * s.group_width;
      p.lda = s.width;
      p.b = filter + g * og;
      p.ldb = a.out_channels;
      p.c = y + first * s.image_rows * a.out_channels + g * og;
      p.ldc = a.out_channels;
      gemm(p);
    }
  }
}

template <class T>
void backward_data_reference(const Conv2DArgs& a, const T* filter, const T* dy, T* dx) {
  thread_local std::vector<T> buffer;
  const ColumnShape s = column_shape(a);
  const std::int64_t og = a.out_channels / a.groups;
  for (std::int64_t first = 0; first < a.batch; first += s.images_per_chunk) {
    const std::int64_t count = std::min(s.images_per_chunk, a.batch - first);
    T* col = scratch(buffer, count * s.image_rows * s.width);
    for (std::int64_t g = 0; g < a.groups; ++g) {
      // dcol[rows, g] (rows x kh·kw·cg) = dy[rows, g·og:] (rows x og) · filter[:, g·og:]ᵀ
      GemmArgs p = matrix_product(a.dtype, count * s.image_rows, s.group_width, og);
      p.transpose_b = true;
      p.a = dy + first * s.image_rows * a.out_channels + g * og;
      p.lda = a.out_channels;
      p.b = filter + g * og;
      p.ldb = a.out_channels;
      p.c = col + g * s.group_width;
      p.ldc = s.width;
      gemm(p);
    }
    col2im(a, col, first, count, dx);
  }
}

template <class T>
void backward_filter_reference(const Conv2DArgs& a, const T* x, const T* dy, T* dfilter) {
  thread_local std::vector<T> buffer, partial_buffer;
  const ColumnShape s = column_shape(a);
  const std::int64_t og = a.out_channels / a.groups;
  std::fill(dfilter, dfilter + s.group_width * a.out_channels, T(0));
  T* partial = scratch(partial_buffer, s.group_width * og);
  for (std::int64_t first = 0; first < a.batch; first += s.images_per_chunk) {
    const std::int64_t count = std::min(s.images_per_chunk, a.batch - first);
    T* col = scratch(buffer, count * s.image_rows * s.width);
    im2col(a, x, first, count, col);
    for (std::int64_t g = 0; g < a.groups; ++g) {
      // partial (kh·kw·cg x og) = col[rows, g]ᵀ · dy[rows, g·og:], summed into the filter slice
      GemmArgs p = matrix_product(a.dtype, s.group_width, og, count * s.image_rows);
      p.transpose_a = true;
      p.a = col + g * s.group_width;
      p.lda = s.width;
      p.b = dy + first * s.image_rows * a.out_channels + g * og;
      p.ldb = a.out_channels;
      p.c = partial;
      p.ldc = og;
      gemm(p);
      for (std::int64_t r = 0; r < s.group_width; ++r) {
        T* dst = dfilter + r * a.out_channels + g * og;
        const T* src = partial + r * og;
        for (std::int64_t o = 0; o < og; ++o) dst[o] += src[o];
      }
    }
  }
}

}  // namespace

void conv2d_forward(const Conv2DArgs& a, const void* x, const void* filter, void* y) {
#if EMBER_WITH_ONEDNN
  if (a.dtype != DType::float64) {  // float32, or 16-bit where onednn_conv2d_supports says
    onednn_conv2d_forward(a, x, filter, y);
    return;
  }
#endif
  dispatch_floating(a.dtype, [&](auto zero) {
    using T = decltype(zero);
    forward_reference(a, static_cast<const T*>(x), static_cast<const T*>(filter),
                      static_cast<T*>(y));
  });
}

void conv2d_backward_data(const Conv2DArgs& a, const void* filter, const void* dy, void* dx) {
#if EMBER_WITH_ONEDNN
  if (a.dtype != DType::float64) {
    onednn_conv2d_backward_data(a, filter, dy, dx);
    return;
  }
#endif
  dispatch_floating(a.dtype, [&](auto zero) {
    using T = decltype(zero);
    backward_data_reference(a, static_cast<const T*>(filter), static_cast<const T*>(dy),
                            static_cast<T*>(dx));
  });
}

void conv2d_backward_filter(const Conv2DArgs& a, const void* x, const void* dy, void* dfilter) {
#if EMBER_WITH_ONEDNN
  if (a.dtype != DType::float64) {
    onednn_conv2d_backward_filter(a, x, dy, dfilter);
    return;
  }
#endif
  dispatch_floating(a.dtype, [&](auto zero) {
    using T = decltype(zero);
    backward_filter_reference(a, static_cast<const T*>(x), static_cast<const T*>(dy),
                              static_cast<T*>(dfilter));
  });
}

}  // namespace ember::cpu
