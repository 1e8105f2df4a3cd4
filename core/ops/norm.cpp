// Batch normalization (training mode through the backend's fused primitive, inference mode as a
// formula of ops) and dropout.
#include "core/ops/norm.h"

#include <cmath>
#include <limits>

#include "core/autodiff/gradients.h"
#include "core/error.h"
#include "core/ops/conv_support.h"
#include "core/ops/elementwise.h"
#include "core/ops/op_support.h"
#include "core/ops/reduce.h"
#include "core/ops/run_op.h"

namespace ember {
namespace {

void check_per_channel(const char* op, const Tensor& t, std::int64_t channels, const char* what,
                       const Tensor& x) {
  if (t.rank() != 1 || t.shape(0) != channels) {
    throw ShapeError(cat(op, ": expected ", what, " of shape (", channels,
                         ",) (one value per channel of x ", x.shape(), "), got ", t.shape()));
  }
}

BatchNormArgs batch_norm_args(const Tensor& x, double epsilon) {
  BatchNormArgs a;
  a.dtype = x.dtype();
  a.channels = x.shape(-1);
  a.rows = a.channels > 0 ? x.size() / a.channels : 0;
  a.epsilon = epsilon;
  return a;
}

}  // namespace

namespace detail {

namespace {

BatchNormGradients batch_norm_backward_forward(const Tensor& x, const Tensor& dy,
                                               const Tensor& scale, const Tensor& mean,
                                               const Tensor& inv_std, double epsilon) {
  const BatchNormArgs a = batch_norm_args(x, epsilon);
  BatchNormGradients g{empty(x.shape(), x.dtype(), x.device()),
                       empty(scale.shape(), x.dtype(), x.device()),
                       empty(scale.shape(), x.dtype(), x.device())};
  if (a.rows > 0 && a.channels > 0) {
    backend_of(x).batch_norm_backward(a, x.raw_data(), dy.raw_data(), scale.raw_data(),
                                      mean.raw_data(), inv_std.raw_data(), mutable_data(g.dx),
                                      mutable_data(g.dscale), mutable_data(g.doffset));
  } else if (a.channels > 0) {
    g.dscale = full(scale.shape(), x.dtype(), x.device(), ScalarValue{});
    g.doffset = g.dscale;
  }
  return g;
}

}  // namespace

BatchNormGradients batch_norm_backward(const Tensor& x, const Tensor& dy, const Tensor& scale,
                                       const Tensor& mean, const Tensor& inv_std, double epsilon) {
  return run_op("batch_norm_backward", batch_norm_backward_forward, no_gradient, x, dy, scale, mean,
                inv_std, epsilon);
}

}  // namespace detail

namespace {

FusedBatchNormResult fused_batch_norm_forward(const Tensor& x, const Tensor& scale,
                                              const Tensor& offset, double epsilon) {
  constexpr const char* op = "fused_batch_norm";
  detail::check_image_operands(op, x, {&scale, &offset});
  if (x.rank() < 1)
    throw ShapeError(cat(op, ": expected x with a channel axis (rank >= 1), got a scalar"));
  const std::int64_t channels = x.shape(-1);
  check_per_channel(op, scale, channels, "scale", x);
  check_per_channel(op, offset, channels, "offset", x);
  if (!(epsilon >= 0) || !std::isfinite(epsilon))
    throw Error(cat(op, ": epsilon must be >= 0, got ", epsilon));
  const BatchNormArgs a = batch_norm_args(x, epsilon);
  // x: (..., C)  scale, offset: (C,)  ->  y: (..., C); mean, variance, inv_std: (C,)
  FusedBatchNormResult r{detail::empty(x.shape(), x.dtype(), x.device()), {}, {}};
  Tensor inv_std;  // the backend writes it; the gradient recomputes it from the variance
  if (a.rows > 0 && a.channels > 0) {
    r.mean = detail::empty({channels}, x.dtype(), x.device());
    r.variance = detail::empty({channels}, x.dtype(), x.device());
    inv_std = detail::empty({channels}, x.dtype(), x.device());
    detail::backend_of(x).batch_norm_forward_training(
        a, x.raw_data(), scale.raw_data(), offset.raw_data(), detail::mutable_data(r.y),
        detail::mutable_data(r.mean), detail::mutable_data(r.variance),
        detail::mutable_data(inv_std));
  } else {
    // No rows: the statistics of nothing are NaN (as in TensorFlow).
    const ScalarValue nan{std::numeric_limits<double>::quiet_NaN()};
    r.mean = detail::full({channels}, x.dtype(), x.device(), nan);
    r.variance = detail::full({channels}, x.dtype(), x.device(), nan);
    inv_std = detail::full({channels}, x.dtype(), x.device(), nan);
  }
  return r;
}

}  // namespace

FusedBatchNormResult fused_batch_norm(const Tensor& x, const Tensor& scale, const Tensor& offset,
                                      double epsilon) {
  return detail::run_op("fused_batch_norm", fused_batch_norm_forward,
                        grad::fused_batch_norm_gradient, x, scale, offset, epsilon);
}

Tensor batch_normalization(const Tensor& x, const Tensor& mean, const Tensor& variance,
                           const std::optional<Tensor>& offset, const std::optional<Tensor>& scale,
                           double epsilon) {
  constexpr const char* op = "batch_normalization";
  detail::check_image_operands(op, x, {&mean, &variance});
  if (offset) detail::check_image_operands(op, x, {&*offset});
  if (scale) detail::check_image_operands(op, x, {&*scale});
  if (!(epsilon >= 0) || !std::isfinite(epsilon))
    throw Error(cat(op, ": epsilon must be >= 0, got ", epsilon));
  // TensorFlow's formula: x · inv + (offset − mean · inv) with inv = scale / sqrt(variance + ε).
  Tensor inv = rsqrt(variance + epsilon);
  if (scale) inv = inv * *scale;
  const Tensor shift = offset ? *offset - mean * inv : negative(mean * inv);
  return x * inv + shift;
}

Tensor dropout(const Tensor& x, double rate, std::optional<random::Generator> generator) {
  detail::check_defined(x, "dropout");
  detail::check_floating("dropout", x);
  if (!(rate >= 0 && rate < 1)) throw Error(cat("dropout: rate must be in [0, 1), got ", rate));
  if (rate == 0) return x;
  const DeviceScope on_input_device(x.device());
  const random::UniformOptions uniform{.dtype = x.dtype()};
  const Tensor draws =
      generator ? generator->uniform(x.shape(), uniform) : random::uniform(x.shape(), uniform);
  return where(draws >= rate, x * (1.0 / (1.0 - rate)), 0);
}

}  // namespace ember
