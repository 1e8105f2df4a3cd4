// Gradient rules of pooling: the backward passes are ops (max_pool2d_backward,
// avg_pool2d_backward); average pooling's is linear, so it can be differentiated again.
#include "core/autodiff/gradients.h"
#include "core/error.h"
#include "core/ops/pool.h"

namespace ember::grad {

BackwardFunction max_pool2d_gradient(const Tensor& y, const Tensor& x,
                                     const Pool2DOptions& options) {
  return [x, y, options](const Tensor& g, autodiff::NeedsMask) -> autodiff::Gradients {
    return {max_pool2d_backward(x, y, g, options)};
  };
}

BackwardFunction max_pool2d_backward_gradient(const Tensor&, const Tensor&, const Tensor&,
                                              const Tensor&, const Pool2DOptions&) {
  return [](const Tensor&, autodiff::NeedsMask mask) -> autodiff::Gradients {
    if (autodiff::needs(mask, 2)) {
      throw Error(
          "max_pool2d: second derivatives are not implemented (the gradient of max_pool2d_backward "
          "with respect to its dy); avg_pool2d, conv2d and fused_batch_norm have them");
    }
    return {std::nullopt, std::nullopt, std::nullopt};
  };
}

BackwardFunction avg_pool2d_gradient(const Tensor&, const Tensor& x, const Pool2DOptions& options) {
  return [input_shape = x.shape(), options](const Tensor& g,
                                            autodiff::NeedsMask) -> autodiff::Gradients {
    return {avg_pool2d_backward(input_shape, g, options)};
  };
}

BackwardFunction avg_pool2d_backward_gradient(const Tensor&, const Shape&, const Tensor&,
                                              const Pool2DOptions& options) {
  return [options](const Tensor& g, autodiff::NeedsMask) -> autodiff::Gradients {
    return {avg_pool2d(g, options)};
  };
}

}  // namespace ember::grad
