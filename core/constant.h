// Tensors from host values: `constant(1, Shape{1, 1})`, `constant({1, 2, 3, 4})`,
// `constant({{1.f, 2.f}, {3.f, 4.f}})`, `constant(values, shape)`.
//
// Dtypes follow TensorFlow's rules for Python values: whole numbers become int32 (int64 for
// 64-bit C++ integers), real numbers float32 -- C++ doubles included, as Python floats -- and
// bools bool. Pass a dtype to choose another: `constant({1.0, 2.0}, float64)`. New tensors go to
// default_device().
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <type_traits>
#include <vector>

#include "core/optional.h"
#include "core/scalar.h"
#include "core/tensor.h"

namespace ember {

namespace detail {

// One overload per host element type; `dtype` empty means the natural dtype of the C++ type.
Tensor constant_from_host(const float* values, std::int64_t count, const Shape& shape,
                          std::optional<DType> dtype);
Tensor constant_from_host(const double* values, std::int64_t count, const Shape& shape,
                          std::optional<DType> dtype);
Tensor constant_from_host(const std::int32_t* values, std::int64_t count, const Shape& shape,
                          std::optional<DType> dtype);
Tensor constant_from_host(const std::int64_t* values, std::int64_t count, const Shape& shape,
                          std::optional<DType> dtype);
Tensor constant_from_host(const std::uint8_t* values, std::int64_t count, const Shape& shape,
                          std::optional<DType> dtype);
Tensor constant_from_host(const bool* values, std::int64_t count, const Shape& shape,
                          std::optional<DType> dtype);

/// Throws ShapeError for a ragged nested list, naming the row ("row [1] has 3 elements ...").
[[noreturn]] void throw_ragged(const std::vector<std::int64_t>& row, std::int64_t expected,
                               std::int64_t got);

// The storage type for a C++ element type (long long and friends collapse to int64).
template <class T>
using host_element_t = std::conditional_t<
    std::is_same_v<T, bool>, bool,
    std::conditional_t<
        std::is_floating_point_v<T>, std::conditional_t<std::is_same_v<T, float>, float, double>,
        std::conditional_t<std::is_same_v<T, unsigned char>, std::uint8_t,
                           std::conditional_t<(sizeof(T) <= 4 && std::is_signed_v<T>), std::int32_t,
                                              std::int64_t>>>>;

// Host buffers keep bools as bytes (std::vector<bool> has no contiguous storage).
template <class T>
using host_buffer_t = std::conditional_t<std::is_same_v<T, bool>, std::uint8_t, host_element_t<T>>;

template <class T>
const host_element_t<T>* host_pointer(const std::vector<host_buffer_t<T>>& values) {
  return reinterpret_cast<const host_element_t<T>*>(values.data());
}

template <class T>
struct Flattened {
  std::vector<host_buffer_t<T>> values;
  std::vector<std::int64_t> dims;
};

template <class T>
void flatten_into(const T& value, Flattened<T>& out, int depth, std::vector<std::int64_t>&) {
  (void)depth;
  out.values.push_back(static_cast<host_buffer_t<T>>(value));
}

// Walks a nested initializer list depth-first, recording each level's size the first time it is
// seen and rejecting rows whose size differs. `path` tracks the row being read, for the message.
template <class T, class L>
void flatten_into(std::initializer_list<L> list, Flattened<T>& out, int depth,
                  std::vector<std::int64_t>& path) {
  const auto size = static_cast<std::int64_t>(list.size());
  if (static_cast<int>(out.dims.size()) <= depth) {
    out.dims.push_back(size);
  } else if (out.dims[depth] != size) {
    throw_ragged(path, out.dims[depth], size);
  }
  path.push_back(0);
  for (const L& item : list) {
    flatten_into(item, out, depth + 1, path);
    ++path.back();
  }
  path.pop_back();
}

template <class T, class L>
Tensor constant_from_list(std::initializer_list<L> list, Optional<Shape> shape,
                          std::optional<DType> dtype) {
  Flattened<T> flat;
  std::vector<std::int64_t> path;
  flatten_into(list, flat, 0, path);
  const Shape natural(flat.dims);
  return constant_from_host(host_pointer<T>(flat.values),
                            static_cast<std::int64_t>(flat.values.size()), shape.value_or(natural),
                            dtype);
}

}  // namespace detail

/// A scalar (rank 0) tensor.
Tensor constant(Scalar value, std::optional<DType> dtype = std::nullopt);
/// A tensor of `shape` filled with `value`: `constant(1, Shape{1, 1})` is [[1]].
Tensor constant(Scalar value, const Shape& shape, std::optional<DType> dtype = std::nullopt);
/// A constant with a tensor's (or a variable's) values, converted to `dtype` if given:
/// tf.constant(t). Not differentiable, like every constant.
Tensor constant(const Tensor& value, std::optional<DType> dtype = std::nullopt);
/// A tensor's values laid out in `shape` (sizes must agree), or a one-element tensor filled into
/// it: tf.constant(y, shape=(1, 1)). Not differentiable, like every constant.
Tensor constant(const Tensor& value, const Shape& shape, std::optional<DType> dtype = std::nullopt);

/// From a (nested) list: `constant({1, 2, 3})`, `constant({{1.f, 2.f}, {3.f, 4.f}})`. With a
/// shape, the values are laid out in it (sizes must agree): `constant({1, 2, 3, 4}, Shape{2, 2})`.
template <class T>
requires std::is_arithmetic_v<T> Tensor constant(std::initializer_list<T> values,
                                                 std::optional<DType> dtype = std::nullopt) {
  return detail::constant_from_list<T>(values, std::nullopt, dtype);
}
template <class T>
requires std::is_arithmetic_v<T> Tensor constant(std::initializer_list<T> values,
                                                 const Shape& shape,
                                                 std::optional<DType> dtype = std::nullopt) {
  return detail::constant_from_list<T>(values, shape, dtype);
}
template <class T>
requires std::is_arithmetic_v<T> Tensor
constant(std::initializer_list<std::initializer_list<T>> values,
         std::optional<DType> dtype = std::nullopt) {
  return detail::constant_from_list<T>(values, std::nullopt, dtype);
}
template <class T>
requires std::is_arithmetic_v<T> Tensor
constant(std::initializer_list<std::initializer_list<std::initializer_list<T>>> values,
         std::optional<DType> dtype = std::nullopt) {
  return detail::constant_from_list<T>(values, std::nullopt, dtype);
}
template <class T>
requires std::is_arithmetic_v<T> Tensor constant(
    std::initializer_list<std::initializer_list<std::initializer_list<std::initializer_list<T>>>>
        values,
    std::optional<DType> dtype = std::nullopt) {
  return detail::constant_from_list<T>(values, std::nullopt, dtype);
}

/// From a flat vector laid out in `shape` (row-major); sizes must agree.
template <class T>
requires std::is_arithmetic_v<T> Tensor constant(const std::vector<T>& values, const Shape& shape,
                                                 std::optional<DType> dtype = std::nullopt) {
  using H = detail::host_element_t<T>;
  if constexpr (std::is_same_v<T, H> && !std::is_same_v<T, bool>) {
    return detail::constant_from_host(values.data(), static_cast<std::int64_t>(values.size()),
                                      shape, dtype);
  } else {
    const std::vector<detail::host_buffer_t<T>> converted(values.begin(), values.end());
    return detail::constant_from_host(detail::host_pointer<T>(converted),
                                      static_cast<std::int64_t>(converted.size()), shape, dtype);
  }
}
/// From a flat vector, as a rank-1 tensor.
template <class T>
requires std::is_arithmetic_v<T> Tensor constant(const std::vector<T>& values,
                                                 std::optional<DType> dtype = std::nullopt) {
  return constant(values, Shape{static_cast<std::int64_t>(values.size())}, dtype);
}

}  // namespace ember
