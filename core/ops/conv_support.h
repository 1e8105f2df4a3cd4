// Shape rules and argument checks of the convolution and pooling ops (internal): TensorFlow's
// output sizes and padding, turned into the backend argument packs of core/backend/kernel_types.h.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>

#include "core/backend/kernel_types.h"
#include "core/ops/conv.h"
#include "core/ops/pool.h"

namespace ember::detail {

/// Whether `padding` is "same" (true) or "valid" (false), in either case; throws Error naming
/// `op` otherwise.
bool is_same_padding(const std::string& padding, const char* op);

/// The output length and the padding before/after of one spatial axis under TensorFlow's rule.
/// Throws ShapeError when a "valid" window does not fit (output size zero or less).
struct AxisGeometry {
  std::int64_t output = 0, pad_before = 0, pad_after = 0;
};
AxisGeometry axis_geometry(std::int64_t input, std::int64_t window, std::int64_t stride,
                           std::int64_t dilation, bool same, const char* op, const char* axis);

/// The output length of a transposed convolution along one axis (Keras' deconv_output_length):
/// without output_padding in·stride ("same") or in·stride + max(kernel − stride, 0) ("valid");
/// with it (in − 1)·stride + kernel − 2·pad + output_padding, pad = kernel // 2 for "same".
/// (A negative input, an unknown size, gives -1.)
std::int64_t transposed_length(std::int64_t input, std::int64_t window, std::int64_t stride,
                               std::int64_t dilation, bool same,
                               std::optional<std::int64_t> output_padding = std::nullopt);

/// The arguments of conv2d for an input of `x` and a filter of `filter` (shapes of rank 4),
/// after every check; `op` names the op in messages.
Conv2DArgs conv2d_args(const char* op, const Shape& x, const Shape& filter, DType dtype,
                       const Conv2DOptions& options);
/// The NHWC output shape of a convolution described by `args`.
Shape conv2d_output_shape(const Conv2DArgs& args);
/// The filter shape (kh, kw, in/groups, out) of `args`.
Shape conv2d_filter_shape(const Conv2DArgs& args);

/// The arguments of a pooling op on input `x` (rank 4), after every check.
Pool2DArgs pool2d_args(const char* op, PoolMode mode, const Shape& x, DType dtype,
                       const Pool2DOptions& options);
Shape pool2d_output_shape(const Pool2DArgs& args);

/// Throws ShapeError unless `t` has rank 4; `what` names it ("x", "filter", "dy").
void check_rank4(const char* op, const Tensor& t, const char* what);
/// Throws ShapeError unless `t` has exactly `expected` as its shape.
void check_shape(const char* op, const Tensor& t, const Shape& expected, const char* what);
/// The checks every image op shares: defined, floating, same device and dtype as `x`.
void check_image_operands(const char* op, const Tensor& x,
                          std::initializer_list<const Tensor*> others);

}  // namespace ember::detail
