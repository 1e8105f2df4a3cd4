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

Tensor with_bias_and_activation(Tensor y, bool use_bias, const Variable& bias,
                                const activations::Activation& activation) {
  if (use_bias) y = bias_add(y, bias);
  return activation.is_linear() ? y : activation(y);
}

keras::Config conv_config(keras::Config c, Size2D kernel_size, Size2D strides,
                          const std::string& padding, Size2D dilation_rate,
                          const activations::Activation& activation, bool use_bias) {
  c["kernel_size"] = size_config(kernel_size);
  c["strides"] = size_config(strides);
  c["padding"] = padding;
  c["data_format"] = "channels_last";
  c["dilation_rate"] = size_config(dilation_rate);
  c["activation"] = activation.name();
  c["use_bias"] = use_bias;
  return c;
}

}  // namespace

// --- Conv2D --------------------------------------------------------------------------------------

Conv2DLayer::Conv2DLayer(std::int64_t filters, Size2D kernel_size, Conv2DLayerOptions options)
    : Layer({options.name, options.trainable, options.input_shape}),
      filters_(filters),
      kernel_size_(kernel_size),
      options_(std::move(options)) {
  assign_default_name("conv2d");
  check_sizes("Conv2D", filters, kernel_size, options_.strides, options_.dilation_rate);
  options_.padding = detail::padding_name(options_.padding, "Conv2D");
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
  if (options_.use_bias)
    bias =
        add_weight("bias", {filters_}, options_.bias_initializer, true, options_.bias_regularizer);
}

Tensor Conv2DLayer::call(const Tensor& x) {
  check_call_input(*this, x, kernel.shape(2) * options_.groups);
  const Tensor y = conv2d(x, kernel,
                          {.strides = options_.strides,
                           .padding = options_.padding,
                           .dilation_rate = options_.dilation_rate});
  return with_bias_and_activation(y, options_.use_bias, bias, options_.activation);
}

std::vector<Shape> Conv2DLayer::compute_output_shape(const std::vector<Shape>& input_shapes) {
  const Shape& in = input_shapes.at(0);
  input_channels(in, kernel.defined() ? kernel.shape(2) * options_.groups : -1);
  return {image_output_shape(in, kernel_size_, options_.strides, options_.dilation_rate,
                             options_.padding, filters_)};
}

keras::Config Conv2DLayer::get_config() const {
  keras::Config c =
      conv_config(Layer::get_config(), kernel_size_, options_.strides, options_.padding,
                  options_.dilation_rate, options_.activation, options_.use_bias);
  c["filters"] = filters_;
  c["groups"] = options_.groups;
  c["kernel_initializer"] = initializer_config(options_.kernel_initializer);
  c["bias_initializer"] = initializer_config(options_.bias_initializer);
  c["kernel_regularizer"] = regularizer_config(options_.kernel_regularizer);
  c["bias_regularizer"] = regularizer_config(options_.bias_regularizer);
  return c;
}

Handle<Conv2DLayer> Conv2DLayer::from_config(const keras::Config& c) {
  return Conv2D(
      c.at("filters").get<std::int64_t>(), detail::size_from_config(c.at("kernel_size"), 1),
      {.strides = detail::size_from_config(c.value("strides", keras::Config()), 1),
       .activation = c.value("activation", std::string("linear")),
       .padding = c.value("padding", std::string("valid")),
       .dilation_rate = detail::size_from_config(c.value("dilation_rate", keras::Config()), 1),
       .groups = c.value("groups", std::int64_t{1}),
       .use_bias = c.value("use_bias", true),
       .kernel_initializer = detail::initializer_from(c, "kernel_initializer", "glorot_uniform"),
       .bias_initializer = detail::initializer_from(c, "bias_initializer", "zeros"),
       .kernel_regularizer = detail::regularizer_from(c, "kernel_regularizer"),
       .bias_regularizer = detail::regularizer_from(c, "bias_regularizer"),
       .name = c.value("name", std::string()),
       .trainable = c.value("trainable", true)});
}

Handle<Conv2DLayer> Conv2D(std::int64_t filters, Size2D kernel_size, Conv2DLayerOptions options) {
  return keras::make<Conv2DLayer>(filters, kernel_size, std::move(options));
}

// --- Conv2DTranspose -----------------------------------------------------------------------------

Conv2DTransposeLayer::Conv2DTransposeLayer(std::int64_t filters, Size2D kernel_size,
                                           Conv2DTransposeOptions options)
    : Layer({options.name, options.trainable, options.input_shape}),
      filters_(filters),
      kernel_size_(kernel_size),
      options_(std::move(options)) {
  assign_default_name("conv2d_transpose");
  check_sizes("Conv2DTranspose", filters, kernel_size, options_.strides, options_.dilation_rate);
  options_.padding = detail::padding_name(options_.padding, "Conv2DTranspose");
  const auto& p = options_.output_padding;
  if (p && (p->height < 0 || p->width < 0 || p->height >= options_.strides.height ||
            p->width >= options_.strides.width)) {
    throw Error(cat("Conv2DTranspose: output_padding (", p->height, ", ", p->width,
                    ") must be >= 0 and less than the strides (", options_.strides.height, ", ",
                    options_.strides.width, ")"));
  }
}

void Conv2DTransposeLayer::build(const Shape& input_shape) {
  const std::int64_t channels = input_channels(input_shape, -1);
  kernel = add_weight("kernel", {kernel_size_.height, kernel_size_.width, filters_, channels},
                      options_.kernel_initializer, true, options_.kernel_regularizer);
  if (options_.use_bias)
    bias =
        add_weight("bias", {filters_}, options_.bias_initializer, true, options_.bias_regularizer);
}

Tensor Conv2DTransposeLayer::call(const Tensor& x) {
  check_call_input(*this, x, kernel.shape(3));
  const Tensor y = conv2d_transpose(x, kernel,
                                    {.strides = options_.strides,
                                     .padding = options_.padding,
                                     .dilation_rate = options_.dilation_rate,
                                     .output_padding = options_.output_padding});
  return with_bias_and_activation(y, options_.use_bias, bias, options_.activation);
}

std::vector<Shape> Conv2DTransposeLayer::compute_output_shape(
    const std::vector<Shape>& input_shapes) {
  const Shape& in = input_shapes.at(0);
  input_channels(in, kernel.defined() ? kernel.shape(3) : -1);
  const auto length = [&](std::int64_t n, std::int64_t k, std::int64_t s, std::int64_t d,
                          std::optional<std::int64_t> p) {
    return detail::transposed_output_length(n, k, s, d, options_.padding, p);
  };
  const auto& p = options_.output_padding;
  return {Shape{
      in[0],
      length(in[1], kernel_size_.height, options_.strides.height, options_.dilation_rate.height,
             p ? std::optional<std::int64_t>(p->height) : std::nullopt),
      length(in[2], kernel_size_.width, options_.strides.width, options_.dilation_rate.width,
             p ? std::optional<std::int64_t>(p->width) : std::nullopt),
      filters_}};
}

keras::Config Conv2DTransposeLayer::get_config() const {
  keras::Config c =
      conv_config(Layer::get_config(), kernel_size_, options_.strides, options_.padding,
                  options_.dilation_rate, options_.activation, options_.use_bias);
  c["filters"] = filters_;
  c["output_padding"] =
      options_.output_padding
          ? keras::Config::array({options_.output_padding->height, options_.output_padding->width})
          : keras::Config(nullptr);
  c["kernel_initializer"] = initializer_config(options_.kernel_initializer);
  c["bias_initializer"] = initializer_config(options_.bias_initializer);
  c["kernel_regularizer"] = regularizer_config(options_.kernel_regularizer);
  c["bias_regularizer"] = regularizer_config(options_.bias_regularizer);
  return c;
}

Handle<Conv2DTransposeLayer> Conv2DTransposeLayer::from_config(const keras::Config& c) {
  return Conv2DTranspose(
      c.at("filters").get<std::int64_t>(), detail::size_from_config(c.at("kernel_size"), 1),
      {.strides = detail::size_from_config(c.value("strides", keras::Config()), 1),
       .activation = c.value("activation", std::string("linear")),
       .padding = c.value("padding", std::string("valid")),
       .output_padding =
           c.contains("output_padding") && !c["output_padding"].is_null()
               ? std::optional<Size2D>(detail::size_from_config(c["output_padding"], 0))
               : std::nullopt,
       .dilation_rate = detail::size_from_config(c.value("dilation_rate", keras::Config()), 1),
       .use_bias = c.value("use_bias", true),
       .kernel_initializer = detail::initializer_from(c, "kernel_initializer", "glorot_uniform"),
       .bias_initializer = detail::initializer_from(c, "bias_initializer", "zeros"),
       .kernel_regularizer = detail::regularizer_from(c, "kernel_regularizer"),
       .bias_regularizer = detail::regularizer_from(c, "bias_regularizer"),
       .name = c.value("name", std::string()),
       .trainable = c.value("trainable", true)});
}

Handle<Conv2DTransposeLayer> Conv2DTranspose(std::int64_t filters, Size2D kernel_size,
                                             Conv2DTransposeOptions options) {
  return keras::make<Conv2DTransposeLayer>(filters, kernel_size, std::move(options));
}

// --- DepthwiseConv2D -----------------------------------------------------------------------------

DepthwiseConv2DLayer::DepthwiseConv2DLayer(Size2D kernel_size, DepthwiseConv2DOptions options)
    : Layer({options.name, options.trainable, options.input_shape}),
      kernel_size_(kernel_size),
      options_(std::move(options)) {
  assign_default_name("depthwise_conv2d");
  if (options_.depth_multiplier <= 0) {
    throw Error(
        cat("DepthwiseConv2D: depth_multiplier must be positive, got ", options_.depth_multiplier));
  }
  check_sizes("DepthwiseConv2D", 1, kernel_size, options_.strides, options_.dilation_rate);
  options_.padding = detail::padding_name(options_.padding, "DepthwiseConv2D");
}

void DepthwiseConv2DLayer::build(const Shape& input_shape) {
  const std::int64_t channels = input_channels(input_shape, -1);
  kernel = add_weight(
      "kernel", {kernel_size_.height, kernel_size_.width, channels, options_.depth_multiplier},
      options_.depthwise_initializer, true, options_.depthwise_regularizer);
  if (options_.use_bias) {
    bias = add_weight("bias", {channels * options_.depth_multiplier}, options_.bias_initializer,
                      true, options_.bias_regularizer);
  }
}

Tensor DepthwiseConv2DLayer::call(const Tensor& x) {
  check_call_input(*this, x, kernel.shape(2));
  const Tensor y = depthwise_conv2d(x, kernel,
                                    {.strides = options_.strides,
                                     .padding = options_.padding,
                                     .dilation_rate = options_.dilation_rate});
  return with_bias_and_activation(y, options_.use_bias, bias, options_.activation);
}

std::vector<Shape> DepthwiseConv2DLayer::compute_output_shape(
    const std::vector<Shape>& input_shapes) {
  const Shape& in = input_shapes.at(0);
  const std::int64_t channels = input_channels(in, kernel.defined() ? kernel.shape(2) : -1);
  return {image_output_shape(in, kernel_size_, options_.strides, options_.dilation_rate,
                             options_.padding, channels * options_.depth_multiplier)};
}

keras::Config DepthwiseConv2DLayer::get_config() const {
  keras::Config c =
      conv_config(Layer::get_config(), kernel_size_, options_.strides, options_.padding,
                  options_.dilation_rate, options_.activation, options_.use_bias);
  c["depth_multiplier"] = options_.depth_multiplier;
  c["depthwise_initializer"] = initializer_config(options_.depthwise_initializer);
  c["bias_initializer"] = initializer_config(options_.bias_initializer);
  c["depthwise_regularizer"] = regularizer_config(options_.depthwise_regularizer);
  c["bias_regularizer"] = regularizer_config(options_.bias_regularizer);
  return c;
}

Handle<DepthwiseConv2DLayer> DepthwiseConv2DLayer::from_config(const keras::Config& c) {
  return DepthwiseConv2D(
      detail::size_from_config(c.at("kernel_size"), 1),
      {.strides = detail::size_from_config(c.value("strides", keras::Config()), 1),
       .activation = c.value("activation", std::string("linear")),
       .padding = c.value("padding", std::string("valid")),
       .depth_multiplier = c.value("depth_multiplier", std::int64_t{1}),
       .dilation_rate = detail::size_from_config(c.value("dilation_rate", keras::Config()), 1),
       .use_bias = c.value("use_bias", true),
       .depthwise_initializer =
           detail::initializer_from(c, "depthwise_initializer", "glorot_uniform"),
       .bias_initializer = detail::initializer_from(c, "bias_initializer", "zeros"),
       .depthwise_regularizer = detail::regularizer_from(c, "depthwise_regularizer"),
       .bias_regularizer = detail::regularizer_from(c, "bias_regularizer"),
       .name = c.value("name", std::string()),
       .trainable = c.value("trainable", true)});
}

Handle<DepthwiseConv2DLayer> DepthwiseConv2D(Size2D kernel_size, DepthwiseConv2DOptions options) {
  return keras::make<DepthwiseConv2DLayer>(kernel_size, std::move(options));
}

// --- SeparableConv2D -----------------------------------------------------------------------------

SeparableConv2DLayer::SeparableConv2DLayer(std::int64_t filters, Size2D kernel_size,
                                           SeparableConv2DOptions options)
    : Layer({options.name, options.trainable, options.input_shape}),
      filters_(filters),
      kernel_size_(kernel_size),
      options_(std::move(options)) {
  assign_default_name("separable_conv2d");
  check_sizes("SeparableConv2D", filters, kernel_size, options_.strides, options_.dilation_rate);
  if (options_.depth_multiplier <= 0) {
    throw Error(
        cat("SeparableConv2D: depth_multiplier must be positive, got ", options_.depth_multiplier));
  }
  options_.padding = detail::padding_name(options_.padding, "SeparableConv2D");
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
  if (options_.use_bias)
    bias =
        add_weight("bias", {filters_}, options_.bias_initializer, true, options_.bias_regularizer);
}

Tensor SeparableConv2DLayer::call(const Tensor& x) {
  check_call_input(*this, x, depthwise_kernel.shape(2));
  const Tensor spatial = depthwise_conv2d(x, depthwise_kernel,
                                          {.strides = options_.strides,
                                           .padding = options_.padding,
                                           .dilation_rate = options_.dilation_rate});
  return with_bias_and_activation(conv2d(spatial, pointwise_kernel), options_.use_bias, bias,
                                  options_.activation);
}

std::vector<Shape> SeparableConv2DLayer::compute_output_shape(
    const std::vector<Shape>& input_shapes) {
  const Shape& in = input_shapes.at(0);
  input_channels(in, depthwise_kernel.defined() ? depthwise_kernel.shape(2) : -1);
  return {image_output_shape(in, kernel_size_, options_.strides, options_.dilation_rate,
                             options_.padding, filters_)};
}

keras::Config SeparableConv2DLayer::get_config() const {
  keras::Config c =
      conv_config(Layer::get_config(), kernel_size_, options_.strides, options_.padding,
                  options_.dilation_rate, options_.activation, options_.use_bias);
  c["filters"] = filters_;
  c["depth_multiplier"] = options_.depth_multiplier;
  c["depthwise_initializer"] = initializer_config(options_.depthwise_initializer);
  c["pointwise_initializer"] = initializer_config(options_.pointwise_initializer);
  c["bias_initializer"] = initializer_config(options_.bias_initializer);
  c["depthwise_regularizer"] = regularizer_config(options_.depthwise_regularizer);
  c["pointwise_regularizer"] = regularizer_config(options_.pointwise_regularizer);
  c["bias_regularizer"] = regularizer_config(options_.bias_regularizer);
  return c;
}

Handle<SeparableConv2DLayer> SeparableConv2DLayer::from_config(const keras::Config& c) {
  return SeparableConv2D(
      c.at("filters").get<std::int64_t>(), detail::size_from_config(c.at("kernel_size"), 1),
      {.strides = detail::size_from_config(c.value("strides", keras::Config()), 1),
       .activation = c.value("activation", std::string("linear")),
       .padding = c.value("padding", std::string("valid")),
       .depth_multiplier = c.value("depth_multiplier", std::int64_t{1}),
       .dilation_rate = detail::size_from_config(c.value("dilation_rate", keras::Config()), 1),
       .use_bias = c.value("use_bias", true),
       .depthwise_initializer =
           detail::initializer_from(c, "depthwise_initializer", "glorot_uniform"),
       .pointwise_initializer =
           detail::initializer_from(c, "pointwise_initializer", "glorot_uniform"),
       .bias_initializer = detail::initializer_from(c, "bias_initializer", "zeros"),
       .depthwise_regularizer = detail::regularizer_from(c, "depthwise_regularizer"),
       .pointwise_regularizer = detail::regularizer_from(c, "pointwise_regularizer"),
       .bias_regularizer = detail::regularizer_from(c, "bias_regularizer"),
       .name = c.value("name", std::string()),
       .trainable = c.value("trainable", true)});
}

Handle<SeparableConv2DLayer> SeparableConv2D(std::int64_t filters, Size2D kernel_size,
                                             SeparableConv2DOptions options) {
  return keras::make<SeparableConv2DLayer>(filters, kernel_size, std::move(options));
}

}  // namespace ember::layers
