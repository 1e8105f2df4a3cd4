// Tensors made from a shape or a value, on default_device().
#pragma once

#include <cstdint>
#include <optional>

#include "core/scalar.h"
#include "core/tensor.h"

namespace ember {

Tensor zeros(const Shape& shape, DType dtype = float32);
Tensor ones(const Shape& shape, DType dtype = float32);
/// Same shape (and dtype, unless one is given) as x, on x's device.
Tensor zeros_like(const Tensor& x, std::optional<DType> dtype = std::nullopt);
Tensor ones_like(const Tensor& x, std::optional<DType> dtype = std::nullopt);
/// A tensor of `shape` filled with `value`, of the value's dtype: fill({2, 3}, 9) is int32.
Tensor fill(const Shape& shape, const Scalar& value);
/// Ones on the main diagonal of an n x m matrix (m = n by default).
Tensor eye(std::int64_t n, std::optional<std::int64_t> m = std::nullopt, DType dtype = float32);
/// [0, 1, ..., limit) like tf.range(limit): int32 for integers, float32 for reals.
Tensor range(const Scalar& limit);
/// [start, start + delta, ...) up to (not including) limit; delta may be negative, not zero.
Tensor range(const Scalar& start, const Scalar& limit, const Scalar& delta = 1,
             std::optional<DType> dtype = std::nullopt);

}  // namespace ember
