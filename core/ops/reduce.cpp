#include "core/ops/reduce.h"

#include <algorithm>

#include "core/autodiff/gradients.h"
#include "core/error.h"
#include "core/ops/op_support.h"
#include "core/ops/run_op.h"

namespace ember {
namespace {

const char* reduce_name(ReduceOp op) {
  switch (op) {
    case ReduceOp::sum:
      return "reduce_sum";
    case ReduceOp::mean:
      return "reduce_mean";
    case ReduceOp::max:
      return "reduce_max";
    case ReduceOp::min:
      return "reduce_min";
    case ReduceOp::prod:
      return "reduce_prod";
    case ReduceOp::any:
      return "reduce_any";
    case ReduceOp::all:
      return "reduce_all";
  }
  return "reduce";
}

std::int64_t product(const std::vector<std::int64_t>& dims, int begin, int end) {
  std::int64_t p = 1;
  for (int i = begin; i < end; ++i) p *= dims[i];
  return p;
}

Tensor reduce_forward(ReduceOp op, const Tensor& x, const Axes& axes, bool keepdims) {
  const char* name = reduce_name(op);
  detail::check_defined(x, name);
  if (op == ReduceOp::any || op == ReduceOp::all) {
    detail::check_dtype_in(name, x, {DType::bool_}, "a bool tensor");
  } else if (x.dtype() == DType::bool_) {
    throw DTypeError(cat(name, ": bool tensors are not numbers; cast to a numeric dtype or use ",
                         "reduce_any/reduce_all"));
  }
  const std::vector<int> reduced = detail::reduced_axes(axes, x.rank(), name);
  std::vector<std::int64_t> result_dims;
  std::int64_t reduced_count = 1;
  for (int i = 0; i < x.rank(); ++i) {
    const bool is_reduced = std::binary_search(reduced.begin(), reduced.end(), i);
    if (is_reduced) reduced_count *= x.shape().dims()[i];
    if (!is_reduced || keepdims) result_dims.push_back(is_reduced ? 1 : x.shape().dims()[i]);
  }
  if (reduced.empty()) return x;

  // Reduce each run of adjacent axes in one backend call over [outer, r, inner]; the working
  // shape keeps reduced runs as size 1 so axis numbers stay valid.
  std::vector<std::int64_t> dims = x.shape().dims();
  Tensor current = x;
  std::size_t i = 0;
  while (i < reduced.size()) {
    std::size_t j = i;
    while (j + 1 < reduced.size() && reduced[j + 1] == reduced[j] + 1) ++j;
    const int begin = reduced[i], end = reduced[j] + 1;
    const bool last_run = j + 1 == reduced.size();
    const std::int64_t outer = product(dims, 0, begin), r = product(dims, begin, end),
                       inner = product(dims, end, static_cast<int>(dims.size()));
    for (int a = begin; a < end; ++a) dims[a] = 1;
    Tensor next = detail::empty(Shape(dims), x.dtype(), x.device());
    const ReduceOp run_op = (op == ReduceOp::mean && !last_run) ? ReduceOp::sum : op;
    if (next.size() > 0) {
      detail::backend_of(next).reduce(run_op, x.dtype(), current.raw_data(),
                                      detail::mutable_data(next), outer, r, inner, reduced_count);
    }
    current = next;
    i = j + 1;
  }
  return detail::view(current, Shape(result_dims));
}

Tensor reduce(ReduceOp op, const Tensor& x, const Axes& axes, bool keepdims) {
  return detail::run_op(reduce_name(op), reduce_forward, grad::reduce_gradient, op, x, axes,
                        keepdims);
}

Tensor arg_reduce_forward(ArgReduceOp op, const Tensor& x, std::int64_t axis) {
  const char* name = op == ArgReduceOp::argmax ? "argmax" : "argmin";
  detail::check_defined(x, name);
  if (x.dtype() == DType::bool_) {
    throw DTypeError(cat(name, ": bool tensors are not ordered; cast to a numeric dtype"));
  }
  const int a = normalize_axis(axis, x.rank(), name);
  const auto& dims = x.shape().dims();
  if (dims[a] == 0) {
    throw ShapeError(cat(name, ": axis ", axis, " of shape ", x.shape(), " is empty"));
  }
  std::vector<std::int64_t> out_dims;
  for (int i = 0; i < x.rank(); ++i) {
    if (i != a) out_dims.push_back(dims[i]);
  }
  Tensor out = detail::empty(Shape(out_dims), DType::int64, x.device());
  if (out.size() > 0) {
    detail::backend_of(out).arg_reduce(
        op, x.dtype(), x.raw_data(), static_cast<std::int64_t*>(detail::mutable_data(out)),
        product(dims, 0, a), dims[a], product(dims, a + 1, x.rank()));
  }
  return out;
}

Tensor arg_reduce(ArgReduceOp op, const Tensor& x, std::int64_t axis) {
  return detail::run_op(op == ArgReduceOp::argmax ? "argmax" : "argmin", arg_reduce_forward,
                        detail::no_gradient, op, x, axis);
}

}  // namespace

Tensor reduce_sum(const Tensor& x, const Axes& axis, bool keepdims) {
  return reduce(ReduceOp::sum, x, axis, keepdims);
}
Tensor reduce_mean(const Tensor& x, const Axes& axis, bool keepdims) {
  return reduce(ReduceOp::mean, x, axis, keepdims);
}
Tensor reduce_max(const Tensor& x, const Axes& axis, bool keepdims) {
  return reduce(ReduceOp::max, x, axis, keepdims);
}
Tensor reduce_min(const Tensor& x, const Axes& axis, bool keepdims) {
  return reduce(ReduceOp::min, x, axis, keepdims);
}
Tensor reduce_prod(const Tensor& x, const Axes& axis, bool keepdims) {
  return reduce(ReduceOp::prod, x, axis, keepdims);
}
Tensor reduce_any(const Tensor& x, const Axes& axis, bool keepdims) {
  return reduce(ReduceOp::any, x, axis, keepdims);
}
Tensor reduce_all(const Tensor& x, const Axes& axis, bool keepdims) {
  return reduce(ReduceOp::all, x, axis, keepdims);
}
Tensor argmax(const Tensor& x, std::int64_t axis) {
  return arg_reduce(ArgReduceOp::argmax, x, axis);
}
Tensor argmin(const Tensor& x, std::int64_t axis) {
  return arg_reduce(ArgReduceOp::argmin, x, axis);
}

}  // namespace ember
