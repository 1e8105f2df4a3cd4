// Operand: what an elementwise op accepts on either side -- a Tensor (or anything that converts
// to one, like a Variable) or a plain C++ number. A number takes the dtype of the tensor it meets,
// as a Python number does in TensorFlow: `x * 2` works for float32 x and for int32 x.
#pragma once

#include <type_traits>

#include "core/scalar.h"
#include "core/tensor.h"

namespace ember {

class Operand {
 public:
  Operand(const Tensor& t) : tensor_(t) {}        // NOLINT: implicit on purpose
  Operand(Tensor&& t) : tensor_(std::move(t)) {}  // NOLINT
  template <class T>
  requires std::is_arithmetic_v<T> Operand(T value) : scalar_(value), is_scalar_(true) {}  // NOLINT
  template <class T>
  requires(!std::is_arithmetic_v<T> && !std::is_same_v<std::remove_cvref_t<T>, Tensor> &&
           std::is_convertible_v<const T&, Tensor>) Operand(const T& value)
      : tensor_(static_cast<Tensor>(value)) {}  // NOLINT

  bool is_scalar() const { return is_scalar_; }
  const Tensor& tensor() const { return tensor_; }
  const Scalar& scalar() const { return scalar_; }

 private:
  Tensor tensor_;
  Scalar scalar_{0};
  bool is_scalar_ = false;
};

}  // namespace ember
