// Gradient rules of indexing and gathering: each is the other's adjoint (index <-> index_adjoint,
// gather <-> gather_adjoint), so every order of derivative exists.
#include "core/autodiff/gradients.h"
#include "core/ops/index.h"

namespace ember::grad {

BackwardFunction index_gradient(const Tensor&, const Tensor& x, const std::vector<Index>& entries) {
  return [shape = x.shape(), entries](const Tensor& g, autodiff::NeedsMask) -> autodiff::Gradients {
    return {detail::index_adjoint(g, shape, entries)};
  };
}

BackwardFunction index_adjoint_gradient(const Tensor&, const Tensor&, const Shape&,
                                        const std::vector<Index>& entries) {
  return [entries](const Tensor& g, autodiff::NeedsMask) -> autodiff::Gradients {
    return {g.index(entries)};
  };
}

BackwardFunction gather_gradient(const Tensor&, const Tensor& x, const Tensor& indices,
                                 std::int64_t axis_in) {
  const int axis = normalize_axis(axis_in, x.rank(), "gather");
  return [indices, axis, shape = x.shape()](const Tensor& g,
                                            autodiff::NeedsMask mask) -> autodiff::Gradients {
    if (!autodiff::needs(mask, 0)) return {std::nullopt, std::nullopt};
    return {detail::gather_adjoint(g, indices, axis, shape), std::nullopt};
  };
}

BackwardFunction gather_adjoint_gradient(const Tensor&, const Tensor&, const Tensor& indices,
                                         int axis, const Shape&) {
  return [indices, axis](const Tensor& g, autodiff::NeedsMask) -> autodiff::Gradients {
    return {gather(g, indices, axis), std::nullopt};
  };
}

}  // namespace ember::grad
