// The Keras convolution layers: Conv2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D, on
// NHWC images (channels_last) with Keras' weight shapes. Option fields follow the order the
// lessons write Keras' keyword arguments in (strides, activation, padding, ...), so
// `layers::Conv2D(64, 3, {.activation = "relu", .padding = "same"})` reads like
// `layers.Conv2D(64, 3, activation="relu", padding="same")`.
#pragma once

#include <optional>
#include <string>

#include "core/ops/conv.h"
#include "core/optional.h"
#include "layers/activations.h"
#include "layers/engine/layer.h"
#include "layers/keywords.h"

namespace ember::layers {

using keras::Handle;

struct Conv2DLayerOptions {
  Size2D strides = 1;
  activations::Activation activation = "linear";
  std::string padding = "valid";  // "valid" or "same"
  Size2D dilation_rate = 1;
  /// Input and output channels split into this many independent groups.
  std::int64_t groups = 1;
  bool use_bias = true;
  initializers::InitializerRef kernel_initializer = "glorot_uniform";
  initializers::InitializerRef bias_initializer = "zeros";
  regularizers::RegularizerRef kernel_regularizer = {};
  regularizers::RegularizerRef bias_regularizer = {};
  std::string name = "";
  bool trainable = true;
  Optional<Shape> input_shape = std::nullopt;
};

/// y = activation(conv2d(x, kernel) + bias); kernel (kh, kw, in / groups, filters), bias
/// (filters,).
class Conv2DLayer : public keras::Layer {
 public:
  Conv2DLayer(std::int64_t filters, Size2D kernel_size, Conv2DLayerOptions options = {});
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& inputs) override;
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& input_shapes) override;
  std::string class_name() const override { return "Conv2D"; }
  keras::Config get_config() const override;
  static Handle<Conv2DLayer> from_config(const keras::Config& config);

  Variable kernel, bias;

 private:
  std::int64_t filters_;
  Size2D kernel_size_;
  Conv2DLayerOptions options_;
};
Handle<Conv2DLayer> Conv2D(std::int64_t filters, Size2D kernel_size,
                           Conv2DLayerOptions options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 && (KeywordFor<K, Conv2DLayerOptions> && ...)) Handle<Conv2DLayer> Conv2D(
    std::int64_t filters, Size2D kernel_size, const K&... keywords) {
  return Conv2D(filters, kernel_size, with_keywords<Conv2DLayerOptions>(keywords...));
}

struct Conv2DTransposeOptions {
  Size2D strides = 1;
  activations::Activation activation = "linear";
  std::string padding = "valid";
  /// Keras' output_padding: extra rows/columns of output, each less than the stride (none: the
  /// default size below).
  Optional<Size2D> output_padding = std::nullopt;
  Size2D dilation_rate = 1;
  bool use_bias = true;
  initializers::InitializerRef kernel_initializer = "glorot_uniform";
  initializers::InitializerRef bias_initializer = "zeros";
  regularizers::RegularizerRef kernel_regularizer = {};
  regularizers::RegularizerRef bias_regularizer = {};
  std::string name = "";
  bool trainable = true;
  Optional<Shape> input_shape = std::nullopt;
};

/// The transposed convolution: kernel (kh, kw, filters, in), output size in·stride ("same") or
/// in·stride + max(kernel − stride, 0) ("valid"); with output_padding p,
/// (in − 1)·stride + kernel − 2·pad + p, pad = kernel // 2 for "same" (Keras' rule).
class Conv2DTransposeLayer : public keras::Layer {
 public:
  Conv2DTransposeLayer(std::int64_t filters, Size2D kernel_size,
                       Conv2DTransposeOptions options = {});
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& inputs) override;
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& input_shapes) override;
  std::string class_name() const override { return "Conv2DTranspose"; }
  keras::Config get_config() const override;
  static Handle<Conv2DTransposeLayer> from_config(const keras::Config& config);

  Variable kernel, bias;

 private:
  std::int64_t filters_;
  Size2D kernel_size_;
  Conv2DTransposeOptions options_;
};
Handle<Conv2DTransposeLayer> Conv2DTranspose(std::int64_t filters, Size2D kernel_size,
                                             Conv2DTransposeOptions options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 &&
         (KeywordFor<K, Conv2DTransposeOptions> &&
          ...)) Handle<Conv2DTransposeLayer> Conv2DTranspose(std::int64_t filters,
                                                             Size2D kernel_size,
                                                             const K&... keywords) {
  return Conv2DTranspose(filters, kernel_size, with_keywords<Conv2DTransposeOptions>(keywords...));
}

struct DepthwiseConv2DOptions {
  Size2D strides = 1;
  activations::Activation activation = "linear";
  std::string padding = "valid";
  std::int64_t depth_multiplier = 1;
  Size2D dilation_rate = 1;
  bool use_bias = true;
  initializers::InitializerRef depthwise_initializer = "glorot_uniform";
  initializers::InitializerRef bias_initializer = "zeros";
  regularizers::RegularizerRef depthwise_regularizer = {};
  regularizers::RegularizerRef bias_regularizer = {};
  std::string name = "";
  bool trainable = true;
  Optional<Shape> input_shape = std::nullopt;
};

/// Each input channel convolved with its own depth_multiplier filters: kernel
/// (kh, kw, in, depth_multiplier), bias (in·depth_multiplier,).
class DepthwiseConv2DLayer : public keras::Layer {
 public:
  explicit DepthwiseConv2DLayer(Size2D kernel_size, DepthwiseConv2DOptions options = {});
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& inputs) override;
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& input_shapes) override;
  std::string class_name() const override { return "DepthwiseConv2D"; }
  keras::Config get_config() const override;
  static Handle<DepthwiseConv2DLayer> from_config(const keras::Config& config);

  Variable kernel, bias;

 private:
  Size2D kernel_size_;
  DepthwiseConv2DOptions options_;
};
Handle<DepthwiseConv2DLayer> DepthwiseConv2D(Size2D kernel_size,
                                             DepthwiseConv2DOptions options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 && (KeywordFor<K, DepthwiseConv2DOptions> && ...))
    Handle<DepthwiseConv2DLayer> DepthwiseConv2D(Size2D kernel_size, const K&... keywords) {
  return DepthwiseConv2D(kernel_size, with_keywords<DepthwiseConv2DOptions>(keywords...));
}

struct SeparableConv2DOptions {
  Size2D strides = 1;
  activations::Activation activation = "linear";
  std::string padding = "valid";
  std::int64_t depth_multiplier = 1;
  Size2D dilation_rate = 1;
  bool use_bias = true;
  initializers::InitializerRef depthwise_initializer = "glorot_uniform";
  initializers::InitializerRef pointwise_initializer = "glorot_uniform";
  initializers::InitializerRef bias_initializer = "zeros";
  regularizers::RegularizerRef depthwise_regularizer = {};
  regularizers::RegularizerRef pointwise_regularizer = {};
  regularizers::RegularizerRef bias_regularizer = {};
  std::string name = "";
  bool trainable = true;
  Optional<Shape> input_shape = std::nullopt;
};

/// A depthwise convolution followed by a 1x1 convolution: depthwise_kernel
/// (kh, kw, in, depth_multiplier), pointwise_kernel (1, 1, in·depth_multiplier, filters), bias
/// (filters,).
class SeparableConv2DLayer : public keras::Layer {
 public:
  SeparableConv2DLayer(std::int64_t filters, Size2D kernel_size,
                       SeparableConv2DOptions options = {});
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& inputs) override;
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& input_shapes) override;
  std::string class_name() const override { return "SeparableConv2D"; }
  keras::Config get_config() const override;
  static Handle<SeparableConv2DLayer> from_config(const keras::Config& config);

  Variable depthwise_kernel, pointwise_kernel, bias;

 private:
  std::int64_t filters_;
  Size2D kernel_size_;
  SeparableConv2DOptions options_;
};
Handle<SeparableConv2DLayer> SeparableConv2D(std::int64_t filters, Size2D kernel_size,
                                             SeparableConv2DOptions options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 &&
         (KeywordFor<K, SeparableConv2DOptions> &&
          ...)) Handle<SeparableConv2DLayer> SeparableConv2D(std::int64_t filters,
                                                             Size2D kernel_size,
                                                             const K&... keywords) {
  return SeparableConv2D(filters, kernel_size, with_keywords<SeparableConv2DOptions>(keywords...));
}

}  // namespace ember::layers
