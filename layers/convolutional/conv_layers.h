// The Keras convolution layers: Conv2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D, on
// NHWC images (channels_last) with Keras' weight shapes, written as keyword arguments read in
// Keras: `layers::Conv2D(64, 3, _activation = "relu", _padding = "same")`.
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

/// The arguments every convolution layer takes (Keras' BaseConv); each layer's options add its own
/// kernels' initializers and regularizers. Set these with keywords (`_padding = "same"`):
/// designated initializers reach a struct's own members only.
struct BaseConvOptions {
  Size2D strides = 1;
  std::string padding = "valid";  // "valid" or "same", either case
  Size2D dilation_rate = 1;
  activations::Activation activation = "linear";
  bool use_bias = true;
  initializers::InitializerRef bias_initializer = "zeros";
  regularizers::RegularizerRef bias_regularizer = {};
  std::string name = "";
  bool trainable = true;
  Optional<Shape> input_shape = std::nullopt;
  /// The dtype policy (layers/engine/dtype_policy.h); the global policy when absent.
  Optional<keras::DTypePolicy> dtype = std::nullopt;
};

/// What the convolution layers share, as Keras' BaseConv: the checks of the common arguments,
/// the bias and activation after the convolution, the spatial output shape and the common part of
/// the config. `filters` is the layer's output channels (-1 for DepthwiseConv2D, whose output
/// follows its input).
class BaseConvLayer : public keras::Layer {
 public:
  Variable bias;

 protected:
  BaseConvLayer(const char* class_name, const char* default_name, std::int64_t filters,
                Size2D kernel_size, const BaseConvOptions& options);
  /// The common arguments, checked and with the padding's name normalized.
  const BaseConvOptions& conv_options() const { return conv_; }
  /// The op's options: strides, padding, dilation.
  Conv2DOptions op_options() const;
  /// y + bias (when the layer has one), then the activation.
  Tensor finish(Tensor y) const;
  /// Creates the bias of `channels` values when the layer has one.
  void build_bias(std::int64_t channels);
  /// (batch, oh, ow, channels) for an input (batch, h, w, c) under Keras' output-length rule.
  Shape spatial_output_shape(const Shape& input, std::int64_t channels) const;
  /// Layer's config plus the common arguments (kernel_size, strides, padding, data_format,
  /// dilation_rate, activation, use_bias, bias_initializer, bias_regularizer; filters if any).
  keras::Config base_config() const;
  /// Reads the common arguments of a config into `options`.
  static void read_base_config(const keras::Config& config, BaseConvOptions& options);

  std::int64_t filters_;
  Size2D kernel_size_;

 private:
  BaseConvOptions conv_;
};

struct Conv2DLayerOptions : BaseConvOptions {
  /// Input and output channels split into this many independent groups.
  std::int64_t groups = 1;
  initializers::InitializerRef kernel_initializer = "glorot_uniform";
  regularizers::RegularizerRef kernel_regularizer = {};
};

/// y = activation(conv2d(x, kernel) + bias); kernel (kh, kw, in / groups, filters), bias
/// (filters,).
class Conv2DLayer : public BaseConvLayer {
 public:
  Conv2DLayer(std::int64_t filters, Size2D kernel_size, Conv2DLayerOptions options = {});
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& inputs) override;
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& input_shapes) override;
  std::string class_name() const override { return "Conv2D"; }
  keras::Config get_config() const override;
  static Handle<Conv2DLayer> from_config(const keras::Config& config);

  Variable kernel;

 private:
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

struct Conv2DTransposeOptions : BaseConvOptions {
  /// Keras' output_padding: extra rows/columns of output, each less than the stride (none: the
  /// default size below).
  Optional<Size2D> output_padding = std::nullopt;
  initializers::InitializerRef kernel_initializer = "glorot_uniform";
  regularizers::RegularizerRef kernel_regularizer = {};
};

/// The transposed convolution: kernel (kh, kw, filters, in), output size in·stride ("same") or
/// in·stride + max(kernel − stride, 0) ("valid"); with output_padding p,
/// (in − 1)·stride + kernel − 2·pad + p, pad = kernel // 2 for "same" (Keras' rule).
class Conv2DTransposeLayer : public BaseConvLayer {
 public:
  Conv2DTransposeLayer(std::int64_t filters, Size2D kernel_size,
                       Conv2DTransposeOptions options = {});
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& inputs) override;
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& input_shapes) override;
  std::string class_name() const override { return "Conv2DTranspose"; }
  keras::Config get_config() const override;
  static Handle<Conv2DTransposeLayer> from_config(const keras::Config& config);

  Variable kernel;

 private:
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

struct DepthwiseConv2DOptions : BaseConvOptions {
  std::int64_t depth_multiplier = 1;
  initializers::InitializerRef depthwise_initializer = "glorot_uniform";
  regularizers::RegularizerRef depthwise_regularizer = {};
};

/// Each input channel convolved with its own depth_multiplier filters: kernel
/// (kh, kw, in, depth_multiplier), bias (in·depth_multiplier,).
class DepthwiseConv2DLayer : public BaseConvLayer {
 public:
  explicit DepthwiseConv2DLayer(Size2D kernel_size, DepthwiseConv2DOptions options = {});
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& inputs) override;
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& input_shapes) override;
  std::string class_name() const override { return "DepthwiseConv2D"; }
  keras::Config get_config() const override;
  static Handle<DepthwiseConv2DLayer> from_config(const keras::Config& config);

  Variable kernel;

 private:
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

struct SeparableConv2DOptions : BaseConvOptions {
  std::int64_t depth_multiplier = 1;
  initializers::InitializerRef depthwise_initializer = "glorot_uniform";
  initializers::InitializerRef pointwise_initializer = "glorot_uniform";
  regularizers::RegularizerRef depthwise_regularizer = {};
  regularizers::RegularizerRef pointwise_regularizer = {};
};

/// A depthwise convolution followed by a 1x1 convolution: depthwise_kernel
/// (kh, kw, in, depth_multiplier), pointwise_kernel (1, 1, in·depth_multiplier, filters), bias
/// (filters,).
class SeparableConv2DLayer : public BaseConvLayer {
 public:
  SeparableConv2DLayer(std::int64_t filters, Size2D kernel_size,
                       SeparableConv2DOptions options = {});
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& inputs) override;
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& input_shapes) override;
  std::string class_name() const override { return "SeparableConv2D"; }
  keras::Config get_config() const override;
  static Handle<SeparableConv2DLayer> from_config(const keras::Config& config);

  Variable depthwise_kernel, pointwise_kernel;

 private:
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
