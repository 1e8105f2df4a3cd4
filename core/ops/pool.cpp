// Pooling ops: max and average pooling with their gradients as ops, global pooling (reductions)
// and upsampling (nearest: a broadcast; bilinear: gathers and a lerp).
#include "core/ops/pool.h"

#include <algorithm>
#include <cmath>

#include "core/autodiff/gradients.h"
#include "core/constant.h"
#include "core/error.h"
#include "core/ops/conv_support.h"
#include "core/ops/elementwise.h"
#include "core/ops/index.h"
#include "core/ops/op_support.h"
#include "core/ops/reduce.h"
#include "core/ops/run_op.h"
#include "core/ops/shape.h"

namespace ember {
namespace {

using detail::check_rank4;

Tensor pool_forward(PoolMode mode, const char* op, const Tensor& x, const Pool2DOptions& options) {
  detail::check_image_operands(op, x, {});
  check_rank4(op, x, "x");
  const Pool2DArgs a = detail::pool2d_args(op, mode, x.shape(), x.dtype(), options);
  // x: (N, H, W, C)  ->  y: (N, OH, OW, C)
  Tensor y = detail::empty(detail::pool2d_output_shape(a), x.dtype(), x.device());
  if (y.size() > 0) detail::backend_of(y).pool2d_forward(a, x.raw_data(), detail::mutable_data(y));
  return y;
}

Tensor max_pool2d_forward(const Tensor& x, const Pool2DOptions& options) {
  return pool_forward(PoolMode::max, "max_pool2d", x, options);
}

Tensor avg_pool2d_forward(const Tensor& x, const Pool2DOptions& options) {
  return pool_forward(PoolMode::average, "avg_pool2d", x, options);
}

Tensor max_pool2d_backward_forward(const Tensor& x, const Tensor& y, const Tensor& dy,
                                   const Pool2DOptions& options) {
  constexpr const char* op = "max_pool2d_backward";
  detail::check_image_operands(op, x, {&y, &dy});
  check_rank4(op, x, "x");
  const Pool2DArgs a = detail::pool2d_args(op, PoolMode::max, x.shape(), x.dtype(), options);
  const Shape out = detail::pool2d_output_shape(a);
  detail::check_shape(op, y, out, "y (max_pool2d's output)");
  detail::check_shape(op, dy, out, "dy");
  // x: (N, H, W, C)  y, dy: (N, OH, OW, C)  ->  dx: (N, H, W, C)
  Tensor dx = detail::empty(x.shape(), x.dtype(), x.device());
  if (dx.size() > 0) {
    detail::backend_of(dx).pool2d_backward(a, x.raw_data(), y.raw_data(), dy.raw_data(),
                                           detail::mutable_data(dx));
  }
  return dx;
}

Tensor avg_pool2d_backward_forward(const Shape& input_shape, const Tensor& dy,
                                   const Pool2DOptions& options) {
  constexpr const char* op = "avg_pool2d_backward";
  detail::check_image_operands(op, dy, {});
  if (input_shape.rank() != 4)
    throw ShapeError(cat(op, ": expected input_shape of rank 4, got ", input_shape));
  const Pool2DArgs a = detail::pool2d_args(op, PoolMode::average, input_shape, dy.dtype(), options);
  detail::check_shape(op, dy, detail::pool2d_output_shape(a), "dy");
  // dy: (N, OH, OW, C)  ->  dx: (N, H, W, C)
  Tensor dx = detail::empty(input_shape, dy.dtype(), dy.device());
  if (dx.size() > 0) {
    detail::backend_of(dx).pool2d_backward(a, nullptr, nullptr, dy.raw_data(),
                                           detail::mutable_data(dx));
  }
  return dx;
}

}  // namespace

Tensor max_pool2d(const Tensor& x, const Pool2DOptions& options) {
  return detail::run_op("max_pool2d", max_pool2d_forward, grad::max_pool2d_gradient, x, options);
}

Tensor avg_pool2d(const Tensor& x, const Pool2DOptions& options) {
  return detail::run_op("avg_pool2d", avg_pool2d_forward, grad::avg_pool2d_gradient, x, options);
}

Tensor max_pool2d_backward(const Tensor& x, const Tensor& y, const Tensor& dy,
                           const Pool2DOptions& options) {
  return detail::run_op("max_pool2d_backward", max_pool2d_backward_forward,
                        grad::max_pool2d_backward_gradient, x, y, dy, options);
}

Tensor avg_pool2d_backward(const Shape& input_shape, const Tensor& dy,
                           const Pool2DOptions& options) {
  return detail::run_op("avg_pool2d_backward", avg_pool2d_backward_forward,
                        grad::avg_pool2d_backward_gradient, input_shape, dy, options);
}

Tensor global_average_pool2d(const Tensor& x, bool keepdims) {
  detail::check_image_operands("global_average_pool2d", x, {});
  check_rank4("global_average_pool2d", x, "x");
  return reduce_mean(x, {1, 2}, keepdims);
}

Tensor global_max_pool2d(const Tensor& x, bool keepdims) {
  detail::check_image_operands("global_max_pool2d", x, {});
  check_rank4("global_max_pool2d", x, "x");
  return reduce_max(x, {1, 2}, keepdims);
}

namespace {

/// Bilinear resampling of `axis` (1 or 2) of x from `in` to in·factor positions, as
/// tf.image.resize: output position o reads source position (o + ½)/factor − ½, between its two
/// neighbours (clamped to the edges), in ops (two gathers and a lerp) so it is differentiable.
Tensor bilinear_axis(const Tensor& x, int axis, std::int64_t factor) {
  const std::int64_t in = x.shape(axis), out = in * factor;
  std::vector<std::int64_t> lower(static_cast<std::size_t>(out)), upper(lower.size());
  std::vector<double> weight(lower.size());
  for (std::int64_t o = 0; o < out; ++o) {
    const double source = (static_cast<double>(o) + 0.5) / static_cast<double>(factor) - 0.5;
    const double below = std::floor(source);
    lower[o] = std::max<std::int64_t>(static_cast<std::int64_t>(below), 0);
    upper[o] = std::min<std::int64_t>(static_cast<std::int64_t>(std::ceil(source)), in - 1);
    weight[o] = source - below;
  }
  std::vector<std::int64_t> weight_shape(4, 1);
  weight_shape[static_cast<std::size_t>(axis)] = out;
  const Tensor lerp = cast(constant(weight, Shape(weight_shape)), x.dtype()).to(x.device());
  const Tensor top = gather(x, lower, axis), bottom = gather(x, upper, axis);
  return top + (bottom - top) * lerp;
}

}  // namespace

Tensor upsampling2d(const Tensor& x, Size2D size, const std::string& interpolation) {
  detail::check_defined(x, "upsampling2d");
  check_rank4("upsampling2d", x, "x");
  if (size.height < 1 || size.width < 1) {
    throw Error(
        cat("upsampling2d: size must be positive, got (", size.height, ", ", size.width, ")"));
  }
  if (interpolation == "bilinear") {
    detail::check_floating("upsampling2d", x);
    return bilinear_axis(bilinear_axis(x, 1, size.height), 2, size.width);
  }
  if (interpolation != "nearest") {
    throw Error(cat("upsampling2d: interpolation must be \"nearest\" or \"bilinear\", got \"",
                    interpolation, "\""));
  }
  // (N, H, W, C) -> (N, H, 1, W, 1, C) broadcast to (N, H, sh, W, sw, C) -> (N, H·sh, W·sw, C)
  const std::int64_t n = x.shape(0), h = x.shape(1), w = x.shape(2), c = x.shape(3);
  const Tensor spread =
      broadcast_to(reshape(x, {n, h, 1, w, 1, c}), {n, h, size.height, w, size.width, c});
  return reshape(spread, {n, h * size.height, w * size.width, c});
}

}  // namespace ember
