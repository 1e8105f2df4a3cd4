// Element types of tensors. This header is thin on purpose (C++17, no standard-library
// heavyweights): the CUDA sources include it, and nvcc 13 must not see C++20 headers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/half.h"

namespace ember {

/// The element type of a tensor. Names follow TensorFlow (`tf.float32`, ...); `bool_` carries a
/// trailing underscore because `bool` is a C++ keyword. Booleans are stored one byte each (0 or 1).
/// float16 and bfloat16 are stored as core/half.h's Float16 and BFloat16; ops on them compute in
/// float32 and round once.
enum class DType : std::uint8_t { float32, float64, int32, int64, uint8, bool_, float16, bfloat16 };

inline constexpr DType float32 = DType::float32;
inline constexpr DType float64 = DType::float64;
inline constexpr DType int32 = DType::int32;
inline constexpr DType int64 = DType::int64;
inline constexpr DType uint8 = DType::uint8;
inline constexpr DType bool_ = DType::bool_;
inline constexpr DType float16 = DType::float16;
inline constexpr DType bfloat16 = DType::bfloat16;

inline constexpr int kNumDTypes = 8;

/// Bytes per element.
constexpr std::size_t dtype_size(DType t) {
  switch (t) {
    case DType::float32:
      return 4;
    case DType::float64:
      return 8;
    case DType::int32:
      return 4;
    case DType::int64:
      return 8;
    case DType::uint8:
      return 1;
    case DType::bool_:
      return 1;
    case DType::float16:
    case DType::bfloat16:
      return 2;
  }
  return 0;
}

/// TensorFlow's spelling: "float32", "int64", "bool", ...
constexpr const char* dtype_name(DType t) {
  switch (t) {
    case DType::float32:
      return "float32";
    case DType::float64:
      return "float64";
    case DType::int32:
      return "int32";
    case DType::int64:
      return "int64";
    case DType::uint8:
      return "uint8";
    case DType::bool_:
      return "bool";
    case DType::float16:
      return "float16";
    case DType::bfloat16:
      return "bfloat16";
  }
  return "?";
}

/// The 16-bit floating types, which ops compute in float32.
constexpr bool is_half(DType t) { return t == DType::float16 || t == DType::bfloat16; }
constexpr bool is_floating(DType t) {
  return t == DType::float32 || t == DType::float64 || is_half(t);
}
constexpr bool is_integer(DType t) {
  return t == DType::int32 || t == DType::int64 || t == DType::uint8;
}
/// Types that arithmetic ops accept (everything but bool).
constexpr bool is_numeric(DType t) { return t != DType::bool_; }

/// The DType of a C++ element type; `bool` maps to `bool_`.
template <class T>
struct dtype_of;
template <>
struct dtype_of<float> {
  static constexpr DType value = DType::float32;
};
template <>
struct dtype_of<double> {
  static constexpr DType value = DType::float64;
};
template <>
struct dtype_of<std::int32_t> {
  static constexpr DType value = DType::int32;
};
template <>
struct dtype_of<std::int64_t> {
  static constexpr DType value = DType::int64;
};
template <>
struct dtype_of<std::uint8_t> {
  static constexpr DType value = DType::uint8;
};
template <>
struct dtype_of<bool> {
  static constexpr DType value = DType::bool_;
};
template <>
struct dtype_of<Float16> {
  static constexpr DType value = DType::float16;
};
template <>
struct dtype_of<BFloat16> {
  static constexpr DType value = DType::bfloat16;
};

/// Calls `f(T{})` with the C++ type that stores `t` (bool is stored as `bool`, one byte).
/// Used by kernels to turn a runtime dtype into a template argument.
template <class F>
decltype(auto) dispatch_dtype(DType t, F&& f) {
  switch (t) {
    case DType::float32:
      return f(float{});
    case DType::float64:
      return f(double{});
    case DType::int32:
      return f(std::int32_t{});
    case DType::int64:
      return f(std::int64_t{});
    case DType::uint8:
      return f(std::uint8_t{});
    case DType::bool_:
      return f(bool{});
    case DType::float16:
      return f(Float16{});
    case DType::bfloat16:
      return f(BFloat16{});
  }
  return f(float{});
}

}  // namespace ember
