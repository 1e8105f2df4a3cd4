// Embedding and LayerNormalization.
#pragma once

#include "core/optional.h"
#include "layers/core/core_layers.h"
#include "layers/keywords.h"

namespace ember::layers {

struct EmbeddingOptions {
  initializers::InitializerRef embeddings_initializer = "uniform";  // Keras: uniform in ±0.05
  regularizers::RegularizerRef embeddings_regularizer = {};
  std::string name = "";
  bool trainable = true;
  Optional<Shape> input_shape = std::nullopt;
  /// The dtype policy (layers/engine/dtype_policy.h); the global policy when absent.
  Optional<keras::DTypePolicy> dtype = std::nullopt;
};

/// Integer indices (any shape) -> rows of an (input_dim, output_dim) table: shape + (output_dim,).
/// An index outside [0, input_dim) is an error on the CPU.
class EmbeddingLayer : public keras::Layer {
 public:
  EmbeddingLayer(std::int64_t input_dim, std::int64_t output_dim, EmbeddingOptions options = {});
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& inputs) override;
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& input_shapes) override;
  std::vector<DType> compute_output_dtype(const std::vector<DType>&) override {
    return {compute_dtype()};
  }
  std::string class_name() const override { return "Embedding"; }
  keras::Config get_config() const override;

  Variable embeddings;

 private:
  std::int64_t input_dim_, output_dim_;
  EmbeddingOptions options_;
};
Handle<EmbeddingLayer> Embedding(std::int64_t input_dim, std::int64_t output_dim,
                                 EmbeddingOptions options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 && (KeywordFor<K, EmbeddingOptions> &&
                              ...)) Handle<EmbeddingLayer> Embedding(std::int64_t input_dim,
                                                                     std::int64_t output_dim,
                                                                     const K&... keywords) {
  return Embedding(input_dim, output_dim, with_keywords<EmbeddingOptions>(keywords...));
}

struct LayerNormalizationOptions {
  std::int64_t axis = -1;
  double epsilon = 1e-3;
  bool center = true;  // learn an offset beta
  bool scale = true;   // learn a factor gamma
  initializers::InitializerRef beta_initializer = "zeros";
  initializers::InitializerRef gamma_initializer = "ones";
  std::string name = "";
  bool trainable = true;
  Optional<Shape> input_shape = std::nullopt;
  /// The dtype policy (layers/engine/dtype_policy.h); the global policy when absent.
  Optional<keras::DTypePolicy> dtype = std::nullopt;
};

/// Normalises each example over `axis`: (x − mean)/sqrt(var + ε)·gamma + beta; in float32 for
/// 16-bit inputs (with float32 weights under a mixed policy), as Keras 3.
class LayerNormalizationLayer : public keras::Layer {
 public:
  explicit LayerNormalizationLayer(LayerNormalizationOptions options = {});
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& inputs) override;
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& s) override { return s; }
  std::string class_name() const override { return "LayerNormalization"; }
  keras::Config get_config() const override;

  Variable gamma, beta;

 private:
  LayerNormalizationOptions options_;
  int axis_ = -1;
};
Handle<LayerNormalizationLayer> LayerNormalization(LayerNormalizationOptions options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 &&
         (KeywordFor<K, LayerNormalizationOptions> &&
          ...)) Handle<LayerNormalizationLayer> LayerNormalization(const K&... keywords) {
  return LayerNormalization(with_keywords<LayerNormalizationOptions>(keywords...));
}

}  // namespace ember::layers
