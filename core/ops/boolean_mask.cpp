// boolean_mask and `x[mask]`: the entries where a bool mask is true. The result's size depends on
// the mask's values, so the mask is read on the host (as TensorFlow does); the selection itself is
// a reshape and a gather, whose gradients carry it back.
#include <cstdint>
#include <vector>

#include "core/error.h"
#include "core/ops/index.h"
#include "core/ops/op_support.h"
#include "core/ops/shape.h"
#include "core/tensor.h"

namespace ember {

Tensor boolean_mask(const Tensor& x, const Tensor& mask, std::int64_t axis) {
  detail::check_defined(x, "boolean_mask");
  detail::check_defined(mask, "boolean_mask");
  if (mask.dtype() != DType::bool_) {
    throw DTypeError(cat("boolean_mask: the mask must be bool, got ", dtype_name(mask.dtype()),
                         "; compare first (y == 3) or cast it to bool"));
  }
  const int k = mask.rank();
  if (k == 0) throw ShapeError("boolean_mask: the mask must have an axis, got a scalar");
  const int rank = x.rank();
  const std::int64_t first = axis < 0 ? axis + rank : axis;
  if (first < 0 || first + k > rank) {
    throw ShapeError(cat("boolean_mask: a mask of shape ", mask.shape(), " at axis ", axis,
                         " needs a tensor of rank at least ", (first < 0 ? 0 : first) + k,
                         ", got shape ", x.shape()));
  }
  std::vector<std::int64_t> flat_dims(x.shape().dims().begin(), x.shape().dims().begin() + first);
  for (int i = 0; i < k; ++i) {
    if (mask.shape(i) != x.shape(static_cast<int>(first) + i)) {
      throw ShapeError(cat("boolean_mask: mask shape ", mask.shape(), " does not match shape ",
                           x.shape(), " from axis ", first));
    }
  }
  flat_dims.push_back(mask.size());
  flat_dims.insert(flat_dims.end(), x.shape().dims().begin() + first + k, x.shape().dims().end());
  const std::vector<bool> keep = mask.to_vector<bool>();
  std::vector<std::int64_t> indices;
  for (std::size_t i = 0; i < keep.size(); ++i) {
    if (keep[i]) indices.push_back(static_cast<std::int64_t>(i));
  }
  return gather(reshape(x, Shape(flat_dims)), indices, first);
}

Tensor Tensor::operator[](const Tensor& mask) const {
  detail::check_defined(mask, "index");
  if (mask.dtype() != DType::bool_) {
    throw DTypeError(cat("index: a tensor index must be a bool mask, got ",
                         dtype_name(mask.dtype()),
                         "; use gather(x, indices) to pick entries by position"));
  }
  return boolean_mask(*this, mask);
}

}  // namespace ember
