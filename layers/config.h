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

/// A dtype from its name ("float32") or from Keras 3's {"class_name": "DTypePolicy", "config":
/// {"name": "float32"}}; other names are an error listing the known ones.
DType dtype_from_json(const Config& json);

}  // namespace ember::keras
