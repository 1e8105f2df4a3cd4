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

namespace {

void check_slots(const Variable& variable, const std::array<Tensor, 3>& slots, const char* caller) {
  for (const Tensor& slot : slots) {
    if (slot.defined() &&
        (slot.shape() != variable.shape() || slot.device() != variable.device())) {
      throw ShapeError(cat(caller, ": a slot of variable '", variable.name(), "' has shape ",
                           slot.shape(), " on ", slot.device(), ", the variable ", variable.shape(),
                           " on ", variable.device()));
    }
  }
}

void check_counter(const Tensor& counter, const Device& device, const char* caller) {
  if (counter.dtype() != DType::int64 || counter.size() != 1 || counter.device() != device)
    throw Error(cat(caller, ": the non-finite counter must be one int64 on ", device));
}

}  // namespace

void apply_optimizer_updates(const OptimizerStep& step, const std::vector<OptimizerTarget>& targets,
                             const std::function<Tensor&(const Device&)>& nonfinite_count,
                             const char* caller) {
  for (const OptimizerTarget& t : targets) {
    check_optimizer_gradient(*t.variable, *t.gradient, caller);
    check_slots(*t.variable, *t.slots, caller);
    check_counter(nonfinite_count(t.variable->device()), t.variable->device(), caller);
  }
  // One pass per (device, dtype), in the order the groups first appear.
  std::vector<bool> done(targets.size(), false);
  for (std::size_t first = 0; first < targets.size(); ++first) {
    if (done[first]) continue;
    const Device device = targets[first].variable->device();
    const DType dtype = targets[first].variable->dtype();
    std::vector<OptimizerTensor> tensors;
    for (std::size_t i = first; i < targets.size(); ++i) {
      const OptimizerTarget& t = targets[i];
      if (done[i] || t.variable->device() != device || t.variable->dtype() != dtype) continue;
      done[i] = true;
      if (t.variable->size() == 0) continue;
      OptimizerTensor x;
      x.n = t.variable->size();
      x.param = detail::exclusive_data(*t.variable);
      x.grad = t.gradient->raw_data();
      for (std::size_t s = 0; s < t.slots->size(); ++s) {
        Tensor& slot = (*t.slots)[s];
        x.slots[s] = slot.defined() ? detail::exclusive_data(slot) : nullptr;
      }
      tensors.push_back(x);
    }
    if (tensors.empty()) continue;
    OptimizerUpdateArgs args;
    args.rule = step.rule;
    args.dtype = dtype;
    args.tensors = tensors.data();
    args.count = tensors.size();
    args.learning_rate = step.learning_rate;
    args.decay = step.decay;
    for (std::size_t c = 0; c < step.coefficients.size(); ++c)
      args.coefficients[c] = step.coefficients[c];
    args.nonfinite_count =
        static_cast<std::int64_t*>(detail::exclusive_data(nonfinite_count(device)));
    args.skip_nonfinite = step.skip_nonfinite;
    detail::backend_for(device).optimizer_update(args);
  }
}

}  // namespace ember
