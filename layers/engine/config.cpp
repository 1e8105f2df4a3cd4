#include "layers/engine/config.h"

#include <cmath>
#include <cstdint>

#include "core/error.h"
#include "core/ops/elementwise.h"

namespace ember::keras {

std::string shape_string(const Shape& shape) {
  std::string out = "(";
  for (int i = 0; i < shape.rank(); ++i) {
    if (i > 0) out += ", ";
    out += shape[i] < 0 ? "None" : std::to_string(shape[i]);
  }
  return out + (shape.rank() == 1 ? ",)" : ")");
}

Config shape_to_json(const Shape& shape) {
  Config out = Config::array();
  for (std::int64_t d : shape) out.push_back(d < 0 ? Config(nullptr) : Config(d));
  return out;
}

std::int64_t integer_from_json(const Config& value, const std::string& what) {
  if (value.is_number_integer()) {
    if (value.is_number_unsigned() && value.get<std::uint64_t>() > INT64_MAX)
      throw Error(cat(what, ": ", value.dump(), " is past the largest integer (2^63 - 1)"));
    return value.get<std::int64_t>();
  }
  if (value.is_number_float()) {
    const double v = value.get<double>();
    // 2^63 itself is not representable: the bound is exclusive.
    if (std::isfinite(v) && v == std::floor(v) && v >= -9.223372036854775808e18 &&
        v < 9.223372036854775808e18)
      return static_cast<std::int64_t>(v);
  }
  throw Error(cat(what, ": expected an integer, got ", value.dump()));
}

std::int64_t size_from_json(const Config& value, const std::string& what, std::int64_t minimum) {
  const std::int64_t size = integer_from_json(value, what);
  if (size < minimum || size > kMaxConfigSize)
    throw Error(cat(what, ": ", size, " is outside [", minimum,
                    ", 2^31 - 1], the sizes a config "
                    "may ask for"));
  return size;
}

Shape shape_from_json(const Config& json) {
  if (!json.is_array()) throw Error(cat("config: expected a shape list, got ", json.dump()));
  std::vector<std::int64_t> dims;
  for (const Config& d : json)
    // -1: inferred (Reshape's target_shape); null: unknown (a batch axis).
    dims.push_back(d.is_null() ? -1 : size_from_json(d, "config: a shape's dimension", -1));
  return Shape(dims);
}

DType dtype_from_json(const Config& json) {
  const Config& name =
      json.is_object() ? json.value("config", Config::object()).value("name", Config()) : json;
  if (!name.is_string())
    throw Error(cat("dtype: expected a name or a DTypePolicy, got ", json.dump()));
  return dtype_from_name(name.get<std::string>(), "dtype");
}

std::int64_t single_axis_from_json(const Config& config, std::int64_t fallback,
                                   const std::string& who) {
  if (!config.contains("axis") || config["axis"].is_null()) return fallback;
  const Config& axis = config["axis"];
  if (!axis.is_array()) return integer_from_json(axis, cat(who, ": axis"));
  if (axis.size() != 1)
    throw Error(cat(who, ": axis ", axis.dump(), "; ember normalizes over one axis"));
  return integer_from_json(axis[0], cat(who, ": axis"));
}

}  // namespace ember::keras
