#include "core/ops/softmax.h"

#include "core/autodiff/autodiff.h"
#include "core/error.h"
#include "core/autodiff/gradients.h"
#include "core/ops.h"
#include "core/ops/op_support.h"
#include "core/function/trace.h"

namespace ember {
namespace {

Tensor softmax_impl(bool log, const Tensor& x, std::int64_t axis, const char* name) {
  detail::check_defined(x, name);
  detail::check_floating(name, x);
  if (x.rank() == 0) return softmax_impl(log, detail::view(x, Shape{1}), 0, name).index(0);
  const int a = normalize_axis(axis, x.rank(), name);
  std::int64_t outer = 1, inner = 1;
  for (int i = 0; i < a; ++i) outer *= x.shape(i);
  for (int i = a + 1; i < x.rank(); ++i) inner *= x.shape(i);
  Tensor out = detail::empty(x.shape(), x.dtype(), x.device());
  if (out.size() > 0) {
    detail::backend_of(out).softmax(log, x.dtype(), x.raw_data(), detail::mutable_data(out), outer,
                                    x.shape(a), inner);
  }
  autodiff::maybe_record(name, {&x}, out, [&] { return grad::softmax_backward(log, out, a); });
  return out;
}

}  // namespace

Tensor softmax(const Tensor& x, std::int64_t axis) {
  EMBER_TRACE_OP("softmax", softmax, x, axis);
  return softmax_impl(false, x, axis, "softmax");
}

Tensor softmax_cross_entropy_with_logits(const Tensor& labels, const Tensor& logits, std::int64_t axis) {
  EMBER_TRACE_OP("softmax_cross_entropy_with_logits", softmax_cross_entropy_with_logits, labels, logits, axis);
  const char* name = "softmax_cross_entropy_with_logits";
  detail::check_defined(labels, name);
  detail::check_defined(logits, name);
  detail::check_floating(name, logits);
  if (labels.shape() != logits.shape()) {
    throw ShapeError(cat(name, ": labels have shape ", labels.shape(), " but logits ", logits.shape()));
  }
  if (labels.dtype() != logits.dtype()) {
    throw DTypeError(cat(name, ": labels are ", dtype_name(labels.dtype()), " but logits ", dtype_name(logits.dtype())));
  }
  const int a = normalize_axis(axis, logits.rank(), name);
  Tensor loss;
  {
    const autodiff::PauseAll untaped;  // one recorded op below, not the chain of its parts
    loss = negative(reduce_sum(labels * log_softmax(logits, a), {a}));
  }
  autodiff::maybe_record(name, {&labels, &logits}, loss, [&] {
    return autodiff::BackwardFunction(
        // From the inputs again (not the saved forward values), so an outer tape differentiates
        // through this backward pass (second derivatives).
        [labels, logits, a](const Tensor& g, autodiff::NeedsMask needs) -> autodiff::Gradients {
          const Tensor g_column = expand_dims(g, a);
          autodiff::Gradients grads(2);
          if (autodiff::needs(needs, 0)) grads[0] = negative(log_softmax(logits, a)) * g_column;
          if (autodiff::needs(needs, 1)) {
            grads[1] = (softmax(logits, a) * reduce_sum(labels, {a}, true) - labels) * g_column;
          }
          return grads;
        });
  });
  return loss;
}

Tensor sparse_softmax_cross_entropy_with_logits(const Tensor& labels, const Tensor& logits) {
  EMBER_TRACE_OP("sparse_softmax_cross_entropy_with_logits", sparse_softmax_cross_entropy_with_logits, labels, logits);
  const char* name = "sparse_softmax_cross_entropy_with_logits";
  detail::check_defined(labels, name);
  detail::check_defined(logits, name);
  detail::check_floating(name, logits);
  if (is_floating(labels.dtype()) || labels.dtype() == DType::bool_) {
    throw DTypeError(cat(name, ": labels must be integer class indices, got ", dtype_name(labels.dtype())));
  }
  if (logits.rank() < 1 || labels.rank() != logits.rank() - 1) {
    throw ShapeError(cat(name, ": labels of shape ", labels.shape(), " do not index logits of shape ", logits.shape()));
  }
  for (int i = 0; i < labels.rank(); ++i) {
    if (labels.shape(i) != logits.shape(i)) {
      throw ShapeError(cat(name, ": labels of shape ", labels.shape(), " do not index logits of shape ", logits.shape()));
    }
  }
  Tensor picked, loss;
  {
    const autodiff::PauseAll untaped;
    picked = one_hot(labels, logits.shape(-1), 1.0, 0.0, -1, logits.dtype());
    loss = negative(reduce_sum(picked * log_softmax(logits, -1), {-1}));
  }
  autodiff::maybe_record(name, {&logits}, loss, [&] {
    // The one-hot labels are made again from the labels (an input), not kept from the forward
    // pass, so that a graph function replays this gradient with each call's labels.
    return autodiff::BackwardFunction([labels, logits](const Tensor& g, autodiff::NeedsMask) -> autodiff::Gradients {
      const Tensor picked = one_hot(labels, logits.shape(-1), 1.0, 0.0, -1, logits.dtype());
      return {(softmax(logits, -1) - picked) * expand_dims(g, -1)};
    });
  });
  return loss;
}
Tensor log_softmax(const Tensor& x, std::int64_t axis) {
  EMBER_TRACE_OP("log_softmax", log_softmax, x, axis);
  return softmax_impl(true, x, axis, "log_softmax");
}

}  // namespace ember
