// Gradient rules of matmul and the shape and indexing ops.
#include "core/error.h"
#include "core/autodiff/gradients.h"
#include "core/ops/op_support.h"
#include "core/ops/creation.h"
#include "core/ops/elementwise.h"
#include "core/ops/linalg.h"
#include "core/ops/reduce.h"
#include "core/ops/shape.h"

namespace ember::grad {

BackwardFunction matmul_backward(const Tensor& a, const Tensor& b, bool ta, bool tb) {
  // TensorFlow's _MatMulGrad, then summed over broadcast batch axes.
  return [a, b, ta, tb](const Tensor& g, autodiff::NeedsMask mask) -> autodiff::Gradients {
    std::optional<Tensor> ga, gb;
    if (autodiff::needs(mask, 0)) {
      const Tensor d = !ta ? ember::matmul(g, b, {.transpose_a = false, .transpose_b = !tb})
                           : ember::matmul(b, g, {.transpose_a = tb, .transpose_b = true});
      ga = reduce_to_shape(d, a.shape());
    }
    if (autodiff::needs(mask, 1)) {
      const Tensor d = !tb ? ember::matmul(a, g, {.transpose_a = !ta, .transpose_b = false})
                           : ember::matmul(g, a, {.transpose_a = true, .transpose_b = ta});
      gb = reduce_to_shape(d, b.shape());
    }
    return {ga, gb};
  };
}

BackwardFunction reshape_backward(const Shape& input_shape) {
  return [input_shape](const Tensor& g, autodiff::NeedsMask) -> autodiff::Gradients {
    return {ember::reshape(g, input_shape)};
  };
}

BackwardFunction transpose_backward(const std::vector<int>& perm) {
  std::vector<std::int64_t> inverse(perm.size());
  for (std::size_t i = 0; i < perm.size(); ++i) inverse[perm[i]] = static_cast<std::int64_t>(i);
  return [inverse](const Tensor& g, autodiff::NeedsMask) -> autodiff::Gradients {
    return {ember::transpose(g, inverse)};
  };
}

BackwardFunction concat_backward(const std::vector<std::int64_t>& sizes, int axis) {
  return [sizes, axis](const Tensor& g, autodiff::NeedsMask) -> autodiff::Gradients {
    const std::vector<Tensor> parts = split(g, sizes, axis);
    return autodiff::Gradients(parts.begin(), parts.end());
  };
}

BackwardFunction broadcast_to_backward(const Shape& input_shape) {
  return [input_shape](const Tensor& g, autodiff::NeedsMask) -> autodiff::Gradients {
    return {reduce_to_shape(g, input_shape)};
  };
}

BackwardFunction pad_backward(const Shape& input_shape,
                     const std::vector<std::array<std::int64_t, 2>>& paddings) {
  std::vector<Index> interior;
  for (int i = 0; i < input_shape.rank(); ++i) {
    interior.push_back(Slice{paddings[i][0], paddings[i][0] + input_shape.dims()[i]});
  }
  return [interior](const Tensor& g, autodiff::NeedsMask) -> autodiff::Gradients {
    return {g.index(interior)};
  };
}

BackwardFunction gather_backward(const Tensor& indices, int axis, const Shape& input_shape) {
  return [indices, axis, input_shape](const Tensor& g, autodiff::NeedsMask mask) -> autodiff::Gradients {
    if (!autodiff::needs(mask, 0)) return {std::nullopt, std::nullopt};
    return {detail::gather_backward(g, indices, axis, input_shape), std::nullopt};
  };
}

BackwardFunction identity_backward() {
  return [](const Tensor& g, autodiff::NeedsMask) -> autodiff::Gradients { return {g}; };
}

}  // namespace ember::grad
