#include "core/ops/conv_support.h"

#include <algorithm>
#include <cctype>

#include "core/config.h"
#include "core/error.h"
#include "core/ops/op_support.h"

namespace ember::detail {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

void check_positive(const char* op, const char* what, Size2D size) {
  if (size.height < 1 || size.width < 1) {
    throw Error(
        cat(op, ": ", what, " must be positive, got (", size.height, ", ", size.width, ")"));
  }
}

}  // namespace

bool is_same_padding(const std::string& padding, const char* op) {
  const std::string p = lower(padding);
  if (p == "same") return true;
  if (p == "valid") return false;
  throw Error(cat(op, ": padding must be \"valid\" or \"same\", got \"", padding, "\""));
}

AxisGeometry axis_geometry(std::int64_t input, std::int64_t window, std::int64_t stride,
                           std::int64_t dilation, bool same, const char* op, const char* axis) {
  const std::int64_t dilated = (window - 1) * dilation + 1;
  AxisGeometry g;
  if (same) {
    g.output = (input + stride - 1) / stride;
    const std::int64_t total = std::max<std::int64_t>((g.output - 1) * stride + dilated - input, 0);
    g.pad_before = total / 2;
    g.pad_after = total - g.pad_before;
    return g;
  }
  if (input < dilated) {
    throw ShapeError(cat(op, ": the input ", axis, " ", input, " is smaller than the ",
                         dilation > 1 ? "dilated " : "", "window ", dilated,
                         " with padding \"valid\" (the output size would be zero or negative)"));
  }
  g.output = (input - dilated) / stride + 1;
  return g;
}

std::int64_t transposed_length(std::int64_t input, std::int64_t window, std::int64_t stride,
                               std::int64_t dilation, bool same,
                               std::optional<std::int64_t> output_padding) {
  if (input < 0) return -1;
  const std::int64_t dilated = (window - 1) * dilation + 1;
  if (output_padding)
    return (input - 1) * stride + dilated - 2 * (same ? dilated / 2 : 0) + *output_padding;
  return same ? input * stride : input * stride + std::max<std::int64_t>(dilated - stride, 0);
}

void check_rank4(const char* op, const Tensor& t, const char* what) {
  if (t.rank() != 4) {
    const bool image = std::string(what) == "x" || std::string(what) == "dy";
    throw ShapeError(
        cat(op, ": expected ", what, " of rank 4 ",
            image ? "(batch, height, width, channels)" : "(kernel_height, kernel_width, in, out)",
            ", got shape ", t.shape()));
  }
}

void check_shape(const char* op, const Tensor& t, const Shape& expected, const char* what) {
  if (t.shape() != expected) {
    throw ShapeError(cat(op, ": expected ", what, " of shape ", expected, ", got ", t.shape()));
  }
}

void check_image_operands(const char* op, const Tensor& x,
                          std::initializer_list<const Tensor*> others) {
  check_defined(x, op);
  check_floating(op, x);
  for (const Tensor* t : others) {
    check_defined(*t, op);
    check_same_device(op, x, *t);
    check_same_dtype(op, x, *t);
  }
}

Conv2DArgs conv2d_args(const char* op, const Shape& x, const Shape& filter, DType dtype,
                       const Conv2DOptions& o) {
  check_positive(op, "strides", o.strides);
  check_positive(op, "dilation_rate", o.dilation_rate);
  const bool same = is_same_padding(o.padding, op);
  const std::int64_t in_channels = x[3], filter_in = filter[2], out_channels = filter[3];
  if (in_channels <= 0)
    throw ShapeError(cat(op, ": x has no channels: x ", x, ", filter ", filter));
  if (filter_in <= 0 || in_channels % filter_in != 0) {
    throw ShapeError(cat(op, ": the filter's input channels (", filter_in,
                         ") must divide the input's channels (", in_channels, "): x ", x,
                         ", filter ", filter));
  }
  const std::int64_t groups = in_channels / filter_in;
  if (out_channels % groups != 0) {
    throw ShapeError(cat(op, ": the filter's output channels (", out_channels,
                         ") must be a multiple of the ", groups, " groups (input channels ",
                         in_channels, " / filter input channels ", filter_in, "): x ", x,
                         ", filter ", filter));
  }
  if (filter[0] < 1 || filter[1] < 1)
    throw ShapeError(cat(op, ": empty filter window: filter ", filter));
  const AxisGeometry rows =
      axis_geometry(x[1], filter[0], o.strides.height, o.dilation_rate.height, same, op, "height");
  const AxisGeometry cols =
      axis_geometry(x[2], filter[1], o.strides.width, o.dilation_rate.width, same, op, "width");
  Conv2DArgs a;
  a.dtype = dtype;
  a.batch = x[0];
  a.in_height = x[1];
  a.in_width = x[2];
  a.in_channels = in_channels;
  a.out_height = rows.output;
  a.out_width = cols.output;
  a.out_channels = out_channels;
  a.kernel_height = filter[0];
  a.kernel_width = filter[1];
  a.stride_height = o.strides.height;
  a.stride_width = o.strides.width;
  a.dilation_height = o.dilation_rate.height;
  a.dilation_width = o.dilation_rate.width;
  a.pad_top = rows.pad_before;
  a.pad_bottom = rows.pad_after;
  a.pad_left = cols.pad_before;
  a.pad_right = cols.pad_after;
  a.groups = groups;
  a.allow_tf32 = config::tf32_enabled();
  return a;
}

Shape conv2d_output_shape(const Conv2DArgs& a) {
  return Shape{a.batch, a.out_height, a.out_width, a.out_channels};
}

Shape conv2d_filter_shape(const Conv2DArgs& a) {
  return Shape{a.kernel_height, a.kernel_width, a.in_channels / a.groups, a.out_channels};
}

Pool2DArgs pool2d_args(const char* op, PoolMode mode, const Shape& x, DType dtype,
                       const Pool2DOptions& o) {
  const Size2D strides = o.strides.value_or(o.ksize);
  check_positive(op, "ksize", o.ksize);
  check_positive(op, "strides", strides);
  const bool same = is_same_padding(o.padding, op);
  const AxisGeometry rows =
      axis_geometry(x[1], o.ksize.height, strides.height, 1, same, op, "height");
  const AxisGeometry cols = axis_geometry(x[2], o.ksize.width, strides.width, 1, same, op, "width");
  Pool2DArgs a;
  a.dtype = dtype;
  a.mode = mode;
  a.batch = x[0];
  a.channels = x[3];
  a.in_height = x[1];
  a.in_width = x[2];
  a.out_height = rows.output;
  a.out_width = cols.output;
  a.window_height = o.ksize.height;
  a.window_width = o.ksize.width;
  a.stride_height = strides.height;
  a.stride_width = strides.width;
  a.pad_top = rows.pad_before;
  a.pad_left = cols.pad_before;
  return a;
}

Shape pool2d_output_shape(const Pool2DArgs& a) {
  return Shape{a.batch, a.out_height, a.out_width, a.channels};
}

}  // namespace ember::detail
