#include "optim/optimizer.h"

#include <array>
#include <cmath>

#include "core/autodiff/gradient_tape.h"
#include "core/error.h"
#include "core/function/trace.h"
#include "core/ops.h"
#include "core/ops/optimizer.h"

namespace ember::optim {

Optimizer::Optimizer(std::string default_name, LearningRate learning_rate,
                     std::optional<double> weight_decay, const OptimizerOptions& options)
    : name_(options.name.empty() ? default_name : options.name),
      class_name_(std::move(default_name)),
      common_{weight_decay,      options.clipnorm,
              options.clipvalue, options.global_clipnorm,
              options.name,      options.skip_nonfinite_gradients},
      state_(std::make_shared<State>(std::move(learning_rate))) {
  state_->strategy = distribute::current_strategy();
  auto check = [&](const std::optional<double>& value, const char* what) {
    if (value && !(*value >= 0)) throw Error(cat(name_, ": ", what, " must be >= 0, got ", *value));
  };
  check(common_.weight_decay, "weight_decay");
  check(common_.clipnorm, "clipnorm");
  check(common_.clipvalue, "clipvalue");
  check(common_.global_clipnorm, "global_clipnorm");
  const int clips = common_.clipnorm.has_value() + common_.clipvalue.has_value() +
                    common_.global_clipnorm.has_value();
  if (clips > 1) {
    throw Error(
        cat(name_, ": set only one of clipnorm, clipvalue and global_clipnorm (as in Keras)"));
  }
}

void Optimizer::set_learning_rate(double value) {
  if (!state_->learning_rate.is_constant()) {
    throw Error(cat(name_, ": this optimizer was created with a learning-rate schedule, so its ",
                    "learning rate cannot be set; create it with a number instead"));
  }
  state_->learning_rate = LearningRate(value);
}

Optimizer::Entry& Optimizer::entry_for(const Variable& v) {
  const auto found = state_->entry_index.find(v.id());
  if (found != state_->entry_index.end()) return state_->entries[found->second];
  if (!is_floating(v.dtype())) {
    throw DTypeError(cat(name_, ": variable '", v.name(), "' has dtype ", dtype_name(v.dtype()),
                         "; optimizers update float32 and float64 variables"));
  }
  const Slots layout = slots();
  Entry entry{v, {}};
  const std::size_t index = state_->entries.size();
  for (int s = 0; s < 3; ++s) {
    if (layout.names[s] == nullptr) continue;
    const std::string key = cat(index, ":", v.path(), "/", layout.names[s]);
    const auto restored = state_->pending.find(key);
    if (restored != state_->pending.end()) {
      if (restored->second.shape() != v.shape() || restored->second.dtype() != v.dtype()) {
        throw ShapeError(cat(name_, ": restored slot '", key, "' has shape ",
                             restored->second.shape(), " and dtype ",
                             dtype_name(restored->second.dtype()), ", but the variable has ",
                             v.shape(), " and ", dtype_name(v.dtype())));
      }
      entry.slots[s] = restored->second.to(v.device());
      state_->pending.erase(restored);
    } else {
      const Tensor value = v.value();
      entry.slots[s] =
          layout.initial[s] == 0 ? zeros_like(value) : ones_like(value) * layout.initial[s];
    }
  }
  state_->entry_index.emplace(v.id(), index);
  state_->entries.push_back(std::move(entry));
  return state_->entries.back();
}

void Optimizer::build(const std::vector<Variable>& vars) {
  for (const Variable& v : vars) entry_for(v);
}

Tensor& Optimizer::nonfinite_counter(const Device& device) {
  for (auto& [d, counter] : state_->nonfinite_counters) {
    if (d == device) return counter;
  }
  state_->nonfinite_counters.emplace_back(device, zeros(Shape{}, DType::int64).to(device));
  return state_->nonfinite_counters.back().second;
}

std::int64_t Optimizer::nonfinite_gradients() const {
  std::int64_t total = 0;
  for (const auto& [device, counter] : state_->nonfinite_counters)
    total += counter.item<std::int64_t>();
  return total;
}

// Keras' clipping, with ember ops (so it stays on the gradients' device).
std::vector<Tensor> Optimizer::clip(const std::vector<Tensor>& grads) const {
  std::vector<Tensor> out;
  if (common_.clipnorm && *common_.clipnorm > 0) {
    const double c = *common_.clipnorm;
    for (const Tensor& g : grads) out.push_back(g * c / maximum(sqrt(reduce_sum(square(g))), c));
  } else if (common_.global_clipnorm && *common_.global_clipnorm > 0) {
    const double c = *common_.global_clipnorm;
    Tensor sum_of_squares;
    for (const Tensor& g : grads) {
      const Tensor s = cast(reduce_sum(square(g)), DType::float64).to(grads.front().device());
      sum_of_squares = sum_of_squares.defined() ? sum_of_squares + s : s;
    }
    const Tensor norm = sqrt(sum_of_squares);
    // c·min(1/norm, 1/c), plus (norm − norm) so a NaN or infinite norm poisons the scale.
    const Tensor scale = minimum(1.0 / norm, 1.0 / c) * c + (norm - norm);
    for (const Tensor& g : grads) out.push_back(g * cast(scale.to(g.device()), g.dtype()));
  } else if (common_.clipvalue && *common_.clipvalue > 0) {
    const double v = *common_.clipvalue;
    for (const Tensor& g : grads) out.push_back(clip_by_value(g, -v, v));
  } else {
    return grads;
  }
  return out;
}

void Optimizer::record_update(const char* op, const std::vector<std::optional<Tensor>>& grads,
                              const std::vector<Variable>& vars, bool summed) {
  // One node for the whole step: its coefficients (bias corrections, the learning rate of a
  // schedule) are computed on the host from the step count, so a replay must run it again. The
  // replay calls the virtual update_with, so a subclass's (LossScaleOptimizer) runs too.
  std::vector<Tensor> given;
  std::vector<bool> present;
  for (const auto& g : grads) {
    present.push_back(g.has_value());
    if (g) given.push_back(*g);
  }
  trace::record_effect(
      op,
      [this, vars, present, summed](const std::vector<Tensor>& values) {
        std::vector<std::optional<Tensor>> rebuilt;
        std::size_t next = 0;
        for (bool p : present)
          rebuilt.push_back(p ? std::optional<Tensor>(values[next++]) : std::nullopt);
        update_with(summed ? rebuilt : aggregate_gradients(rebuilt), vars);
      },
      given);
}

void Optimizer::apply_gradients(const std::vector<std::optional<Tensor>>& grads,
                                const std::vector<Variable>& vars) {
  if (trace::recording()) return record_update("Optimizer.apply_gradients", grads, vars, false);
  update_with(aggregate_gradients(grads), vars);
}

void Optimizer::apply_reduced_gradients(const std::vector<std::optional<Tensor>>& grads,
                                        const std::vector<Variable>& vars) {
  if (trace::recording()) {
    return record_update("Optimizer.apply_reduced_gradients", grads, vars, true);
  }
  update_with(grads, vars);
}

std::vector<std::optional<Tensor>> Optimizer::aggregate_gradients(
    const std::vector<std::optional<Tensor>>& grads) const {
  const std::optional<distribute::Strategy>& strategy = state_->strategy;
  if (!strategy || strategy->num_replicas_in_sync() == 1) return grads;
  std::vector<Tensor> present;
  for (const auto& g : grads) {
    if (g && g->defined()) present.push_back(*g);
  }
  const std::vector<Tensor> summed = strategy->all_reduce(present);
  std::vector<std::optional<Tensor>> out;
  std::size_t next = 0;
  for (const auto& g : grads) {
    out.push_back(g && g->defined() ? std::optional<Tensor>(summed[next++]) : g);
  }
  return out;
}

void Optimizer::apply_rule(const std::vector<std::optional<Tensor>>& grads,
                           const std::vector<Variable>& vars) {
  if (grads.size() != vars.size()) {
    throw Error(cat(name_, ".apply_gradients: ", grads.size(), " gradients for ", vars.size(),
                    " variables; pass one gradient (or none) per variable"));
  }
  // Check everything before changing anything.
  const std::string caller = name_ + ".apply_gradients";
  std::vector<Tensor> present;
  std::vector<Variable> updated;
  std::string missing;
  for (std::size_t i = 0; i < vars.size(); ++i) {
    const Variable& v = vars[i];
    if (!v.defined()) throw Error(cat(name_, ".apply_gradients: variable ", i, " is undefined"));
    if (!grads[i]) {
      missing += (missing.empty() ? "'" : ", '") + v.path() + "'";
      continue;
    }
    const Tensor& g = *grads[i];
    check_optimizer_gradient(v, g, caller.c_str());
    present.push_back(g);
    updated.push_back(v);
  }
  if (present.empty())
    throw Error(cat(name_, ".apply_gradients: no gradients provided for any variable"));
  if (!missing.empty() &&
      missing != state_->warned_missing) {  // once per set, not every step of a loop
    warn(cat(name_, ".apply_gradients: gradients do not exist for variables ", missing,
             "; they are left unchanged"));
    state_->warned_missing = missing;
  }
  const double lr = state_->learning_rate.at(state_->iterations);
  if (!(lr >= 0) || !std::isfinite(lr)) {
    throw Error(cat(name_, ": the learning rate at step ", state_->iterations, " is ", lr,
                    "; it must be a finite number >= 0"));
  }
  // Slots for every variable given, in order, gradient or not: Keras builds them so, and the
  // order of the slots is the order of the variables (what Keras' files list).
  for (const Variable& v : vars) entry_for(v);

  const autodiff::PauseAll not_differentiable;  // optimizer updates are never recorded
  const std::vector<Tensor> clipped = clip(present);
  const Step step = begin_step(state_->iterations + 1, lr);
  const double decay = common_.weight_decay ? *common_.weight_decay * lr : 0.0;
  const OptimizerStep update{.rule = step.rule,
                             .learning_rate = lr,
                             .decay = decay,
                             .coefficients = step.coefficients,
                             .skip_nonfinite = common_.skip_nonfinite_gradients};
  const auto counter_of = [this](const Device& device) -> Tensor& {
    return nonfinite_counter(device);
  };
  std::vector<OptimizerTarget> targets;
  for (std::size_t i = 0; i < updated.size(); ++i) {
    Entry& entry = state_->entries[state_->entry_index.at(updated[i].id())];
    targets.push_back({&updated[i], &entry.slots, &clipped[i]});
  }
  if (!common_.skip_nonfinite_gradients) {
    apply_optimizer_updates(update, targets, counter_of, caller.c_str());  // a kernel per dtype
  } else {
    // Skipping: one variable at a time, so that the warning can name the variable (on the CPU
    // the count is read for free; a GPU's is left on the device).
    for (const OptimizerTarget& target : targets) {
      const Variable& v = *target.variable;
      Tensor& counter = nonfinite_counter(v.device());
      const bool on_cpu = v.device().is_cpu();
      const std::int64_t before = on_cpu ? counter.item<std::int64_t>() : 0;
      apply_optimizer_updates(update, {target}, counter_of, caller.c_str());
      const std::int64_t after = on_cpu ? counter.item<std::int64_t>() : 0;
      if (after != before) {
        warn(cat(name_, ": ", after - before, " non-finite gradient value(s) for variable '",
                 v.path(), "' were skipped; those elements and their slots keep their values"));
      }
    }
  }
  ++state_->iterations;
}

void Optimizer::apply_gradients(
    const std::vector<std::pair<std::optional<Tensor>, Variable>>& grads_and_vars) {
  std::vector<std::optional<Tensor>> grads;
  std::vector<Variable> vars;
  for (const auto& [g, v] : grads_and_vars) {
    grads.push_back(g);
    vars.push_back(v);
  }
  apply_gradients(grads, vars);
}

Tensor Optimizer::minimize(const std::function<Tensor()>& loss_fn,
                           const std::vector<Variable>& vars) {
  GradientTape tape;
  const Tensor loss = loss_fn();
  apply_gradients(tape.gradient(scale_loss(loss), vars), vars);
  return loss;
}

Optimizer::VariableSize Optimizer::variable_size() const {
  VariableSize size;
  if (state_->entries.empty()) return size;  // Keras' optimizer is not built yet
  size.count = 1;                            // iterations, int64
  size.bytes = 8;
  if (state_->learning_rate.is_constant()) {
    size.count += 1;  // the learning rate, float32
    size.bytes += 4;
  }
  for (const Entry& entry : state_->entries) {
    for (const Tensor& slot : entry.slots) {
      if (!slot.defined()) continue;
      size.count += slot.size();
      size.bytes += slot.size() * static_cast<std::int64_t>(dtype_size(slot.dtype()));
    }
  }
  size.count += extra_variables();
  size.bytes += 4 * extra_variables();
  return size;
}

OptimizerState Optimizer::get_state() const {
  OptimizerState state;
  {
    const DeviceScope on_cpu(Device::cpu());
    state.emplace("iterations", fill(Shape{}, Scalar(state_->iterations)));
  }
  const Slots layout = slots();
  for (std::size_t i = 0; i < state_->entries.size(); ++i) {
    for (int s = 0; s < 3; ++s) {
      if (layout.names[s] == nullptr) continue;
      // A handle of its own: the next in-place update sees the storage shared and copies first
      // (copy-on-write), so the state keeps this step's values.
      state.emplace(cat(i, ":", state_->entries[i].variable.path(), "/", layout.names[s]),
                    identity(state_->entries[i].slots[s]));
    }
  }
  for (const auto& [key, value] : state_->pending) state.emplace(key, value);
  save_extra(state);
  return state;
}

void Optimizer::set_state(const OptimizerState& state) {
  // Everything is checked before anything changes: a state from a file may be crafted.
  const auto it = state.find("iterations");
  if (it == state.end()) throw Error(cat(name_, ".set_state: the state has no 'iterations'"));
  const Tensor& count = it->second;
  if (!count.defined() || count.shape().num_elements() != 1 || count.dtype() == DType::bool_) {
    throw Error(cat(name_, ".set_state: 'iterations' must be one number, got ",
                    count.defined() ? cat(dtype_name(count.dtype()), " of shape ", count.shape())
                                    : std::string("nothing")));
  }
  const double iterations_value = cast(count, DType::float64).item<double>();
  if (!(iterations_value >= 0) || iterations_value > 9.0e18 ||
      iterations_value != std::floor(iterations_value)) {
    throw Error(
        cat(name_, ".set_state: 'iterations' must be a whole number >= 0, got ", iterations_value));
  }
  const auto iterations = static_cast<std::int64_t>(iterations_value);
  const Slots layout = slots();
  OptimizerState slots_by_key;
  for (const auto& [key, value] : state) {
    if (key == "iterations" || key.find(':') == std::string::npos) continue;
    if (!value.defined() || !is_floating(value.dtype())) {
      throw DTypeError(cat(name_, ".set_state: slot '", key, "' must be float32 or float64, got ",
                           value.defined() ? dtype_name(value.dtype()) : "nothing"));
    }
    slots_by_key.emplace(key, value);
  }
  // Slots of variables already built are replaced; the others wait for their variable.
  std::vector<std::array<Tensor, 3>> replaced(state_->entries.size());
  for (std::size_t i = 0; i < state_->entries.size(); ++i) {
    const Variable& variable = state_->entries[i].variable;
    for (int s = 0; s < 3; ++s) {
      if (layout.names[s] == nullptr) continue;
      const std::string key = cat(i, ":", variable.path(), "/", layout.names[s]);
      const auto found = slots_by_key.find(key);
      if (found == slots_by_key.end()) {
        throw Error(cat(name_, ".set_state: the state has no slot '", key, "'"));
      }
      if (found->second.shape() != variable.shape()) {
        throw ShapeError(cat(name_, ".set_state: slot '", key, "' has shape ",
                             found->second.shape(), " but the variable has shape ",
                             variable.shape()));
      }
      Tensor slot = found->second.to(variable.device());
      replaced[i][s] = slot.dtype() == variable.dtype() ? slot : cast(slot, variable.dtype());
      slots_by_key.erase(found);
    }
  }
  load_extra(state);  // the optimizer's own values (Nadam's), last: it checks before it sets
  for (std::size_t i = 0; i < state_->entries.size(); ++i)
    for (int s = 0; s < 3; ++s)
      if (layout.names[s] != nullptr) state_->entries[i].slots[s] = replaced[i][s];
  state_->pending = std::move(slots_by_key);
  state_->iterations = iterations;
}

}  // namespace ember::optim

namespace ember {

std::vector<std::pair<std::optional<Tensor>, Variable>> zip(
    const std::vector<std::optional<Tensor>>& grads, const std::vector<Variable>& vars) {
  if (grads.size() != vars.size()) {
    throw Error(cat("zip(grads, vars): ", grads.size(), " gradients for ", vars.size(),
                    " variables; compute the gradients for the same list of variables"));
  }
  std::vector<std::pair<std::optional<Tensor>, Variable>> out;
  out.reserve(grads.size());
  for (std::size_t i = 0; i < grads.size(); ++i) out.emplace_back(grads[i], vars[i]);
  return out;
}

}  // namespace ember
