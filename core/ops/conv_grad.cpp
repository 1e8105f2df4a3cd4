// Gradient rules of the convolution, pooling and batch-normalization ops. The backward passes are
// ops themselves (conv2d_backward_input, max_pool2d_backward, ...), so each rule here is written
// once for every device, and the convolutions and average pooling can be differentiated again.
#include "core/autodiff/autodiff.h"
#include "core/ops/conv_support.h"
#include "core/error.h"
#include "core/autodiff/gradients.h"
#include "core/ops/conv.h"
#include "core/ops/elementwise.h"
#include "core/ops/reduce.h"
#include "core/ops/shape.h"

namespace ember::grad {
namespace {

// x viewed as (rows, channels): batch normalization's statistics run down the rows.
Tensor as_rows(const Tensor& x) { return reshape(x, {-1, x.shape(-1)}); }

double row_count(const Tensor& x) {
  return x.shape(-1) > 0 ? static_cast<double>(x.size() / x.shape(-1)) : 0.0;
}

}  // namespace

BackwardFunction conv2d_backward(const Tensor& x, const Tensor& filter,
                                 const Conv2DOptions& options) {
  return [x, filter, options](const Tensor& g, autodiff::NeedsMask mask) -> autodiff::Gradients {
    // g: (N, OH, OW, O)  ->  dx: (N, H, W, C), dfilter: (KH, KW, C/G, O)
    std::optional<Tensor> dx, dfilter;
    if (autodiff::needs(mask, 0)) dx = conv2d_backward_input(x.shape(), filter, g, options);
    if (autodiff::needs(mask, 1)) dfilter = conv2d_backward_filter(x, filter.shape(), g, options);
    return {dx, dfilter};
  };
}

BackwardFunction conv2d_backward_input_backward(const Tensor& filter, const Tensor& dy,
                                                const Conv2DOptions& options) {
  return [filter, dy, options](const Tensor& g, autodiff::NeedsMask mask) -> autodiff::Gradients {
    // dx = B(filter, dy) is bilinear, the adjoint of conv2d in x: <B(f, dy), g> = <dy, conv2d(g,
    // f)>. g: (N, H, W, C)  ->  dfilter: (KH, KW, C/G, O), ddy: (N, OH, OW, O)
    std::optional<Tensor> dfilter, ddy;
    if (autodiff::needs(mask, 0)) dfilter = conv2d_backward_filter(g, filter.shape(), dy, options);
    if (autodiff::needs(mask, 1)) ddy = conv2d(g, filter, options);
    return {dfilter, ddy};
  };
}

BackwardFunction conv2d_backward_filter_backward(const Tensor& x, const Tensor& dy,
                                                 const Conv2DOptions& options) {
  return [x, dy, options](const Tensor& g, autodiff::NeedsMask mask) -> autodiff::Gradients {
    // dfilter = F(x, dy) with <F(x, dy), g> = <dy, conv2d(x, g)>.
    // g: (KH, KW, C/G, O)  ->  dx: (N, H, W, C), ddy: (N, OH, OW, O)
    std::optional<Tensor> dx, ddy;
    if (autodiff::needs(mask, 0)) dx = conv2d_backward_input(x.shape(), g, dy, options);
    if (autodiff::needs(mask, 1)) ddy = conv2d(x, g, options);
    return {dx, ddy};
  };
}

BackwardFunction max_pool2d_backward_rule(const Tensor& x, const Tensor& y,
                                          const Pool2DOptions& options) {
  return [x, y, options](const Tensor& g, autodiff::NeedsMask) -> autodiff::Gradients {
    return {max_pool2d_backward(x, y, g, options)};
  };
}

BackwardFunction max_pool2d_second_order_rule() {
  return [](const Tensor&, autodiff::NeedsMask mask) -> autodiff::Gradients {
    if (autodiff::needs(mask, 2)) {
      throw Error(
          "max_pool2d: second derivatives are not implemented (the gradient of max_pool2d_backward "
          "with respect "
          "to its dy); avg_pool2d, conv2d and fused_batch_norm have them");
    }
    return {std::nullopt, std::nullopt, std::nullopt};
  };
}

BackwardFunction avg_pool2d_backward_rule(const Shape& input_shape, const Pool2DOptions& options) {
  return [input_shape, options](const Tensor& g, autodiff::NeedsMask) -> autodiff::Gradients {
    return {avg_pool2d_backward(input_shape, g, options)};
  };
}

BackwardFunction avg_pool2d_second_order_rule(const Pool2DOptions& options) {
  return [options](const Tensor& g, autodiff::NeedsMask) -> autodiff::Gradients {
    return {avg_pool2d(g, options)};
  };
}

BackwardFunction fused_batch_norm_backward(const Tensor& x, const Tensor& scale, const Tensor& mean,
                                           const Tensor& variance, double epsilon) {
  // From the op's outputs (mean, variance), not a value kept from inside it, so that a graph
  // function replays this gradient with each call's statistics.
  return [x, scale, mean, variance, epsilon](const Tensor& g,
                                             autodiff::NeedsMask) -> autodiff::Gradients {
    if (!autodiff::any_recording()) {
      const detail::BatchNormGradients d =
          detail::batch_norm_backward(x, g, scale, mean, rsqrt(variance + epsilon), epsilon);
      return {d.dx, d.dscale, d.doffset};
    }
    // A tape records this gradient computation: the same formula in ops, with the statistics
    // recomputed from x so that they are differentiated too.
    // x̂ = (x − mean) · inv_std;  dx = scale · inv_std · (g − mean(g) − x̂ · mean(g · x̂))
    const Tensor rows = as_rows(x), g_rows = as_rows(g);
    const double m = row_count(x);
    const Tensor centered = rows - reduce_mean(rows, 0, true);
    const Tensor inv = rsqrt(reduce_mean(square(centered), 0, true) + epsilon);
    const Tensor x_hat = centered * inv;
    const Tensor g_sum = reduce_sum(g_rows, 0, true);
    const Tensor g_x_hat_sum = reduce_sum(g_rows * x_hat, 0, true);
    const Tensor dx = scale * inv * (g_rows - g_sum / m - x_hat * g_x_hat_sum / m);
    return {reshape(dx, x.shape()), reshape(g_x_hat_sum, scale.shape()),
            reshape(g_sum, scale.shape())};
  };
}

BackwardFunction batch_mean_backward(const Tensor& x) {
  return [x](const Tensor& g, autodiff::NeedsMask) -> autodiff::Gradients {
    // g: (C,)  ->  dx: every row gets g / rows
    const Tensor rows = as_rows(x);
    return {reshape(broadcast_to(reshape(g, {1, -1}) / row_count(x), rows.shape()), x.shape())};
  };
}

BackwardFunction batch_variance_backward(const Tensor& x) {
  return [x](const Tensor& g, autodiff::NeedsMask) -> autodiff::Gradients {
    // variance = mean((x − mean)²): dx = g · 2 (x − mean) / rows (the mean's own dependence on x
    // cancels because the deviations sum to zero).
    const Tensor rows = as_rows(x);
    const Tensor centered = rows - reduce_mean(rows, 0, true);
    return {reshape(reshape(g, {1, -1}) * centered * (2.0 / row_count(x)), x.shape())};
  };
}

}  // namespace ember::grad
