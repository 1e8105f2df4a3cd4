// A host value that meets a tensor: the `2.0f` in `x * 2.0f`, the fill value of `fill`. It takes
// the dtype of the tensor it meets; alone, it has the dtype TensorFlow gives a Python value
// (double -> float32, int -> int32, bool -> bool).
#pragma once

#include <cstdint>
#include <type_traits>

#include "core/backend/kernel_types.h"
#include "core/dtype.h"

namespace ember {

class Scalar {
 public:
  template <class T>
  requires std::is_arithmetic_v<T> Scalar(
      T value) {  // NOLINT: implicit, so any C++ number can be passed where a Scalar is taken
    if constexpr (std::is_same_v<T, bool>) {
      dtype_ = DType::bool_;
      value_.i = value ? 1 : 0;
      value_.f = value_.i;
    } else if constexpr (std::is_floating_point_v<T>) {
      dtype_ = DType::float32;
      value_.f = static_cast<double>(value);
    } else if constexpr (std::is_same_v<T, unsigned char>) {
      dtype_ = DType::uint8;
      value_.i = value;
      value_.f = value;
    } else if constexpr (sizeof(T) <= 4 && std::is_signed_v<T>) {
      dtype_ = DType::int32;
      value_.i = value;
      value_.f = static_cast<double>(value);
    } else {
      dtype_ = DType::int64;
      value_.i = static_cast<std::int64_t>(value);
      value_.f = static_cast<double>(value);
    }
    is_floating_ = std::is_floating_point_v<T>;
  }

  /// The dtype this value has on its own.
  DType natural_dtype() const { return dtype_; }
  /// The value as `target`; throws DTypeError naming `op` when it does not convert exactly
  /// (2.5 to int32, 300 to uint8, 1 to bool).
  ScalarValue as(DType target, const char* op) const;
  double as_double() const { return is_floating_ ? value_.f : static_cast<double>(value_.i); }

 private:
  DType dtype_ = DType::float32;
  bool is_floating_ = true;
  ScalarValue value_;
};

}  // namespace ember
