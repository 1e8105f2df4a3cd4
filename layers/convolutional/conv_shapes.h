// What the image layers (conv, pooling, reshaping) share (internal): Keras' output-length rules
// for symbolic shapes (-1 for unknown sizes) and the JSON forms of their arguments.
#pragma once

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "core/ops/conv.h"
#include "core/ops/conv_support.h"
#include "layers/engine/config.h"
#include "layers/initializers.h"
#include "layers/regularizers.h"

namespace ember::layers::detail {

/// "same" or "valid" in lower case; an Error naming the layer class otherwise.
inline std::string padding_name(const std::string& padding, const char* layer) {
  std::string p = padding;
  std::transform(p.begin(), p.end(), p.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (p != "same" && p != "valid") {
    throw Error(cat(layer, ": padding must be \"valid\" or \"same\", got \"", padding, "\""));
  }
  return p;
}

/// Keras' conv_output_length: "same" gives ceil(in / stride), "valid" floor((in − kd) / stride) + 1
/// with kd the dilated window; unknown (-1) stays unknown. ShapeError when a "valid" window
/// does not fit.
inline std::int64_t output_length(std::int64_t input, std::int64_t window, std::int64_t stride,
                                  std::int64_t dilation, const std::string& padding,
                                  const char* axis, const Shape& input_shape) {
  if (input < 0) return -1;
  const std::int64_t dilated = (window - 1) * dilation + 1;
  if (padding == "same") return (input + stride - 1) / stride;
  if (input < dilated) {
    throw ShapeError(cat("the input ", axis, " ", input, " is smaller than the ",
                         dilation > 1 ? "dilated " : "", "window ", dilated,
                         " with padding \"valid\": input shape ",
                         keras::shape_string(input_shape)));
  }
  return (input - dilated) / stride + 1;
}

/// Keras' deconv_output_length without output_padding.
inline std::int64_t transposed_output_length(
    std::int64_t input, std::int64_t window, std::int64_t stride, std::int64_t dilation,
    const std::string& padding, std::optional<std::int64_t> output_padding = std::nullopt) {
  return ember::detail::transposed_length(input, window, stride, dilation, padding == "same",
                                          output_padding);
}

/// ShapeError unless `shape` is an image batch (batch, height, width, channels) with known
/// channels.
inline void check_image_shape(const Shape& shape) {
  if (shape.rank() != 4) {
    throw ShapeError(cat("expected inputs of rank 4 (batch, height, width, channels), got shape ",
                         keras::shape_string(shape)));
  }
}

inline keras::Config size_config(Size2D size) {
  return keras::Config::array({size.height, size.width});
}

inline Size2D size_from_config(const keras::Config& config, Size2D fallback) {
  if (config.is_null()) return fallback;
  if (config.is_number_integer()) return Size2D(config.get<std::int64_t>());
  return Size2D(config.at(0).get<std::int64_t>(), config.at(1).get<std::int64_t>());
}

inline keras::Config initializer_config(const initializers::InitializerRef& init) {
  return {{"class_name", init.get().class_name()}, {"config", init.get().get_config()}};
}

inline keras::Config regularizer_config(const regularizers::RegularizerRef& r) {
  if (!r) return nullptr;
  return {{"class_name", r.get()->class_name()}, {"config", r.get()->get_config()}};
}

inline initializers::InitializerRef initializer_from(const keras::Config& config, const char* key,
                                                     const char* fallback) {
  return initializers::from_config(config.value(key, keras::Config(fallback)));
}

inline regularizers::RegularizerRef regularizer_from(const keras::Config& config, const char* key) {
  return regularizers::from_config(config.value(key, keras::Config()));
}

}  // namespace ember::layers::detail
