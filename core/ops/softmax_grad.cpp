// Gradient rules of softmax, log_softmax and the cross-entropies on logits.
#include "core/autodiff/gradients.h"
#include "core/ops/creation.h"
#include "core/ops/elementwise.h"
#include "core/ops/index.h"
#include "core/ops/reduce.h"
#include "core/ops/shape.h"
#include "core/ops/softmax.h"

namespace ember::grad {

BackwardFunction softmax_gradient(const Tensor& out, bool log, const Tensor& x, std::int64_t axis) {
  const int a = x.rank() == 0 ? 0 : normalize_axis(axis, x.rank(), log ? "log_softmax" : "softmax");
  if (x.rank() == 0) {
    // The softmax of one number is 1 (log_softmax 0), whatever the number: no gradient flows.
    return
        [](const Tensor& g, autodiff::NeedsMask) -> autodiff::Gradients { return {zeros_like(g)}; };
  }
  return [log, out, a](const Tensor& g, autodiff::NeedsMask) -> autodiff::Gradients {
    if (log) return {g - exp(out) * reduce_sum(g, a, true)};
    return {(g - reduce_sum(g * out, a, true)) * out};
  };
}

BackwardFunction softmax_cross_entropy_with_logits_gradient(const Tensor&, const Tensor& labels,
                                                            const Tensor& logits,
                                                            std::int64_t axis) {
  const int a = normalize_axis(axis, logits.rank(), "softmax_cross_entropy_with_logits");
  return [labels, logits, a](const Tensor& g, autodiff::NeedsMask needs) -> autodiff::Gradients {
    const Tensor g_column = expand_dims(g, a);
    autodiff::Gradients grads(2);
    if (autodiff::needs(needs, 0)) grads[0] = negative(log_softmax(logits, a)) * g_column;
    if (autodiff::needs(needs, 1)) {
      grads[1] = (softmax(logits, a) * reduce_sum(labels, {a}, true) - labels) * g_column;
    }
    return grads;
  };
}

BackwardFunction sparse_softmax_cross_entropy_with_logits_gradient(const Tensor&,
                                                                   const Tensor& labels,
                                                                   const Tensor& logits) {
  // The one-hot labels are made again from the labels (an argument), so that a graph function
  // replays this gradient with each call's labels.
  return [labels, logits](const Tensor& g, autodiff::NeedsMask) -> autodiff::Gradients {
    const Tensor picked = one_hot(labels, logits.shape(-1), 1.0, 0.0, -1, logits.dtype());
    return {std::nullopt, (softmax(logits, -1) - picked) * expand_dims(g, -1)};
  };
}

}  // namespace ember::grad
