#include "layers/pooling/pooling_layers.h"

#include "core/error.h"
#include "core/ops.h"
#include "layers/convolutional/conv_shapes.h"

namespace ember::layers {
namespace {

const char* pooling_class(PoolMode mode) {
  return mode == PoolMode::max ? "MaxPooling2D" : "AveragePooling2D";
}

void check_positive(const char* layer, const char* what, Size2D size) {
  if (size.height <= 0 || size.width <= 0) {
    throw Error(
        cat(layer, ": ", what, " must be positive, got (", size.height, ", ", size.width, ")"));
  }
}

}  // namespace

Pooling2DLayer::Pooling2DLayer(PoolMode mode, Size2D pool_size, Pooling2DOptions options)
    : Layer({.name = options.name, .input_shape = options.input_shape, .dtype = options.dtype}),
      mode_(mode),
      pool_size_(pool_size),
      strides_(options.strides.value_or(pool_size)),
      padding_(detail::padding_name(options.padding, pooling_class(mode))) {
  assign_default_name(mode == PoolMode::max ? "max_pooling2d" : "average_pooling2d");
  check_positive(pooling_class(mode), "pool_size", pool_size_);
  check_positive(pooling_class(mode), "strides", strides_);
}

std::string Pooling2DLayer::class_name() const { return pooling_class(mode_); }

Tensor Pooling2DLayer::call(const Tensor& x) {
  if (x.rank() != 4) {
    throw ShapeError(cat("layer '", name(), "' (", class_name(),
                         ") expects inputs (batch, height, width, channels), ", "got shape ",
                         x.shape()));
  }
  const Pool2DOptions o{.ksize = pool_size_, .strides = strides_, .padding = padding_};
  return mode_ == PoolMode::max ? max_pool2d(x, o) : avg_pool2d(x, o);
}

std::vector<Shape> Pooling2DLayer::compute_output_shape(const std::vector<Shape>& input_shapes) {
  const Shape& in = input_shapes.at(0);
  detail::check_image_shape(in);
  return {Shape{
      in[0],
      detail::output_length(in[1], pool_size_.height, strides_.height, 1, padding_, "height", in),
      detail::output_length(in[2], pool_size_.width, strides_.width, 1, padding_, "width", in),
      in[3]}};
}

keras::Config Pooling2DLayer::get_config() const {
  keras::Config c = Layer::get_config();
  c["pool_size"] = detail::size_config(pool_size_);
  c["padding"] = padding_;
  c["strides"] = detail::size_config(strides_);
  c["data_format"] = "channels_last";
  return c;
}

Handle<Pooling2DLayer> Pooling2DLayer::from_config(PoolMode mode, const keras::Config& c) {
  Pooling2DOptions o{.padding = c.value("padding", std::string("valid")),
                     .name = c.value("name", std::string())};
  const Size2D pool_size = detail::size_from_config(c.value("pool_size", keras::Config()), 2);
  if (c.contains("strides") && !c["strides"].is_null())
    o.strides = detail::size_from_config(c["strides"], pool_size);
  return keras::make<Pooling2DLayer>(mode, pool_size, std::move(o));
}

Handle<Pooling2DLayer> MaxPooling2D(Size2D pool_size, Pooling2DOptions options) {
  return keras::make<Pooling2DLayer>(PoolMode::max, pool_size, std::move(options));
}

Handle<Pooling2DLayer> AveragePooling2D(Size2D pool_size, Pooling2DOptions options) {
  return keras::make<Pooling2DLayer>(PoolMode::average, pool_size, std::move(options));
}

GlobalPooling2DLayer::GlobalPooling2DLayer(PoolMode mode, GlobalPooling2DOptions options)
    : Layer({.name = options.name, .input_shape = options.input_shape, .dtype = options.dtype}),
      mode_(mode),
      keepdims_(options.keepdims) {
  assign_default_name(mode == PoolMode::max ? "global_max_pooling2d" : "global_average_pooling2d");
}

std::string GlobalPooling2DLayer::class_name() const {
  return mode_ == PoolMode::max ? "GlobalMaxPooling2D" : "GlobalAveragePooling2D";
}

Tensor GlobalPooling2DLayer::call(const Tensor& x) {
  if (x.rank() != 4) {
    throw ShapeError(cat("layer '", name(), "' (", class_name(),
                         ") expects inputs (batch, height, width, channels), ", "got shape ",
                         x.shape()));
  }
  return mode_ == PoolMode::max ? global_max_pool2d(x, keepdims_)
                                : global_average_pool2d(x, keepdims_);
}

std::vector<Shape> GlobalPooling2DLayer::compute_output_shape(
    const std::vector<Shape>& input_shapes) {
  const Shape& in = input_shapes.at(0);
  detail::check_image_shape(in);
  return {keepdims_ ? Shape{in[0], 1, 1, in[3]} : Shape{in[0], in[3]}};
}

keras::Config GlobalPooling2DLayer::get_config() const {
  keras::Config c = Layer::get_config();
  c["data_format"] = "channels_last";
  c["keepdims"] = keepdims_;
  return c;
}

Handle<GlobalPooling2DLayer> GlobalAveragePooling2D(GlobalPooling2DOptions options) {
  return keras::make<GlobalPooling2DLayer>(PoolMode::average, std::move(options));
}

Handle<GlobalPooling2DLayer> GlobalMaxPooling2D(GlobalPooling2DOptions options) {
  return keras::make<GlobalPooling2DLayer>(PoolMode::max, std::move(options));
}

}  // namespace ember::layers
