// The core Keras layers: Dense, Activation, Dropout, Flatten, Reshape, Lambda. Each has a class
// (DenseLayer, ...; Keras' class name is its class_name()) and a factory named as in Keras that
// returns a shared handle: layers::Dense(128, {.activation = "relu"}).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "core/optional.h"
#include "core/random/random.h"
#include "layers/activations.h"
#include "layers/engine/layer.h"
#include "layers/keywords.h"

namespace ember::layers {

using keras::Handle;

struct DenseOptions {
  activations::Activation activation = "linear";
  bool use_bias = true;
  initializers::InitializerRef kernel_initializer = "glorot_uniform";
  initializers::InitializerRef bias_initializer = "zeros";
  regularizers::RegularizerRef kernel_regularizer = {};
  regularizers::RegularizerRef bias_regularizer = {};
  std::string name = "";
  bool trainable = true;
  Optional<Shape> input_shape = std::nullopt;
  /// The dtype policy (layers/engine/dtype_policy.h); the global policy when absent.
  Optional<keras::DTypePolicy> dtype = std::nullopt;
};

/// y = activation(x · kernel + bias) over the last axis; kernel (in, units), bias (units,).
class DenseLayer : public keras::Layer {
 public:
  DenseLayer(std::int64_t units, DenseOptions options = {});
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& inputs) override;
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& input_shapes) override;
  std::string class_name() const override { return "Dense"; }
  keras::Config get_config() const override;
  static Handle<DenseLayer> from_config(const keras::Config& config);

  Variable kernel, bias;

 private:
  std::int64_t units_;
  DenseOptions options_;
};
Handle<DenseLayer> Dense(std::int64_t units, DenseOptions options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 &&
         (KeywordFor<K, DenseOptions> && ...)) Handle<DenseLayer> Dense(std::int64_t units,
                                                                        const K&... keywords) {
  return Dense(units, with_keywords<DenseOptions>(keywords...));
}

/// Applies an activation function.
class ActivationLayer : public keras::Layer {
 public:
  explicit ActivationLayer(activations::Activation activation, keras::LayerOptions options = {});
  Tensor call(const Tensor& inputs) override { return activation_(inputs); }
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& s) override { return s; }
  std::string class_name() const override { return "Activation"; }
  keras::Config get_config() const override;

 private:
  activations::Activation activation_;
};
Handle<ActivationLayer> Activation(activations::Activation activation,
                                   keras::LayerOptions options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 && (KeywordFor<K, keras::LayerOptions> && ...))
    Handle<ActivationLayer> Activation(activations::Activation activation, const K&... keywords) {
  return Activation(activation, with_keywords<keras::LayerOptions>(keywords...));
}

struct DropoutOptions {
  /// Makes the masks reproducible (a generator of this seed, advanced by each call).
  std::optional<std::uint64_t> seed = std::nullopt;
  std::string name = "";
  Optional<Shape> input_shape = std::nullopt;
  /// The dtype policy (layers/engine/dtype_policy.h); the global policy when absent.
  Optional<keras::DTypePolicy> dtype = std::nullopt;
};
/// In training, zeroes each value with probability `rate` and scales the rest by 1/(1 − rate)
/// (inverted dropout, so inference is the identity).
class DropoutLayer : public keras::Layer {
 public:
  explicit DropoutLayer(double rate, DropoutOptions options = {});
  Tensor call(const Tensor& inputs, bool training) override;
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& s) override { return s; }
  std::string class_name() const override { return "Dropout"; }
  keras::Config get_config() const override;

 private:
  double rate_;
  std::optional<random::Generator> generator_;
};
Handle<DropoutLayer> Dropout(double rate, DropoutOptions options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 && (KeywordFor<K, DropoutOptions> &&
                              ...)) Handle<DropoutLayer> Dropout(double rate,
                                                                 const K&... keywords) {
  return Dropout(rate, with_keywords<DropoutOptions>(keywords...));
}

/// (batch, d1, d2, ...) -> (batch, d1·d2·...).
class FlattenLayer : public keras::Layer {
 public:
  explicit FlattenLayer(keras::LayerOptions options = {}) : Layer(std::move(options)) {
    assign_default_name("flatten");
  }
  Tensor call(const Tensor& inputs) override;
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& input_shapes) override;
  std::string class_name() const override { return "Flatten"; }
};
Handle<FlattenLayer> Flatten(keras::LayerOptions options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 && (KeywordFor<K, keras::LayerOptions> &&
                              ...)) Handle<FlattenLayer> Flatten(const K&... keywords) {
  return Flatten(with_keywords<keras::LayerOptions>(keywords...));
}

/// (batch, ...) -> (batch, target_shape...); one target dimension may be -1.
class ReshapeLayer : public keras::Layer {
 public:
  explicit ReshapeLayer(Shape target_shape, keras::LayerOptions options = {});
  Tensor call(const Tensor& inputs) override;
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& input_shapes) override;
  std::string class_name() const override { return "Reshape"; }
  keras::Config get_config() const override;

 private:
  Shape target_;
};
Handle<ReshapeLayer> Reshape(Shape target_shape, keras::LayerOptions options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 && (KeywordFor<K, keras::LayerOptions> &&
                              ...)) Handle<ReshapeLayer> Reshape(Shape target_shape,
                                                                 const K&... keywords) {
  return Reshape(target_shape, with_keywords<keras::LayerOptions>(keywords...));
}

/// Wraps a function of tensors as a layer (its output shape is found by running it).
class LambdaLayer : public keras::Layer {
 public:
  explicit LambdaLayer(std::function<Tensor(const Tensor&)> function,
                       keras::LayerOptions options = {});
  Tensor call(const Tensor& inputs) override { return function_(inputs); }
  std::string class_name() const override { return "Lambda"; }

 private:
  std::function<Tensor(const Tensor&)> function_;
};
Handle<LambdaLayer> Lambda(std::function<Tensor(const Tensor&)> function,
                           keras::LayerOptions options = {});

/// Reads the common options of a layer config ({"name", "trainable"}).
keras::LayerOptions options_from_config(const keras::Config& config);

}  // namespace ember::layers
