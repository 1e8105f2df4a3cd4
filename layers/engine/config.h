// Layer and model configurations are JSON objects, as in Keras' get_config()/from_config().
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/dtype.h"
#include "core/shape.h"

namespace ember::keras {

using Config = nlohmann::json;

/// A shape as Keras prints it, unknown dimensions as None: "(None, 128)".
std::string shape_string(const Shape& shape);

/// A shape as a JSON list; unknown (batch) dimensions, -1 in ember, become null as in Keras.
Config shape_to_json(const Shape& shape);
Shape shape_from_json(const Config& json);
/// An integer from a config: a JSON integer, or a float with a whole value within int64 (what
/// Python may write); anything else is an Error naming `what` (a float past int64 would be
/// undefined behaviour in the conversion, a string a type error).
std::int64_t integer_from_json(const Config& value, const std::string& what);
/// The largest size a config may ask for (units, filters, a dimension): TensorFlow's int32 bound.
/// Checked when the config is read, before anything is built or allocated; a size within it that
/// still exceeds the machine's memory fails when it is allocated (ResourceExhaustedError).
inline constexpr std::int64_t kMaxConfigSize = 2147483647;
/// integer_from_json, within [minimum, kMaxConfigSize]: an Error naming `what` otherwise.
std::int64_t size_from_json(const Config& value, const std::string& what, std::int64_t minimum = 1);

/// A dtype from its name ("float32") or from Keras 3's {"class_name": "DTypePolicy", "config":
/// {"name": "float32"}}; other names are an error listing the known ones.
DType dtype_from_json(const Config& json);

/// The "axis" of a normalization layer's config: a number, or a list of one (Keras 3 writes
/// LayerNormalization's as [-1], Keras 2 BatchNormalization's as [3]); `fallback` when absent.
/// A list of several axes is an error naming `who`: ember normalizes over one.
std::int64_t single_axis_from_json(const Config& config, std::int64_t fallback,
                                   const std::string& who);

}  // namespace ember::keras
