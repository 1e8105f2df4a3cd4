// Gradient rules of the reductions.
#include "core/autodiff/gradients.h"
#include "core/error.h"
#include "core/ops/creation.h"
#include "core/ops/elementwise.h"
#include "core/ops/op_support.h"
#include "core/ops/reduce.h"
#include "core/ops/shape.h"

namespace ember::grad {
namespace {

// The output's shape with reduced axes kept as 1, so it broadcasts against x.
Shape kept_shape(const Shape& x, const std::vector<int>& axes) {
  std::vector<std::int64_t> dims = x.dims();
  for (int a : axes) dims[a] = 1;
  return Shape(dims);
}

}  // namespace

BackwardFunction reduce_gradient(const Tensor& out, ReduceOp op, const Tensor& x,
                                 const Axes& axes_in, bool) {
  if (op == ReduceOp::any || op == ReduceOp::all) return {};
  const std::vector<int> axes = detail::reduced_axes(axes_in, x.rank(), "reduce");
  return [op, x, out, axes](const Tensor& g, autodiff::NeedsMask) -> autodiff::Gradients {
    const Shape kept = kept_shape(x.shape(), axes);
    const Tensor g_kept = reshape(g, kept);
    const Tensor out_kept = reshape(out, kept);
    const std::vector<std::int64_t> axis_list(axes.begin(), axes.end());
    std::int64_t count = 1;
    for (int a : axes) count *= x.shape(a);
    switch (op) {
      case ReduceOp::sum:
        return {broadcast_to(g_kept, x.shape())};
      case ReduceOp::mean:
        return {broadcast_to(g_kept / static_cast<double>(count > 0 ? count : 1), x.shape())};
      case ReduceOp::max:
      case ReduceOp::min: {
        // Shared equally among the entries that reach the extreme (TensorFlow's rule).
        const Tensor hit = cast(equal(x, out_kept), x.dtype());
        const Tensor hits = reduce_sum(hit, axis_list, true);
        return {g_kept * hit / hits};
      }
      case ReduceOp::prod: {
        // out/x where x != 0; with exactly one zero in a group, that entry gets the product of
        // the others; with two or more, every entry gets 0.
        const Tensor is_zero = equal(x, 0);
        const Tensor zeros_in_group = reduce_sum(cast(is_zero, x.dtype()), axis_list, true);
        const Tensor others = reduce_prod(where(is_zero, 1, x), axis_list, true);
        const Tensor safe_x = where(is_zero, 1, x);
        const Tensor dense = where(is_zero, where(equal(zeros_in_group, 1), others, 0),
                                   where(equal(zeros_in_group, 0), out_kept / safe_x, 0));
        return {g_kept * dense};
      }
      default:
        break;
    }
    internal_error(__FILE__, __LINE__, "reduction without a gradient was recorded");
  };
}

}  // namespace ember::grad
