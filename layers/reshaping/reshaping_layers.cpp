#include "layers/reshaping/reshaping_layers.h"

#include "core/error.h"
#include "core/ops.h"
#include "layers/convolutional/conv_shapes.h"

namespace ember::layers {
namespace {

void check_call_input(const keras::Layer& layer, const Tensor& x) {
  if (x.rank() != 4) {
    throw ShapeError(cat("layer '", layer.name(), "' (", layer.class_name(),
                         ") expects inputs (batch, height, width, ", "channels), got shape ",
                         x.shape()));
  }
}

std::int64_t scaled(std::int64_t n, std::int64_t factor) { return n < 0 ? -1 : n * factor; }
std::int64_t grown(std::int64_t n, std::int64_t extra) { return n < 0 ? -1 : n + extra; }

}  // namespace

UpSampling2DLayer::UpSampling2DLayer(Size2D size, UpSampling2DOptions options)
    : Layer({.name = options.name, .input_shape = options.input_shape, .dtype = options.dtype}),
      size_(size) {
  assign_default_name("up_sampling2d");
  if (size.height <= 0 || size.width <= 0) {
    throw Error(
        cat("UpSampling2D: size must be positive, got (", size.height, ", ", size.width, ")"));
  }
  if (options.interpolation != "nearest" && options.interpolation != "bilinear") {
    throw Error(cat("UpSampling2D: interpolation must be \"nearest\" or \"bilinear\", got \"",
                    options.interpolation, "\""));
  }
  interpolation_ = options.interpolation;
}

Tensor UpSampling2DLayer::call(const Tensor& x) {
  check_call_input(*this, x);
  return upsampling2d(x, size_, interpolation_);
}

std::vector<Shape> UpSampling2DLayer::compute_output_shape(const std::vector<Shape>& input_shapes) {
  const Shape& in = input_shapes.at(0);
  detail::check_image_shape(in);
  return {Shape{in[0], scaled(in[1], size_.height), scaled(in[2], size_.width), in[3]}};
}

keras::Config UpSampling2DLayer::get_config() const {
  keras::Config c = Layer::get_config();
  c["size"] = detail::size_config(size_);
  c["data_format"] = "channels_last";
  c["interpolation"] = interpolation_;
  return c;
}

Handle<UpSampling2DLayer> UpSampling2DLayer::from_config(const keras::Config& c) {
  return UpSampling2D(detail::size_from_config(c.value("size", keras::Config()), 2),
                      {.interpolation = c.value("interpolation", std::string("nearest")),
                       .name = c.value("name", std::string())});
}

Handle<UpSampling2DLayer> UpSampling2D(Size2D size, UpSampling2DOptions options) {
  return keras::make<UpSampling2DLayer>(size, std::move(options));
}

ZeroPadding2DLayer::ZeroPadding2DLayer(Padding2D padding, keras::LayerOptions options)
    : Layer(std::move(options)), padding_(padding) {
  assign_default_name("zero_padding2d");
  if (padding.top < 0 || padding.bottom < 0 || padding.left < 0 || padding.right < 0) {
    throw Error(cat("ZeroPadding2D: padding must not be negative, got ((", padding.top, ", ",
                    padding.bottom, "), (", padding.left, ", ", padding.right, "))"));
  }
}

Tensor ZeroPadding2DLayer::call(const Tensor& x) {
  check_call_input(*this, x);
  return pad(x, {{0, 0}, {padding_.top, padding_.bottom}, {padding_.left, padding_.right}, {0, 0}});
}

std::vector<Shape> ZeroPadding2DLayer::compute_output_shape(
    const std::vector<Shape>& input_shapes) {
  const Shape& in = input_shapes.at(0);
  detail::check_image_shape(in);
  return {Shape{in[0], grown(in[1], padding_.top + padding_.bottom),
                grown(in[2], padding_.left + padding_.right), in[3]}};
}

keras::Config ZeroPadding2DLayer::get_config() const {
  keras::Config c = Layer::get_config();
  c["padding"] = keras::Config::array({keras::Config::array({padding_.top, padding_.bottom}),
                                       keras::Config::array({padding_.left, padding_.right})});
  c["data_format"] = "channels_last";
  return c;
}

Handle<ZeroPadding2DLayer> ZeroPadding2DLayer::from_config(const keras::Config& c) {
  const keras::Config p = c.value("padding", keras::Config());
  const auto pair = [](const keras::Config& v) {
    return std::array<std::int64_t, 2>{keras::size_from_json(v.at(0), "Cropping", 0),
                                       keras::size_from_json(v.at(1), "Cropping", 0)};
  };
  const Padding2D padding = p.is_null() ? Padding2D(1) : Padding2D(pair(p.at(0)), pair(p.at(1)));
  return ZeroPadding2D(
      padding, {.name = c.value("name", std::string()), .trainable = c.value("trainable", true)});
}

Handle<ZeroPadding2DLayer> ZeroPadding2D(Padding2D padding, keras::LayerOptions options) {
  return keras::make<ZeroPadding2DLayer>(padding, std::move(options));
}

}  // namespace ember::layers
