// Gradient rules of batch normalization: the backend's fused backward pass when nothing records
// it, else the same formula in ops (second derivatives).
#include "core/autodiff/gradients.h"
#include "core/ops/elementwise.h"
#include "core/ops/norm.h"
#include "core/ops/reduce.h"
#include "core/ops/shape.h"

namespace ember::grad {
namespace {

// x viewed as (rows, channels): batch normalization's statistics run down the rows.
Tensor as_rows(const Tensor& x) { return reshape(x, {-1, x.shape(-1)}); }

double row_count(const Tensor& x) {
  return x.shape(-1) > 0 ? static_cast<double>(x.size() / x.shape(-1)) : 0.0;
}

// The gradient of y in x, scale and offset, from the op's results (mean, variance), not a value
// kept from inside it, so that a graph function replays it with each call's statistics.
BackwardFunction normalized_gradient(const Tensor& x, const Tensor& scale, const Tensor& mean,
                                     const Tensor& variance, double epsilon) {
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

// The batch mean and variance per channel depend on x only (inputs: x, scale, offset).
BackwardFunction batch_mean_gradient(const Tensor& x) {
  return [x](const Tensor& g, autodiff::NeedsMask mask) -> autodiff::Gradients {
    if (!autodiff::needs(mask, 0)) return {std::nullopt, std::nullopt, std::nullopt};
    // g: (C,)  ->  dx: every row gets g / rows
    const Tensor rows = as_rows(x);
    return {reshape(broadcast_to(reshape(g, {1, -1}) / row_count(x), rows.shape()), x.shape()),
            std::nullopt, std::nullopt};
  };
}

BackwardFunction batch_variance_gradient(const Tensor& x) {
  return [x](const Tensor& g, autodiff::NeedsMask mask) -> autodiff::Gradients {
    if (!autodiff::needs(mask, 0)) return {std::nullopt, std::nullopt, std::nullopt};
    // variance = mean((x − mean)²): dx = g · 2 (x − mean) / rows (the mean's own dependence on x
    // cancels because the deviations sum to zero).
    const Tensor rows = as_rows(x);
    const Tensor centered = rows - reduce_mean(rows, 0, true);
    return {reshape(reshape(g, {1, -1}) * centered * (2.0 / row_count(x)), x.shape()), std::nullopt,
            std::nullopt};
  };
}

}  // namespace

std::vector<BackwardFunction> fused_batch_norm_gradient(const FusedBatchNormResult& r,
                                                        const Tensor& x, const Tensor& scale,
                                                        const Tensor&, double epsilon) {
  return {normalized_gradient(x, scale, r.mean, r.variance, epsilon), batch_mean_gradient(x),
          batch_variance_gradient(x)};
}

}  // namespace ember::grad
