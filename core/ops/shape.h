// Shape ops. reshape/expand_dims/squeeze share storage with their input (tensors are immutable,
// so a view is a value); the others copy. Indexing and gathering are in core/ops/index.h.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/operand.h"
#include "core/optional.h"
#include "core/tensor.h"

namespace ember {

/// New shape with the same number of elements; one dimension may be -1 (inferred).
Tensor reshape(const Tensor& x, const Shape& shape);
/// Permutes axes; the default reverses them (a matrix transpose for rank 2).
Tensor transpose(const Tensor& x, Optional<std::vector<std::int64_t>> perm = std::nullopt);
/// Inserts an axis of size 1 at `axis` (negative counts from the end of the result).
Tensor expand_dims(const Tensor& x, std::int64_t axis);
/// Removes the given size-1 axes, or all of them.
Tensor squeeze(const Tensor& x, Optional<std::vector<std::int64_t>> axes = std::nullopt);
/// Joins tensors along an existing axis.
Tensor concat(const std::vector<Tensor>& values, std::int64_t axis);
/// Joins tensors of one shape along a new axis.
Tensor stack(const std::vector<Tensor>& values, std::int64_t axis = 0);
/// Splits into `num` equal parts along `axis`.
std::vector<Tensor> split(const Tensor& x, std::int64_t num, std::int64_t axis = 0);
/// Splits into parts of the given sizes (one may be -1: the rest).
std::vector<Tensor> split(const Tensor& x, const std::vector<std::int64_t>& sizes,
                          std::int64_t axis = 0);
/// Repeats the tensor `multiples[i]` times along axis i.
Tensor tile(const Tensor& x, const std::vector<std::int64_t>& multiples);
/// Pads with a constant: paddings[i] = {before, after} for axis i.
Tensor pad(const Tensor& x, const std::vector<std::array<std::int64_t, 2>>& paddings,
           const Scalar& constant_value = 0);
/// Broadcasts to `shape` with NumPy's rules.
Tensor broadcast_to(const Tensor& x, const Shape& shape);
/// An identical tensor (a new handle to the same value), like tf.identity.
Tensor identity(const Tensor& x);

}  // namespace ember
