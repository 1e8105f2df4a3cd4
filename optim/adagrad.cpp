#include "optim/adagrad.h"

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace ember::optim {

Adagrad::Adagrad(AdagradOptions o)
    : Optimizer("Adagrad", o.learning_rate, o.weight_decay, o),
      initial_accumulator_value_(o.initial_accumulator_value),
      epsilon_(o.epsilon) {
  if (!(o.initial_accumulator_value >= 0)) {
    throw Error(
        cat(name(), ": initial_accumulator_value must be >= 0, got ", o.initial_accumulator_value));
  }
}

Optimizer::Slots Adagrad::slots() const {
  return {{"accumulator", nullptr, nullptr}, {initial_accumulator_value_, 0, 0}};
}

Optimizer::Step Adagrad::begin_step(std::int64_t, double) {
  return {OptimizerRule::adagrad, {epsilon_}};
}

Adadelta::Adadelta(AdadeltaOptions o)
    : Optimizer("Adadelta", o.learning_rate, o.weight_decay, o), rho_(o.rho), epsilon_(o.epsilon) {
  if (!(o.rho >= 0 && o.rho <= 1)) throw Error(cat(name(), ": rho must be in [0, 1], got ", o.rho));
}

Optimizer::Slots Adadelta::slots() const {
  return {{"accumulated_grad", "accumulated_delta_var", nullptr}, {0, 0, 0}};
}

Optimizer::Step Adadelta::begin_step(std::int64_t, double) {
  return {OptimizerRule::adadelta, {rho_, epsilon_}};
}

void Adagrad::add_config(nlohmann::json& config) const {
  config["initial_accumulator_value"] = initial_accumulator_value_;
  config["epsilon"] = epsilon_;
}

void Adadelta::add_config(nlohmann::json& config) const {
  config["rho"] = rho_;
  config["epsilon"] = epsilon_;
}

}  // namespace ember::optim
