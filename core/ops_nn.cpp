#include "core/ops_nn.h"

#include "core/gradients.h"
#include "core/op_support.h"

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

Tensor softmax(const Tensor& x, std::int64_t axis) { return softmax_impl(false, x, axis, "softmax"); }
Tensor log_softmax(const Tensor& x, std::int64_t axis) {
  return softmax_impl(true, x, axis, "log_softmax");
}

}  // namespace ember
