// softmax and log_softmax (one backend primitive), and the two cross-entropies on logits, each
// recorded as one op with the exact gradient rather than the chain of its parts.
#include "core/ops/softmax.h"

#include "core/autodiff/gradients.h"
#include "core/error.h"
#include "core/ops.h"
#include "core/ops/op_support.h"
#include "core/ops/run_op.h"

namespace ember {
namespace {

Tensor softmax_forward(bool log, const Tensor& x, std::int64_t axis) {
  const char* name = log ? "log_softmax" : "softmax";
  detail::check_defined(x, name);
  detail::check_floating(name, x);
  if (x.rank() == 0) return softmax_forward(log, detail::view(x, Shape{1}), 0).index(0);
  const int a = normalize_axis(axis, x.rank(), name);
  std::int64_t outer = 1, inner = 1;
  for (int i = 0; i < a; ++i) outer *= x.shape(i);
  for (int i = a + 1; i < x.rank(); ++i) inner *= x.shape(i);
  Tensor out = detail::empty(x.shape(), x.dtype(), x.device());
  if (out.size() > 0) {
    detail::backend_of(out).softmax(log, x.dtype(), x.raw_data(), detail::mutable_data(out), outer,
                                    x.shape(a), inner);
  }
  return out;
}

Tensor softmax_cross_entropy_forward(const Tensor& labels, const Tensor& logits,
                                     std::int64_t axis) {
  const char* name = "softmax_cross_entropy_with_logits";
  detail::check_defined(labels, name);
  detail::check_defined(logits, name);
  detail::check_floating(name, logits);
  if (labels.shape() != logits.shape()) {
    throw ShapeError(
        cat(name, ": labels have shape ", labels.shape(), " but logits ", logits.shape()));
  }
  if (labels.dtype() != logits.dtype()) {
    throw DTypeError(cat(name, ": labels are ", dtype_name(labels.dtype()), " but logits ",
                         dtype_name(logits.dtype())));
  }
  const int a = normalize_axis(axis, logits.rank(), name);
  const autodiff::PauseAll untaped;  // one recorded op (run_op's), not the chain of its parts
  return negative(reduce_sum(labels * log_softmax(logits, a), {a}));
}

Tensor sparse_softmax_cross_entropy_forward(const Tensor& labels, const Tensor& logits) {
  const char* name = "sparse_softmax_cross_entropy_with_logits";
  detail::check_defined(labels, name);
  detail::check_defined(logits, name);
  detail::check_floating(name, logits);
  if (is_floating(labels.dtype()) || labels.dtype() == DType::bool_) {
    throw DTypeError(
        cat(name, ": labels must be integer class indices, got ", dtype_name(labels.dtype())));
  }
  bool indexes = logits.rank() >= 1 && labels.rank() == logits.rank() - 1;
  for (int i = 0; indexes && i < labels.rank(); ++i) indexes = labels.shape(i) == logits.shape(i);
  if (!indexes) {
    throw ShapeError(cat(name, ": labels of shape ", labels.shape(),
                         " do not index logits of shape ", logits.shape()));
  }
  const autodiff::PauseAll untaped;
  const Tensor picked = one_hot(labels, logits.shape(-1), 1.0, 0.0, -1, logits.dtype());
  return negative(reduce_sum(picked * log_softmax(logits, -1), {-1}));
}

}  // namespace

Tensor softmax(const Tensor& x, std::int64_t axis) {
  return detail::run_op("softmax", softmax_forward, grad::softmax_gradient, false, x, axis);
}

Tensor log_softmax(const Tensor& x, std::int64_t axis) {
  return detail::run_op("log_softmax", softmax_forward, grad::softmax_gradient, true, x, axis);
}

Tensor softmax_cross_entropy_with_logits(const Tensor& labels, const Tensor& logits,
                                         std::int64_t axis) {
  return detail::run_op("softmax_cross_entropy_with_logits", softmax_cross_entropy_forward,
                        grad::softmax_cross_entropy_with_logits_gradient, labels, logits, axis);
}

Tensor sparse_softmax_cross_entropy_with_logits(const Tensor& labels, const Tensor& logits) {
  return detail::run_op("sparse_softmax_cross_entropy_with_logits",
                        sparse_softmax_cross_entropy_forward,
                        grad::sparse_softmax_cross_entropy_with_logits_gradient, labels, logits);
}

}  // namespace ember
