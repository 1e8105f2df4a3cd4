// Gradient rules of the convolutions. The backward passes are ops themselves
// (conv2d_backward_input, conv2d_backward_filter), adjoints of each other and of conv2d, so every
// order of derivative exists and each rule is written once for every device.
#include "core/autodiff/gradients.h"
#include "core/error.h"
#include "core/ops/conv.h"
#include "core/ops/elementwise.h"
#include "core/ops/reduce.h"
#include "core/ops/shape.h"

namespace ember::grad {
BackwardFunction conv2d_gradient(const Tensor&, const Tensor& x, const Tensor& filter,
                                 const Conv2DOptions& options) {
  return [x, filter, options](const Tensor& g, autodiff::NeedsMask mask) -> autodiff::Gradients {
    // g: (N, OH, OW, O)  ->  dx: (N, H, W, C), dfilter: (KH, KW, C/G, O)
    std::optional<Tensor> dx, dfilter;
    if (autodiff::needs(mask, 0)) dx = conv2d_backward_input(x.shape(), filter, g, options);
    if (autodiff::needs(mask, 1)) dfilter = conv2d_backward_filter(x, filter.shape(), g, options);
    return {dx, dfilter};
  };
}

BackwardFunction conv2d_backward_input_gradient(const Tensor&, const Shape&, const Tensor& filter,
                                                const Tensor& dy, const Conv2DOptions& options) {
  return [filter, dy, options](const Tensor& g, autodiff::NeedsMask mask) -> autodiff::Gradients {
    // dx = B(filter, dy) is bilinear, the adjoint of conv2d in x: <B(f, dy), g> = <dy, conv2d(g,
    // f)>. g: (N, H, W, C)  ->  dfilter: (KH, KW, C/G, O), ddy: (N, OH, OW, O)
    std::optional<Tensor> dfilter, ddy;
    if (autodiff::needs(mask, 0)) dfilter = conv2d_backward_filter(g, filter.shape(), dy, options);
    if (autodiff::needs(mask, 1)) ddy = conv2d(g, filter, options);
    return {dfilter, ddy};
  };
}

BackwardFunction conv2d_backward_filter_gradient(const Tensor&, const Tensor& x, const Shape&,
                                                 const Tensor& dy, const Conv2DOptions& options) {
  return [x, dy, options](const Tensor& g, autodiff::NeedsMask mask) -> autodiff::Gradients {
    // dfilter = F(x, dy) with <F(x, dy), g> = <dy, conv2d(x, g)>.
    // g: (KH, KW, C/G, O)  ->  dx: (N, H, W, C), ddy: (N, OH, OW, O)
    std::optional<Tensor> dx, ddy;
    if (autodiff::needs(mask, 0)) dx = conv2d_backward_input(x.shape(), g, dy, options);
    if (autodiff::needs(mask, 1)) ddy = conv2d(x, g, options);
    return {dx, ddy};
  };
}

}  // namespace ember::grad
