// Gradient rule of matmul (tensordot is made of transposes, reshapes and matmul).
#include "core/autodiff/gradients.h"
#include "core/ops/linalg.h"

namespace ember::grad {

BackwardFunction matmul_gradient(const Tensor&, const Tensor& a, const Tensor& b,
                                 MatmulOptions options) {
  // TensorFlow's _MatMulGrad, then summed over broadcast batch axes.
  const bool ta = options.transpose_a, tb = options.transpose_b;
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

}  // namespace ember::grad
