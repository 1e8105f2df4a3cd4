// Gradient rules of the shape ops.
#include "core/autodiff/gradients.h"
#include "core/error.h"
#include "core/ops/creation.h"
#include "core/ops/elementwise.h"
#include "core/ops/linalg.h"
#include "core/ops/op_support.h"
#include "core/ops/reduce.h"
#include "core/ops/shape.h"

namespace ember::grad {

BackwardFunction reshape_gradient(const Tensor&, const Tensor& x, const Shape&) {
  const Shape input_shape = x.shape();
  return [input_shape](const Tensor& g, autodiff::NeedsMask) -> autodiff::Gradients {
    return {ember::reshape(g, input_shape)};
  };
}

BackwardFunction transpose_gradient(const Tensor&, const Tensor& x,
                                    const std::optional<std::vector<std::int64_t>>& perm_in) {
  const std::vector<int> perm = detail::resolved_permutation(x.rank(), perm_in, "transpose");
  std::vector<std::int64_t> inverse(perm.size());
  for (std::size_t i = 0; i < perm.size(); ++i) inverse[perm[i]] = static_cast<std::int64_t>(i);
  return [inverse](const Tensor& g, autodiff::NeedsMask) -> autodiff::Gradients {
    return {ember::transpose(g, inverse)};
  };
}

BackwardFunction concat_gradient(const Tensor&, const std::vector<Tensor>& values,
                                 std::int64_t axis_in) {
  const int axis = normalize_axis(axis_in, values.front().rank(), "concat");
  std::vector<std::int64_t> sizes;
  for (const Tensor& v : values) sizes.push_back(v.shape(axis));
  return [sizes, axis](const Tensor& g, autodiff::NeedsMask) -> autodiff::Gradients {
    const std::vector<Tensor> parts = split(g, sizes, axis);
    return autodiff::Gradients(parts.begin(), parts.end());
  };
}

BackwardFunction broadcast_to_gradient(const Tensor&, const Tensor& x, const Shape&) {
  const Shape input_shape = x.shape();
  return [input_shape](const Tensor& g, autodiff::NeedsMask) -> autodiff::Gradients {
    return {reduce_to_shape(g, input_shape)};
  };
}

BackwardFunction pad_gradient(const Tensor&, const Tensor& x,
                              const std::vector<std::array<std::int64_t, 2>>& paddings,
                              const Scalar&) {
  const Shape input_shape = x.shape();
  std::vector<Index> interior;
  for (int i = 0; i < input_shape.rank(); ++i) {
    interior.push_back(Slice{paddings[i][0], paddings[i][0] + input_shape.dims()[i]});
  }
  return [interior](const Tensor& g, autodiff::NeedsMask) -> autodiff::Gradients {
    return {g.index(interior)};
  };
}

BackwardFunction identity_gradient(const Tensor&, const Tensor&) {
  return [](const Tensor& g, autodiff::NeedsMask) -> autodiff::Gradients { return {g}; };
}

}  // namespace ember::grad
