// Indexing and gathering: Tensor::index (NumPy's m[1, 2:5, ::-1], declared with Tensor), gather
// and one_hot, and the adjoints of index and gather (their gradients, ops in their own right so
// that higher derivatives work through them).
#pragma once

#include <cstdint>
#include <vector>

#include "core/scalar.h"
#include "core/tensor.h"

namespace ember {

/// Entries of x at `indices` (int32/int64, any shape) along `axis`: the result's shape is
/// x.shape[:axis] + indices.shape + x.shape[axis+1:]. Negative indices are out of range.
Tensor gather(const Tensor& x, const Tensor& indices, std::int64_t axis = 0);
Tensor gather(const Tensor& x, const std::vector<std::int64_t>& indices, std::int64_t axis = 0);
/// The entries of x where `mask` (bool, the shape of x's axes from `axis` on for mask.rank() axes)
/// is true, those axes flattened into one: tf.boolean_mask. `x[mask]` is the same at axis 0.
/// Differentiable in x.
Tensor boolean_mask(const Tensor& x, const Tensor& mask, std::int64_t axis = 0);
/// One-hot encoding of integer indices: a new axis of `depth` entries (last by default) holding
/// on_value at the index and off_value elsewhere; out-of-range indices give all off_value.
Tensor one_hot(const Tensor& indices, std::int64_t depth, const Scalar& on_value = 1.0f,
               const Scalar& off_value = 0.0f, std::int64_t axis = -1, DType dtype = float32);

namespace detail {

/// The adjoint of x.index(entries), which is its gradient: `g` placed in the selected region of
/// zeros of `shape`. Differentiable (its gradient is an index again).
Tensor index_adjoint(const Tensor& g, const Shape& shape, const std::vector<Index>& entries);
/// The adjoint of gather(x, indices, axis), which is its gradient: `g` summed into zeros of x's
/// `shape` at the gathered positions (repeated indices add up). Differentiable (its gradient is a
/// gather).
Tensor gather_adjoint(const Tensor& g, const Tensor& indices, int axis, const Shape& shape);

}  // namespace detail
}  // namespace ember
