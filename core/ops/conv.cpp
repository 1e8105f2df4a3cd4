// conv2d and its two gradients (each an op with its own gradient, so convolutions have second
// derivatives), conv2d_transpose and depthwise_conv2d, which are these ops with other shapes.
#include "core/ops/conv.h"

#include "core/autodiff/gradients.h"
#include "core/error.h"
#include "core/ops/conv_support.h"
#include "core/ops/op_support.h"
#include "core/ops/run_op.h"
#include "core/ops/shape.h"

namespace ember {
namespace {

using detail::check_rank4;

// The length of the sum each output element is (zero when a channel count is zero).
std::int64_t contraction(const Conv2DArgs& a) {
  return a.kernel_height * a.kernel_width * (a.groups > 0 ? a.in_channels / a.groups : 0);
}

void check_input_shape(const char* op, const Shape& shape, const char* what) {
  if (shape.rank() != 4) {
    throw ShapeError(cat(op, ": expected ", what, " of rank 4, got ", shape));
  }
  for (std::int64_t d : shape) {
    if (d < 0) throw ShapeError(cat(op, ": ", what, " ", shape, " has a negative dimension"));
  }
}

Tensor conv2d_forward(const Tensor& x, const Tensor& filter, const Conv2DOptions& options) {
  constexpr const char* op = "conv2d";
  detail::check_image_operands(op, x, {&filter});
  check_rank4(op, x, "x");
  check_rank4(op, filter, "filter");
  const Conv2DArgs a = detail::conv2d_args(op, x.shape(), filter.shape(), x.dtype(), options);
  // x: (N, H, W, C)  filter: (KH, KW, C/G, O)  ->  y: (N, OH, OW, O)
  const Shape y_shape = detail::conv2d_output_shape(a);
  Tensor y;
  if (contraction(a) == 0 || x.size() == 0) {
    y = detail::full(y_shape, x.dtype(), x.device(), ScalarValue{});
  } else {
    y = detail::empty(y_shape, x.dtype(), x.device());
    if (y.size() > 0)
      detail::backend_of(y).conv2d_forward(a, x.raw_data(), filter.raw_data(),
                                           detail::mutable_data(y));
  }
  return y;
}

Tensor conv2d_backward_input_forward(const Shape& input_shape, const Tensor& filter,
                                     const Tensor& dy, const Conv2DOptions& options) {
  constexpr const char* op = "conv2d_backward_input";
  detail::check_image_operands(op, dy, {&filter});
  check_input_shape(op, input_shape, "input_shape");
  check_rank4(op, filter, "filter");
  check_rank4(op, dy, "dy");
  const Conv2DArgs a = detail::conv2d_args(op, input_shape, filter.shape(), dy.dtype(), options);
  detail::check_shape(op, dy, detail::conv2d_output_shape(a),
                      "dy (the gradient of the convolution's output)");
  // dy: (N, OH, OW, O)  filter: (KH, KW, C/G, O)  ->  dx: (N, H, W, C)
  Tensor dx;
  if (contraction(a) == 0 || dy.size() == 0 || a.out_channels == 0) {
    dx = detail::full(input_shape, dy.dtype(), dy.device(), ScalarValue{});
  } else {
    dx = detail::empty(input_shape, dy.dtype(), dy.device());
    detail::backend_of(dx).conv2d_backward_data(a, filter.raw_data(), dy.raw_data(),
                                                detail::mutable_data(dx));
  }
  return dx;
}

Tensor conv2d_backward_filter_forward(const Tensor& x, const Shape& filter_shape, const Tensor& dy,
                                      const Conv2DOptions& options) {
  constexpr const char* op = "conv2d_backward_filter";
  detail::check_image_operands(op, x, {&dy});
  check_rank4(op, x, "x");
  check_input_shape(op, filter_shape, "filter_shape");
  check_rank4(op, dy, "dy");
  const Conv2DArgs a = detail::conv2d_args(op, x.shape(), filter_shape, x.dtype(), options);
  detail::check_shape(op, dy, detail::conv2d_output_shape(a),
                      "dy (the gradient of the convolution's output)");
  // x: (N, H, W, C)  dy: (N, OH, OW, O)  ->  dfilter: (KH, KW, C/G, O)
  Tensor dfilter;
  if (contraction(a) == 0 || dy.size() == 0) {
    dfilter = detail::full(filter_shape, x.dtype(), x.device(), ScalarValue{});
  } else {
    dfilter = detail::empty(filter_shape, x.dtype(), x.device());
    detail::backend_of(dfilter).conv2d_backward_filter(a, x.raw_data(), dy.raw_data(),
                                                       detail::mutable_data(dfilter));
  }
  return dfilter;
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& filter, const Conv2DOptions& options) {
  return detail::run_op("conv2d", conv2d_forward, grad::conv2d_gradient, x, filter, options);
}

Tensor conv2d_backward_input(const Shape& input_shape, const Tensor& filter, const Tensor& dy,
                             const Conv2DOptions& options) {
  return detail::run_op("conv2d_backward_input", conv2d_backward_input_forward,
                        grad::conv2d_backward_input_gradient, input_shape, filter, dy, options);
}

Tensor conv2d_backward_filter(const Tensor& x, const Shape& filter_shape, const Tensor& dy,
                              const Conv2DOptions& options) {
  return detail::run_op("conv2d_backward_filter", conv2d_backward_filter_forward,
                        grad::conv2d_backward_filter_gradient, x, filter_shape, dy, options);
}

Tensor conv2d_transpose(const Tensor& x, const Tensor& filter, const Conv2DOptions& options) {
  constexpr const char* op = "conv2d_transpose";
  detail::check_image_operands(op, x, {&filter});
  check_rank4(op, x, "x");
  check_rank4(op, filter, "filter");
  if (filter.shape(3) != x.shape(3)) {
    throw ShapeError(cat(op, ": the filter (kernel_height, kernel_width, out, in) has ",
                         filter.shape(3), " input channels but x has ", x.shape(3), ": x ",
                         x.shape(), ", filter ", filter.shape()));
  }
  const bool same = detail::is_same_padding(options.padding, op);
  std::optional<std::int64_t> pad_h, pad_w;
  if (options.output_padding) {
    const Size2D p = *options.output_padding;
    if (p.height < 0 || p.width < 0 || p.height >= options.strides.height ||
        p.width >= options.strides.width) {
      throw Error(cat(op, ": output_padding (", p.height, ", ", p.width,
                      ") must be >= 0 and less than the strides (", options.strides.height, ", ",
                      options.strides.width, ")"));
    }
    pad_h = p.height;
    pad_w = p.width;
  }
  // The transposed convolution is the data gradient of the convolution from the output shape
  // back to x's shape, so the filter is that convolution's (KH, KW, O, C) filter as it is.
  const Shape out{x.shape(0),
                  detail::transposed_length(x.shape(1), filter.shape(0), options.strides.height,
                                            options.dilation_rate.height, same, pad_h),
                  detail::transposed_length(x.shape(2), filter.shape(1), options.strides.width,
                                            options.dilation_rate.width, same, pad_w),
                  filter.shape(2)};
  if (out[1] < 1 || out[2] < 1) {
    throw ShapeError(cat(op, ": the output would be ", out, " for x ", x.shape(), " and filter ",
                         filter.shape()));
  }
  return conv2d_backward_input(out, filter, x, options);
}

Tensor depthwise_conv2d(const Tensor& x, const Tensor& filter, const Conv2DOptions& options) {
  constexpr const char* op = "depthwise_conv2d";
  detail::check_image_operands(op, x, {&filter});
  check_rank4(op, x, "x");
  check_rank4(op, filter, "filter");
  if (filter.shape(2) != x.shape(3)) {
    throw ShapeError(cat(op,
                         ": the filter (kernel_height, kernel_width, in, depth_multiplier) has ",
                         filter.shape(2), " input channels but x has ", x.shape(3), ": x ",
                         x.shape(), ", filter ", filter.shape()));
  }
  // A grouped convolution with one input channel per group: filter (KH, KW, C, M) read as
  // (KH, KW, 1, C·M), whose output channel c·M + m is the depthwise channel (c, m).
  const Tensor grouped =
      reshape(filter, {filter.shape(0), filter.shape(1), 1, filter.shape(2) * filter.shape(3)});
  return conv2d(x, grouped, options);
}

}  // namespace ember
