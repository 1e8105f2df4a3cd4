#include "layers/normalization/normalization_layers.h"

#include <numeric>

#include "core/autodiff/gradient_tape.h"
#include "core/error.h"
#include "core/ops.h"
#include "layers/convolutional/conv_shapes.h"

namespace ember::layers {

BatchNormalizationLayer::BatchNormalizationLayer(BatchNormalizationOptions options)
    : Layer({options.name, options.trainable, options.input_shape, options.dtype}),
      options_(std::move(options)) {
  assign_default_name("batch_normalization");
  if (!(options_.epsilon > 0))
    throw Error(cat("BatchNormalization: epsilon must be > 0, got ", options_.epsilon));
  if (!(options_.momentum >= 0 && options_.momentum <= 1)) {
    throw Error(cat("BatchNormalization: momentum must be in [0, 1], got ", options_.momentum));
  }
}

void BatchNormalizationLayer::build(const Shape& input_shape) {
  axis_ = normalize_axis(options_.axis, input_shape.rank(), "BatchNormalization");
  const std::int64_t n = input_shape[axis_];
  if (n < 0) {
    throw ShapeError(cat("axis ", options_.axis, " of the input shape ",
                         keras::shape_string(input_shape), " must be known"));
  }
  if (options_.scale)
    gamma = add_weight("gamma", {n}, options_.gamma_initializer, true, options_.gamma_regularizer,
                       /*autocast=*/false);
  if (options_.center)
    beta = add_weight("beta", {n}, options_.beta_initializer, true, options_.beta_regularizer,
                      /*autocast=*/false);
  // Not autocast, as in Keras 3: the statistics and the affine weights stay in their own dtype
  // under a mixed policy, and the normalization runs in float32 (call).
  moving_mean = add_weight("moving_mean", {n}, options_.moving_mean_initializer, false, {}, false);
  moving_variance =
      add_weight("moving_variance", {n}, options_.moving_variance_initializer, false, {}, false);
}

Tensor BatchNormalizationLayer::call(const Tensor& x, bool training) {
  // Batch statistics overflow and lose their digits in 16 bits: as Keras 3, 16-bit inputs are
  // normalized in float32 and the result is given back in the compute dtype.
  const Tensor y = normalize(is_half(x.dtype()) ? cast(x, float32) : x, training);
  return is_half(compute_dtype()) && y.dtype() != compute_dtype() ? cast(y, compute_dtype()) : y;
}

Tensor BatchNormalizationLayer::normalize(const Tensor& x, bool training) {
  const std::int64_t channels = moving_mean.shape(0);
  if (x.rank() <= axis_ || x.shape(axis_) != channels) {
    throw ShapeError(cat("layer '", name(), "' (BatchNormalization) expects inputs with ", channels,
                         " features on axis ", options_.axis, ", got shape ", x.shape()));
  }
  const bool last = axis_ == x.rank() - 1;
  // Per-feature vectors broadcast against x along `axis_`.
  std::vector<std::int64_t> dims(static_cast<std::size_t>(x.rank() - axis_), 1);
  dims[0] = channels;
  const auto along_axis = [&](const Tensor& v) { return last ? v : reshape(v, Shape(dims)); };
  const auto as_input = [&](const Variable& v) {
    return v.dtype() == x.dtype() ? v.read() : cast(v.read(), x.dtype());
  };
  const std::optional<Tensor> scale =
      options_.scale ? std::optional(as_input(gamma)) : std::nullopt;
  const std::optional<Tensor> offset =
      options_.center ? std::optional(as_input(beta)) : std::nullopt;

  if (!training || !trainable()) {
    return batch_normalization(
        x, along_axis(as_input(moving_mean)), along_axis(as_input(moving_variance)),
        offset ? std::optional(along_axis(*offset)) : std::nullopt,
        scale ? std::optional(along_axis(*scale)) : std::nullopt, options_.epsilon);
  }
  // The fused op normalizes over every axis but the last: move `axis_` there and back.
  std::vector<std::int64_t> perm(static_cast<std::size_t>(x.rank()));
  std::iota(perm.begin(), perm.end(), 0);
  std::swap(perm[axis_], perm.back());
  const Tensor moved = last ? x : transpose(x, perm);
  const DeviceScope on_input_device(x.device());
  const auto result =
      fused_batch_norm(moved, scale ? *scale : ones({channels}, x.dtype()),
                       offset ? *offset : zeros({channels}, x.dtype()), options_.epsilon);
  {
    // Keras 3: moving = moving · momentum + batch · (1 − momentum), with the biased batch
    // variance. State, not part of any gradient: untaped.
    const autodiff::PauseAll untaped;
    const double m = options_.momentum;
    moving_mean.assign(moving_mean.value() * m +
                       cast(result.mean, moving_mean.dtype()) * (1.0 - m));
    moving_variance.assign(moving_variance.value() * m +
                           cast(result.variance, moving_variance.dtype()) * (1.0 - m));
  }
  return last ? result.y : transpose(result.y, perm);
}

std::vector<Shape> BatchNormalizationLayer::compute_output_shape(
    const std::vector<Shape>& input_shapes) {
  const Shape& in = input_shapes.at(0);
  normalize_axis(options_.axis, in.rank(), "BatchNormalization");
  return {in};
}

keras::Config BatchNormalizationLayer::get_config() const {
  keras::Config c = Layer::get_config();
  c["axis"] = options_.axis;
  c["momentum"] = options_.momentum;
  c["epsilon"] = options_.epsilon;
  c["center"] = options_.center;
  c["scale"] = options_.scale;
  c["beta_initializer"] = detail::initializer_config(options_.beta_initializer);
  c["gamma_initializer"] = detail::initializer_config(options_.gamma_initializer);
  c["moving_mean_initializer"] = detail::initializer_config(options_.moving_mean_initializer);
  c["moving_variance_initializer"] =
      detail::initializer_config(options_.moving_variance_initializer);
  c["beta_regularizer"] = detail::regularizer_config(options_.beta_regularizer);
  c["gamma_regularizer"] = detail::regularizer_config(options_.gamma_regularizer);
  return c;
}

Handle<BatchNormalizationLayer> BatchNormalizationLayer::from_config(const keras::Config& c) {
  return BatchNormalization(
      {.axis = keras::single_axis_from_json(c, -1, "BatchNormalization"),
       .momentum = c.value("momentum", 0.99),
       .epsilon = c.value("epsilon", 1e-3),
       .center = c.value("center", true),
       .scale = c.value("scale", true),
       .beta_initializer = detail::initializer_from(c, "beta_initializer", "zeros"),
       .gamma_initializer = detail::initializer_from(c, "gamma_initializer", "ones"),
       .moving_mean_initializer = detail::initializer_from(c, "moving_mean_initializer", "zeros"),
       .moving_variance_initializer =
           detail::initializer_from(c, "moving_variance_initializer", "ones"),
       .beta_regularizer = detail::regularizer_from(c, "beta_regularizer"),
       .gamma_regularizer = detail::regularizer_from(c, "gamma_regularizer"),
       .name = c.value("name", std::string()),
       .trainable = c.value("trainable", true)});
}

Handle<BatchNormalizationLayer> BatchNormalization(BatchNormalizationOptions options) {
  return keras::make<BatchNormalizationLayer>(std::move(options));
}

}  // namespace ember::layers
