#include "core/ops/optimizer.h"

#include "core/error.h"
#include "core/ops/op_support.h"

namespace ember {

void check_optimizer_gradient(const Variable& variable, const Tensor& gradient,
                              const char* caller) {
  detail::check_defined(gradient, caller);
  if (gradient.shape() != variable.shape()) {
    throw ShapeError(cat(caller, ": the gradient for variable '", variable.name(), "' has shape ",
                         gradient.shape(), " but the variable has shape ", variable.shape()));
  }
  if (gradient.dtype() != variable.dtype()) {
    throw DTypeError(cat(caller, ": the gradient for variable '", variable.name(), "' is ",
                         dtype_name(gradient.dtype()), " but the variable is ",
                         dtype_name(variable.dtype())));
  }
  if (gradient.device() != variable.device()) {
    throw DeviceError(cat(caller, ": the gradient for variable '", variable.name(), "' is on ",
                          gradient.device(), " but the variable is on ", variable.device()));
  }
}

void apply_optimizer_update(const OptimizerStep& step, Variable& variable,
                            std::array<Tensor, 3>& slots, const Tensor& gradient,
                            Tensor& nonfinite_count, const char* caller) {
  check_optimizer_gradient(variable, gradient, caller);
  for (const Tensor& slot : slots) {
    if (slot.defined() &&
        (slot.shape() != variable.shape() || slot.device() != variable.device())) {
      throw ShapeError(cat(caller, ": a slot of variable '", variable.name(), "' has shape ",
                           slot.shape(), " on ", slot.device(), ", the variable ", variable.shape(),
                           " on ", variable.device()));
    }
  }
  if (nonfinite_count.dtype() != DType::int64 || nonfinite_count.size() != 1 ||
      nonfinite_count.device() != variable.device()) {
    throw Error(cat(caller, ": the non-finite counter must be one int64 on ", variable.device()));
  }
  OptimizerUpdateArgs args;
  args.rule = step.rule;
  args.dtype = variable.dtype();
  args.n = variable.size();
  args.param = detail::exclusive_data(variable);
  args.grad = gradient.raw_data();
  for (std::size_t s = 0; s < slots.size(); ++s) {
    args.slots[s] = slots[s].defined() ? detail::exclusive_data(slots[s]) : nullptr;
  }
  args.learning_rate = step.learning_rate;
  args.decay = step.decay;
  for (std::size_t c = 0; c < step.coefficients.size(); ++c)
    args.coefficients[c] = step.coefficients[c];
  args.nonfinite_count = static_cast<std::int64_t*>(detail::exclusive_data(nonfinite_count));
  args.skip_nonfinite = step.skip_nonfinite;
  if (args.n > 0) detail::backend_for(variable.device()).optimizer_update(args);
}

}  // namespace ember
