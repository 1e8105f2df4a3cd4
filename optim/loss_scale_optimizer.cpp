#include "optim/loss_scale_optimizer.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/autodiff/gradient_tape.h"
#include "core/error.h"
#include "core/function/trace.h"
#include "core/ops.h"
#include "optim/optimizers.h"

namespace ember::optim {

LossScaleOptimizer::LossScaleOptimizer(std::shared_ptr<Optimizer> inner,
                                       LossScaleOptimizerOptions options)
    : Optimizer(inner ? *inner : throw Error("LossScaleOptimizer: the inner optimizer is null")),
      inner_(std::move(inner)),
      options_(std::move(options)),
      scale_(std::make_shared<ScaleState>()) {
  if (dynamic_cast<const LossScaleOptimizer*>(inner_.get()) != nullptr) {
    throw Error("LossScaleOptimizer: the inner optimizer is already a LossScaleOptimizer");
  }
  if (!(options_.initial_scale > 0) || !std::isfinite(options_.initial_scale)) {
    throw Error(cat("LossScaleOptimizer: initial_scale must be a positive finite number, got ",
                    options_.initial_scale));
  }
  if (options_.dynamic_growth_steps < 1) {
    throw Error(cat("LossScaleOptimizer: dynamic_growth_steps must be at least 1, got ",
                    options_.dynamic_growth_steps));
  }
  name_ = options_.name.empty() ? "loss_scale_optimizer" : options_.name;
  class_name_ = "LossScaleOptimizer";
  scale_->scale = Variable(constant(static_cast<float>(options_.initial_scale)),
                           {.name = "dynamic_scale", .trainable = false, .autocast = false});
}

double LossScaleOptimizer::dynamic_scale() const {
  return static_cast<double>(scale_->scale.value().item<float>());
}

Tensor LossScaleOptimizer::scale_loss(const Tensor& loss) const {
  // Read as an op input, so a traced step multiplies by the scale of each replay.
  const Tensor scale = scale_->scale.read().to(loss.device());
  return loss * (scale.dtype() == loss.dtype() ? scale : cast(scale, loss.dtype()));
}

void LossScaleOptimizer::update_with(const std::vector<std::optional<Tensor>>& grads,
                                     const std::vector<Variable>& vars) {
  // Finite when the sum of every gradient times zero is zero (NaN or infinity make it NaN): one
  // read back per step, the one Keras' tf.cond makes too.
  Tensor poison;
  for (const auto& g : grads) {
    if (!g || !g->defined()) continue;
    const Tensor term = cast(reduce_sum(*g * 0.0), DType::float32).to(Device::cpu());
    poison = poison.defined() ? poison + term : term;
  }
  const bool finite = !poison.defined() || poison.item<float>() == 0.0f;
  const float scale = scale_->scale.value().item<float>();
  const auto set_scale = [&](float value) {
    const autodiff::PauseAll untaped;
    scale_->scale.assign(constant(value));
  };
  if (!finite) {
    set_scale(scale * 0.5f);
    scale_->step_counter = 0;
    return;
  }
  std::vector<std::optional<Tensor>> unscaled;
  for (const auto& g : grads) {
    if (!g || !g->defined()) {
      unscaled.push_back(g);
      continue;
    }
    unscaled.push_back(*g / static_cast<double>(scale));
  }
  apply_rule(unscaled, vars);  // the inner optimizer's rule, on shared state
  if (scale_->step_counter == options_.dynamic_growth_steps - 1) {
    set_scale(scale * 2.0f);
    scale_->step_counter = 0;
  } else {
    ++scale_->step_counter;
  }
}

nlohmann::json LossScaleOptimizer::get_config() const {
  return {{"name", name()},
          {"inner_optimizer", serialize(*inner_)},
          {"initial_scale", options_.initial_scale},
          {"dynamic_growth_steps", options_.dynamic_growth_steps}};
}

void LossScaleOptimizer::save_extra(OptimizerState& state) const {
  inner_->save_extra(state);
  state["dynamic_scale"] = scale_->scale.value();
  state["step_counter"] = constant(scale_->step_counter);
}

void LossScaleOptimizer::load_extra(const OptimizerState& state) {
  inner_->load_extra(state);
  const auto scale = state.find("dynamic_scale");
  if (scale != state.end()) {
    const Tensor& s = scale->second;
    if (!s.defined() || s.size() != 1 || !is_floating(s.dtype())) {
      throw Error(cat(name(), ".set_state: 'dynamic_scale' must be one floating value"));
    }
    const float value = reshape(cast(s, DType::float32), Shape{}).item<float>();
    if (!(value > 0) || !std::isfinite(value)) {
      throw Error(
          cat(name(), ".set_state: 'dynamic_scale' must be positive and finite, got ", value));
    }
    scale_->scale.assign(constant(value));
  }
  const auto counter = state.find("step_counter");
  if (counter != state.end()) {
    const Tensor& c = counter->second;
    if (!c.defined() || c.size() != 1) {
      throw Error(cat(name(), ".set_state: 'step_counter' must be one value"));
    }
    const double value = reshape(cast(c, DType::float64), Shape{}).item<double>();
    if (!(value >= 0) || value >= static_cast<double>(options_.dynamic_growth_steps) ||
        value != std::floor(value)) {
      throw Error(cat(name(), ".set_state: 'step_counter' must be a whole number in [0, ",
                      options_.dynamic_growth_steps, "), got ", value));
    }
    scale_->step_counter = static_cast<std::int64_t>(value);
  }
}

}  // namespace ember::optim
