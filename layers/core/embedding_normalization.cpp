#include "layers/core/embedding_normalization.h"

#include "core/error.h"
#include "core/ops.h"

namespace ember::layers {

EmbeddingLayer::EmbeddingLayer(std::int64_t input_dim, std::int64_t output_dim,
                               EmbeddingOptions options)
    : Layer({options.name, options.trainable, options.input_shape, options.dtype}),
      input_dim_(input_dim),
      output_dim_(output_dim),
      options_(std::move(options)) {
  assign_default_name("embedding");
  if (input_dim <= 0 || output_dim <= 0) {
    throw Error(cat("Embedding: input_dim and output_dim must be positive, got ", input_dim,
                    " and ", output_dim));
  }
}

void EmbeddingLayer::build(const Shape&) {
  embeddings = add_weight("embeddings", {input_dim_, output_dim_}, options_.embeddings_initializer,
                          true, options_.embeddings_regularizer);
}

Tensor EmbeddingLayer::call(const Tensor& inputs) {
  // Keras casts real-valued indices to int32 first.
  const Tensor indices = is_floating(inputs.dtype()) ? cast(inputs, int32) : inputs;
  return gather(embeddings, indices, 0);
}

std::vector<Shape> EmbeddingLayer::compute_output_shape(const std::vector<Shape>& input_shapes) {
  std::vector<std::int64_t> dims = input_shapes.at(0).dims();
  dims.push_back(output_dim_);
  return {Shape(dims)};
}

keras::Config EmbeddingLayer::get_config() const {
  keras::Config c = Layer::get_config();
  c["input_dim"] = input_dim_;
  c["output_dim"] = output_dim_;
  return c;
}

Handle<EmbeddingLayer> Embedding(std::int64_t input_dim, std::int64_t output_dim,
                                 EmbeddingOptions options) {
  return keras::make<EmbeddingLayer>(input_dim, output_dim, std::move(options));
}

LayerNormalizationLayer::LayerNormalizationLayer(LayerNormalizationOptions options)
    : Layer({options.name, options.trainable, options.input_shape, options.dtype}),
      options_(std::move(options)) {
  assign_default_name("layer_normalization");
  if (!(options_.epsilon > 0))
    throw Error(cat("LayerNormalization: epsilon must be > 0, got ", options_.epsilon));
}

void LayerNormalizationLayer::build(const Shape& input_shape) {
  axis_ = normalize_axis(options_.axis, input_shape.rank(), "LayerNormalization");
  const std::int64_t n = input_shape[axis_];
  if (n < 0)
    throw ShapeError(
        cat("LayerNormalization: axis ", options_.axis, " of ", input_shape, " must be known"));
  // Not autocast: the normalization runs in float32 under a mixed policy (call).
  if (options_.scale) gamma = add_weight("gamma", {n}, options_.gamma_initializer, true, {}, false);
  if (options_.center) beta = add_weight("beta", {n}, options_.beta_initializer, true, {}, false);
}

Tensor LayerNormalizationLayer::call(const Tensor& inputs) {
  const Tensor x = is_half(inputs.dtype()) ? cast(inputs, float32) : inputs;
  const Tensor mean = reduce_mean(x, axis_, true);
  const Tensor centered = x - mean;
  const Tensor variance = reduce_mean(square(centered), axis_, true);
  Tensor y = centered * rsqrt(variance + options_.epsilon);
  // gamma and beta lie along `axis`: give them size-1 axes elsewhere so they broadcast.
  std::vector<std::int64_t> dims(x.rank() - axis_, 1);
  dims[0] = x.shape(axis_);
  if (options_.scale) y = y * reshape(gamma, Shape(dims));
  if (options_.center) y = y + reshape(beta, Shape(dims));
  return is_half(compute_dtype()) && y.dtype() != compute_dtype() ? cast(y, compute_dtype()) : y;
}

keras::Config LayerNormalizationLayer::get_config() const {
  keras::Config c = Layer::get_config();
  c["axis"] = options_.axis;
  c["epsilon"] = options_.epsilon;
  c["center"] = options_.center;
  c["scale"] = options_.scale;
  return c;
}

Handle<LayerNormalizationLayer> LayerNormalization(LayerNormalizationOptions options) {
  return keras::make<LayerNormalizationLayer>(std::move(options));
}

}  // namespace ember::layers
