// The optimizer's update as an op (internal: optim/ calls it): one fused step of a Keras
// optimizer's rule for its variables and their slots (moments, accumulators), in place on the
// variable's device. optim/ computes the rule's coefficients for the step
// (core/backend/optimizer_math.h says which is which) and calls this; nothing above core/ touches a
// backend. Not recorded on tapes (an update is not differentiable).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "core/backend/kernel_types.h"
#include "core/tensor.h"
#include "core/variable.h"

namespace ember {

/// The numbers of one optimizer step, the same for every variable it updates.
struct OptimizerStep {
  OptimizerRule rule = OptimizerRule::sgd;
  double learning_rate = 0;
  /// Decoupled weight decay times the learning rate: the variable loses this fraction first.
  double decay = 0;
  std::array<double, 6> coefficients{0, 0, 0, 0, 0, 0};
  /// Leave elements whose gradient is NaN or infinite untouched (else they update as the others,
  /// and NaN reaches the variable, as in Keras).
  bool skip_nonfinite = false;
};

/// Throws ShapeError, DTypeError or DeviceError naming `caller` and the variable unless `gradient`
/// has the variable's shape, dtype and device (apply_optimizer_updates checks it too; an optimizer
/// checks every pair before it updates the first).
void check_optimizer_gradient(const Variable& variable, const Tensor& gradient, const char* caller);

/// One variable of an update: the variable, its slots (undefined tensors for the slots the rule
/// has not) and its gradient, which has the variable's shape, dtype and device.
struct OptimizerTarget {
  Variable* variable;
  std::array<Tensor, 3>* slots;
  const Tensor* gradient;
};

/// Updates every target's variable and slots with its gradient: one fused pass (one kernel) per
/// device and dtype, whatever the number of variables. Elements whose gradient is NaN or infinite
/// are counted into `nonfinite_count(device)` (an int64 scalar on that device) and, with
/// step.skip_nonfinite, left untouched, variable and slots. A variable's old value, read before,
/// keeps its values (copy-on-write), and so does any tensor sharing a slot's storage. Everything is
/// checked before the first variable changes.
void apply_optimizer_updates(const OptimizerStep& step, const std::vector<OptimizerTarget>& targets,
                             const std::function<Tensor&(const Device&)>& nonfinite_count,
                             const char* caller);

}  // namespace ember
