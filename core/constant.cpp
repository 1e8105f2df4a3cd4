#include "core/constant.h"

#include <cmath>
#include <limits>
#include <sstream>

#include "core/autodiff/gradient_tape.h"
#include "core/error.h"
#include "core/ops/elementwise.h"
#include "core/ops/shape.h"
#include "core/tensor_impl.h"

namespace ember {
namespace detail {
namespace {

template <class S>
DType natural_dtype() {
  if constexpr (std::is_floating_point_v<S>) return DType::float32;
  return dtype_of<S>::value;
}

std::string format_row(const std::vector<std::int64_t>& row) {
  std::ostringstream s;
  for (std::int64_t i : row) s << '[' << i << ']';
  return s.str();
}

// Converts one host value to the target element type, rejecting what TensorFlow rejects.
template <class D, class S>
D convert_value(S v, std::int64_t index) {
  if constexpr (std::is_same_v<D, bool> != std::is_same_v<S, bool>) {
    throw DTypeError(cat("constant: cannot convert element ", index, " (", +v, ") to ",
                         dtype_name(dtype_of<D>::value), "; bool and numbers do not mix"));
  } else if constexpr (std::is_integral_v<D> && std::is_floating_point_v<S>) {
    if (!std::isfinite(v) || std::floor(v) != v ||
        v < static_cast<double>(std::numeric_limits<D>::lowest()) ||
        v > static_cast<double>(std::numeric_limits<D>::max())) {
      throw DTypeError(cat("constant: cannot convert element ", index, " (", v, ") to ",
                           dtype_name(dtype_of<D>::value), " exactly"));
    }
    return static_cast<D>(v);
  } else if constexpr (std::is_integral_v<D> && std::is_integral_v<S> && !std::is_same_v<D, bool>) {
    if (static_cast<std::int64_t>(v) <
            static_cast<std::int64_t>(std::numeric_limits<D>::lowest()) ||
        static_cast<std::int64_t>(v) > static_cast<std::int64_t>(std::numeric_limits<D>::max())) {
      throw DTypeError(cat("constant: element ", index, " (", +v, ") is out of range for ",
                           dtype_name(dtype_of<D>::value)));
    }
    return static_cast<D>(v);
  } else if constexpr (is_half_type_v<D>) {
    return D(static_cast<double>(v));  // rounded to nearest even, as TensorFlow converts
  } else {
    return static_cast<D>(v);
  }
}

template <class S>
Tensor make_constant(const S* values, std::int64_t count, const Shape& shape,
                     std::optional<DType> dtype) {
  const DType target = dtype.value_or(natural_dtype<S>());
  const std::int64_t n = shape.num_elements();
  if (count != n && count != 1) {
    throw ShapeError(
        cat("constant: ", count, " values do not fill shape ", shape, " (", n, " elements)"));
  }
  return dispatch_dtype(target, [&](auto zero) {
    using D = decltype(zero);
    std::vector<std::uint8_t> buffer(static_cast<std::size_t>(n) * sizeof(D));
    D* out = reinterpret_cast<D*>(buffer.data());
    if (count == 1) {
      const D v = convert_value<D>(values[0], 0);
      for (std::int64_t i = 0; i < n; ++i) out[i] = v;
    } else {
      for (std::int64_t i = 0; i < n; ++i) out[i] = convert_value<D>(values[i], i);
    }
    return from_host(buffer.data(), shape, target, default_device());
  });
}

}  // namespace

void throw_ragged(const std::vector<std::int64_t>& row, std::int64_t expected, std::int64_t got) {
  throw ShapeError(cat("constant: ragged nested list: row ", format_row(row), " has ", got,
                       " element(s) but the rows before it have ", expected,
                       "; a tensor must be rectangular"));
}

Tensor constant_from_host(const float* v, std::int64_t n, const Shape& s, std::optional<DType> d) {
  return make_constant(v, n, s, d);
}
Tensor constant_from_host(const double* v, std::int64_t n, const Shape& s, std::optional<DType> d) {
  return make_constant(v, n, s, d);
}
Tensor constant_from_host(const std::int32_t* v, std::int64_t n, const Shape& s,
                          std::optional<DType> d) {
  return make_constant(v, n, s, d);
}
Tensor constant_from_host(const std::int64_t* v, std::int64_t n, const Shape& s,
                          std::optional<DType> d) {
  return make_constant(v, n, s, d);
}
Tensor constant_from_host(const std::uint8_t* v, std::int64_t n, const Shape& s,
                          std::optional<DType> d) {
  return make_constant(v, n, s, d);
}
Tensor constant_from_host(const bool* v, std::int64_t n, const Shape& s, std::optional<DType> d) {
  return make_constant(v, n, s, d);
}

}  // namespace detail

Tensor constant(Scalar value, std::optional<DType> dtype) {
  return constant(value, Shape{}, dtype);
}

Tensor constant(Scalar value, const Shape& shape, std::optional<DType> dtype) {
  const DType target = dtype.value_or(value.natural_dtype());
  const ScalarValue v = value.as(target, "constant");
  Tensor t = detail::empty(shape, target, default_device());
  if (t.size() > 0) detail::backend_of(t).fill(target, detail::mutable_data(t), t.size(), v);
  return t;
}

Tensor constant(const Tensor& value, std::optional<DType> dtype) {
  detail::check_defined(value, "constant");
  return constant(value, value.shape(), dtype);
}

Tensor constant(const Tensor& value, const Shape& shape, std::optional<DType> dtype) {
  detail::check_defined(value, "constant");
  Tensor out = stop_gradient(value);
  if (dtype && *dtype != out.dtype()) out = cast(out, *dtype);
  if (out.size() == shape.num_elements()) return reshape(out, shape);
  if (out.size() == 1) return broadcast_to(reshape(out, Shape{}), shape);
  throw ShapeError(cat("constant: a value of shape ", value.shape(), " (", value.size(),
                       " elements) does not fit shape ", shape, " (", shape.num_elements(),
                       " elements)"));
}

}  // namespace ember
