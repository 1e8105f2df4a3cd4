#include "layers/convolutional/conv_layers.h"

#include "core/error.h"
#include "core/ops.h"
#include "layers/convolutional/conv_shapes.h"

namespace ember::layers {
namespace {

using detail::initializer_config;
using detail::regularizer_config;
using detail::size_config;

void check_sizes(const char* layer, std::int64_t filters, Size2D kernel_size, Size2D strides,
                 Size2D dilation_rate) {
  if (filters <= 0) throw Error(cat(layer, ": filters must be a positive integer, got ", filters));
  if (kernel_size.height <= 0 || kernel_size.width <= 0) {
    throw Error(cat(layer, ": kernel_size must be positive, got (", kernel_size.height, ", ",
                    kernel_size.width, ")"));
  }
  if (strides.height <= 0 || strides.width <= 0) {
    throw Error(
        cat(layer, ": strides must be positive, got (", strides.height, ", ", strides.width, ")"));
  }
  if (dilation_rate.height <= 0 || dilation_rate.width <= 0) {
    throw Error(cat(layer, ": dilation_rate must be positive, got (", dilation_rate.height, ", ",
                    dilation_rate.width, ")"));
  }
  // Keras' rule (the ops themselves accept both).
  if (std::max(strides.height, strides.width) > 1 &&
      std::max(dilation_rate.height, dilation_rate.width) > 1) {
    throw Error(
        cat(layer, ": strides > 1 are not supported together with dilation_rate > 1, got strides (",
            strides.height, ", ", strides.width, ") and dilation_rate (", dilation_rate.height,
            ", ", dilation_rate.width, ")"));
  }
}

// ShapeError unless `shape` is an image batch whose channels are known (and, once built,
// `channels`).
std::int64_t input_channels(const Shape& shape, std::int64_t expected) {
  detail::check_image_shape(shape);
  if (shape[3] < 0)
    throw ShapeError(cat("the channel dimension of the inputs must be known, got shape ",
                         keras::shape_string(shape)));
  if (expected >= 0 && shape[3] != expected) {
    throw ShapeError(cat("expected inputs with ", expected, " channels, got shape ",
                         keras::shape_string(shape)));
  }
  return shape[3];
}

// Checks a real input when called (errors from call() are not prefixed by the base class).
void check_call_input(const keras::Layer& layer, const Tensor& x, std::int64_t channels) {
  if (x.rank() != 4 || x.shape(3) != channels) {
    throw ShapeError(cat("layer '", layer.name(), "' (", layer.class_name(),
                         ") expects inputs (batch, height, width, ", channels, "), got shape ",
                         x.shape()));
  }
}

Shape image_output_shape(const Shape& in, Size2D kernel, Size2D strides, Size2D dilation,
                         const std::string& padding, std::int64_t channels) {
  return Shape{in[0],
               detail::output_length(in[1], kernel.height, strides.height, dilation.height, padding,
                                     "height", in),
               detail::output_length(in[2], kernel.width, strides.width, dilation.width, padding,
                                     "width", in),
               channels};
}

}  // namespace

// --- BaseConv --------------------------------------------------------------------------------

BaseConvLayer::BaseConvLayer(const char* class_name, const char* default_name, std::int64_t filters,
                             Size2D kernel_size, const BaseConvOptions& options)
    : Layer({options.name, options.trainable, options.input_shape, options.dtype}),
      filters_(filters),
      kernel_size_(kernel_size),
      conv_(options) {
  assign_default_name(default_name);
  check_sizes(class_name, filters < 0 ? 1 : filters, kernel_size, conv_.strides,
              conv_.dilation_rate);
  conv_.padding = detail::padding_name(conv_.padding, class_name);
}

Conv2DOptions BaseConvLayer::op_options() const {
  return {.strides = conv_.strides, .padding = conv_.padding, .dilation_rate = conv_.dilation_rate};
}

Tensor BaseConvLayer::finish(Tensor y) const {
  if (conv_.use_bias) y = bias_add(y, bias);
  return conv_.activation.is_linear() ? y : conv_.activation(y);
}

void BaseConvLayer::build_bias(std::int64_t channels) {
  if (conv_.use_bias) {
    bias = add_weight("bias", {channels}, conv_.bias_initializer, true, conv_.bias_regularizer);
  }
}

Shape BaseConvLayer::spatial_output_shape(const Shape& in, std::int64_t channels) const {
  return image_output_shape(in, kernel_size_, conv_.strides, conv_.dilation_rate, conv_.padding,
                            channels);
}

keras::Config BaseConvLayer::base_config() const {
  keras::Config c = Layer::get_config();
  if (filters_ >= 0) c["filters"] = filters_;
  c["kernel_size"] = size_config(kernel_size_);
  c["strides"] = size_config(conv_.strides);
  c["padding"] = conv_.padding;
  c["data_format"] = "channels_last";
  c["dilation_rate"] = size_config(conv_.dilation_rate);
  c["activation"] = conv_.activation.name();
  c["use_bias"] = conv_.use_bias;
  c["bias_initializer"] = initializer_config(conv_.bias_initializer);
  c["bias_regularizer"] = regularizer_config(conv_.bias_regularizer);
  return c;
}

void BaseConvLayer::read_base_config(const keras::Config& c, BaseConvOptions& o) {
  o.strides = detail::size_from_config(c.value("strides", keras::Config()), 1);
  o.padding = c.value("padding", std::string("valid"));
  o.dilation_rate = detail::size_from_config(c.value("dilation_rate", keras::Config()), 1);
  o.activation = c.value("activation", std::string("linear"));
  o.use_bias = c.value("use_bias", true);
  o.bias_initializer = detail::initializer_from(c, "bias_initializer", "zeros");
  o.bias_regularizer = detail::regularizer_from(c, "bias_regularizer");
  o.name = c.value("name", std::string());
  o.trainable = c.value("trainable", true);
}

// --- Conv2D --------------------------------------------------------------------------------------

Conv2DLayer::Conv2DLayer(std::int64_t filters, Size2D kernel_size, Conv2DLayerOptions options)
    : BaseConvLayer("Conv2D", "conv2d", filters, kernel_size, options),
      options_(std::move(options)) {
  if (options_.groups <= 0 || filters % options_.groups != 0) {
    throw Error(cat("Conv2D: filters (", filters, ") must be a multiple of groups (",
                    options_.groups, ")"));
  }
}

void Conv2DLayer::build(const Shape& input_shape) {
  const std::int64_t channels = input_channels(input_shape, -1);
  if (channels % options_.groups != 0) {
    throw ShapeError(cat("the input channels (", channels, ") must be a multiple of groups (",
                         options_.groups, "), got input shape ", keras::shape_string(input_shape)));
  }
  kernel = add_weight(
      "kernel", {kernel_size_.height, kernel_size_.width, channels / options_.groups, filters_},
      options_.kernel_initializer, true, options_.kernel_regularizer);
  build_bias(filters_);
}

Tensor Conv2DLayer::call(const Tensor& x) {
  check_call_input(*this, x, kernel.shape(2) * options_.groups);
  return finish(conv2d(x, kernel, op_options()));
}

std::vector<Shape> Conv2DLayer::compute_output_shape(const std::vector<Shape>& input_shapes) {
  const Shape& in = input_shapes.at(0);
  input_channels(in, kernel.defined() ? kernel.shape(2) * options_.groups : -1);
  return {spatial_output_shape(in, filters_)};
}

keras::Config Conv2DLayer::get_config() const {
  keras::Config c = base_config();
  c["groups"] = options_.groups;
  c["kernel_initializer"] = initializer_config(options_.kernel_initializer);
  c["kernel_regularizer"] = regularizer_config(options_.kernel_regularizer);
  return c;
}

Handle<Conv2DLayer> Conv2DLayer::from_config(const keras::Config& c) {
  Conv2DLayerOptions o;
  read_base_config(c, o);
  o.groups = c.value("groups", std::int64_t{1});
  o.kernel_initializer = detail::initializer_from(c, "kernel_initializer", "glorot_uniform");
  o.kernel_regularizer = detail::regularizer_from(c, "kernel_regularizer");
  return Conv2D(keras::size_from_json(c.at("filters"), "Conv2D: filters"),
                detail::size_from_config(c.at("kernel_size"), 1), std::move(o));
}

Handle<Conv2DLayer> Conv2D(std::int64_t filters, Size2D kernel_size, Conv2DLayerOptions options) {
  return keras::make<Conv2DLayer>(filters, kernel_size, std::move(options));
}

// --- Conv2DTranspose -----------------------------------------------------------------------------

Conv2DTransposeLayer::Conv2DTransposeLayer(std::int64_t filters, Size2D kernel_size,
                                           Conv2DTransposeOptions options)
    : BaseConvLayer("Conv2DTranspose", "conv2d_transpose", filters, kernel_size, options),
      options_(std::move(options)) {
  const auto& p = options_.output_padding;
  const Size2D strides = conv_options().strides;
  if (p &&
      (p->height < 0 || p->width < 0 || p->height >= strides.height || p->width >= strides.width)) {
    throw Error(cat("Conv2DTranspose: output_padding (", p->height, ", ", p->width,
                    ") must be >= 0 and less than the strides (", strides.height, ", ",
                    strides.width, ")"));
  }
}

void Conv2DTransposeLayer::build(const Shape& input_shape) {
  const std::int64_t channels = input_channels(input_shape, -1);
  kernel = add_weight("kernel", {kernel_size_.height, kernel_size_.width, filters_, channels},
                      options_.kernel_initializer, true, options_.kernel_regularizer);
  build_bias(filters_);
}

Tensor Conv2DTransposeLayer::call(const Tensor& x) {
  check_call_input(*this, x, kernel.shape(3));
  Conv2DOptions o = op_options();
  o.output_padding = options_.output_padding;
  return finish(conv2d_transpose(x, kernel, o));
}

std::vector<Shape> Conv2DTransposeLayer::compute_output_shape(
    const std::vector<Shape>& input_shapes) {
  const Shape& in = input_shapes.at(0);
  input_channels(in, kernel.defined() ? kernel.shape(3) : -1);
  const BaseConvOptions& conv = conv_options();
  const auto length = [&](std::int64_t n, std::int64_t k, std::int64_t s, std::int64_t d,
                          std::optional<std::int64_t> p) {
    return detail::transposed_output_length(n, k, s, d, conv.padding, p);
  };
  const auto& p = options_.output_padding;
  return {Shape{in[0],
                length(in[1], kernel_size_.height, conv.strides.height, conv.dilation_rate.height,
                       p ? std::optional<std::int64_t>(p->height) : std::nullopt),
                length(in[2], kernel_size_.width, conv.strides.width, conv.dilation_rate.width,
                       p ? std::optional<std::int64_t>(p->width) : std::nullopt),
                filters_}};
}

keras::Config Conv2DTransposeLayer::get_config() const {
  keras::Config c = base_config();
  c["output_padding"] =
      options_.output_padding
          ? keras::Config::array({options_.output_padding->height, options_.output_padding->width})
          : keras::Config(nullptr);
  c["kernel_initializer"] = initializer_config(options_.kernel_initializer);
  c["kernel_regularizer"] = regularizer_config(options_.kernel_regularizer);
  return c;
}

Handle<Conv2DTransposeLayer> Conv2DTransposeLayer::from_config(const keras::Config& c) {
  Conv2DTransposeOptions o;
  read_base_config(c, o);
  if (c.contains("output_padding") && !c["output_padding"].is_null()) {
    o.output_padding = detail::size_from_config(c["output_padding"], 0);
  }
  o.kernel_initializer = detail::initializer_from(c, "kernel_initializer", "glorot_uniform");
  o.kernel_regularizer = detail::regularizer_from(c, "kernel_regularizer");
  return Conv2DTranspose(keras::size_from_json(c.at("filters"), "Conv2DTranspose: filters"),
                         detail::size_from_config(c.at("kernel_size"), 1), std::move(o));
}

Handle<Conv2DTransposeLayer> Conv2DTranspose(std::int64_t filters, Size2D kernel_size,
                                             Conv2DTransposeOptions options) {
  return keras::make<Conv2DTransposeLayer>(filters, kernel_size, std::move(options));
}

// --- DepthwiseConv2D -----------------------------------------------------------------------------

namespace {
std::int64_t checked_multiplier(const char* layer, std::int64_t multiplier) {
  if (multiplier <= 0) {
    throw Error(cat(layer, ": depth_multiplier must be positive, got ", multiplier));
  }
  return multiplier;
}
}  // namespace

DepthwiseConv2DLayer::DepthwiseConv2DLayer(Size2D kernel_size, DepthwiseConv2DOptions options)
    : BaseConvLayer("DepthwiseConv2D", "depthwise_conv2d", -1, kernel_size, options),
      options_(std::move(options)) {
  checked_multiplier("DepthwiseConv2D", options_.depth_multiplier);
}

void DepthwiseConv2DLayer::build(const Shape& input_shape) {
  const std::int64_t channels = input_channels(input_shape, -1);
  kernel = add_weight(
      "kernel", {kernel_size_.height, kernel_size_.width, channels, options_.depth_multiplier},
      options_.depthwise_initializer, true, options_.depthwise_regularizer);
  build_bias(channels * options_.depth_multiplier);
}

Tensor DepthwiseConv2DLayer::call(const Tensor& x) {
  check_call_input(*this, x, kernel.shape(2));
  return finish(depthwise_conv2d(x, kernel, op_options()));
}

std::vector<Shape> DepthwiseConv2DLayer::compute_output_shape(
    const std::vector<Shape>& input_shapes) {
  const Shape& in = input_shapes.at(0);
  const std::int64_t channels = input_channels(in, kernel.defined() ? kernel.shape(2) : -1);
  return {spatial_output_shape(in, channels * options_.depth_multiplier)};
}

keras::Config DepthwiseConv2DLayer::get_config() const {
  keras::Config c = base_config();
  c["depth_multiplier"] = options_.depth_multiplier;
  c["depthwise_initializer"] = initializer_config(options_.depthwise_initializer);
  c["depthwise_regularizer"] = regularizer_config(options_.depthwise_regularizer);
  return c;
}

Handle<DepthwiseConv2DLayer> DepthwiseConv2DLayer::from_config(const keras::Config& c) {
  DepthwiseConv2DOptions o;
  read_base_config(c, o);
  o.depth_multiplier = c.value("depth_multiplier", std::int64_t{1});
  o.depthwise_initializer = detail::initializer_from(c, "depthwise_initializer", "glorot_uniform");
  o.depthwise_regularizer = detail::regularizer_from(c, "depthwise_regularizer");
  return DepthwiseConv2D(detail::size_from_config(c.at("kernel_size"), 1), std::move(o));
}

Handle<DepthwiseConv2DLayer> DepthwiseConv2D(Size2D kernel_size, DepthwiseConv2DOptions options) {
  return keras::make<DepthwiseConv2DLayer>(kernel_size, std::move(options));
}

// --- SeparableConv2D -----------------------------------------------------------------------------

SeparableConv2DLayer::SeparableConv2DLayer(std::int64_t filters, Size2D kernel_size,
                                           SeparableConv2DOptions options)
    : BaseConvLayer("SeparableConv2D", "separable_conv2d", filters, kernel_size, options),
      options_(std::move(options)) {
  checked_multiplier("SeparableConv2D", options_.depth_multiplier);
}

void SeparableConv2DLayer::build(const Shape& input_shape) {
  const std::int64_t channels = input_channels(input_shape, -1);
  const std::int64_t multiplier = options_.depth_multiplier;
  depthwise_kernel = add_weight(
      "depthwise_kernel", {kernel_size_.height, kernel_size_.width, channels, multiplier},
      options_.depthwise_initializer, true, options_.depthwise_regularizer);
  pointwise_kernel =
      add_weight("pointwise_kernel", {1, 1, channels * multiplier, filters_},
                 options_.pointwise_initializer, true, options_.pointwise_regularizer);
  build_bias(filters_);
}

Tensor SeparableConv2DLayer::call(const Tensor& x) {
  check_call_input(*this, x, depthwise_kernel.shape(2));
  const Tensor spatial = depthwise_conv2d(x, depthwise_kernel, op_options());
  return finish(conv2d(spatial, pointwise_kernel));
}

std::vector<Shape> SeparableConv2DLayer::compute_output_shape(
    const std::vector<Shape>& input_shapes) {
  const Shape& in = input_shapes.at(0);
  input_channels(in, depthwise_kernel.defined() ? depthwise_kernel.shape(2) : -1);
  return {spatial_output_shape(in, filters_)};
}

keras::Config SeparableConv2DLayer::get_config() const {
  keras::Config c = base_config();
  c["depth_multiplier"] = options_.depth_multiplier;
  c["depthwise_initializer"] = initializer_config(options_.depthwise_initializer);
  c["pointwise_initializer"] = initializer_config(options_.pointwise_initializer);
  c["depthwise_regularizer"] = regularizer_config(options_.depthwise_regularizer);
  c["pointwise_regularizer"] = regularizer_config(options_.pointwise_regularizer);
  return c;
}

Handle<SeparableConv2DLayer> SeparableConv2DLayer::from_config(const keras::Config& c) {
  SeparableConv2DOptions o;
  read_base_config(c, o);
  o.depth_multiplier = c.value("depth_multiplier", std::int64_t{1});
  o.depthwise_initializer = detail::initializer_from(c, "depthwise_initializer", "glorot_uniform");
  o.pointwise_initializer = detail::initializer_from(c, "pointwise_initializer", "glorot_uniform");
  o.depthwise_regularizer = detail::regularizer_from(c, "depthwise_regularizer");
  o.pointwise_regularizer = detail::regularizer_from(c, "pointwise_regularizer");
  return SeparableConv2D(keras::size_from_json(c.at("filters"), "SeparableConv2D: filters"),
                         detail::size_from_config(c.at("kernel_size"), 1), std::move(o));
}

Handle<SeparableConv2DLayer> SeparableConv2D(std::int64_t filters, Size2D kernel_size,
                                             SeparableConv2DOptions options) {
  return keras::make<SeparableConv2DLayer>(filters, kernel_size, std::move(options));
}

}  // namespace ember::layers
