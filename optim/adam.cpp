#include "optim/adam.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/ops.h"

namespace ember::optim {
namespace {

void check_betas(const std::string& name, double beta_1, double beta_2) {
  if (!(beta_1 >= 0 && beta_1 < 1) || !(beta_2 >= 0 && beta_2 < 1)) {
    throw Error(cat(name, ": beta_1 and beta_2 must be in [0, 1), got ", beta_1, " and ", beta_2));
  }
}

}  // namespace

Adam::Adam(AdamOptions o) : Adam("Adam", o) {}

Adam::Adam(std::string default_name, const AdamOptions& o)
    : Optimizer(std::move(default_name), o.learning_rate, o.weight_decay, o),
      beta_1_(o.beta_1),
      beta_2_(o.beta_2),
      epsilon_(o.epsilon),
      amsgrad_(o.amsgrad) {
  check_betas(name(), o.beta_1, o.beta_2);
}

Optimizer::Slots Adam::slots() const {
  return {{"momentum", "velocity", amsgrad_ ? "velocity_hat" : nullptr}, {0, 0, 0}};
}

Optimizer::Step Adam::begin_step(std::int64_t step, double lr) {
  const double t = static_cast<double>(step);
  const double alpha = lr * std::sqrt(1 - std::pow(beta_2_, t)) / (1 - std::pow(beta_1_, t));
  return {amsgrad_ ? OptimizerRule::adam_amsgrad : OptimizerRule::adam,
          {beta_1_, beta_2_, epsilon_, alpha}};
}

namespace {
AdamOptions as_adam(const AdamWOptions& o) {
  AdamOptions a;
  static_cast<OptimizerOptions&>(a) = o;
  a.learning_rate = o.learning_rate;
  a.beta_1 = o.beta_1;
  a.beta_2 = o.beta_2;
  a.epsilon = o.epsilon;
  a.amsgrad = o.amsgrad;
  a.weight_decay = o.weight_decay;
  return a;
}
}  // namespace

AdamW::AdamW(AdamWOptions o) : Adam("AdamW", as_adam(o)) {}

Nadam::Nadam(NadamOptions o)
    : Optimizer("Nadam", o.learning_rate, o.weight_decay, o),
      beta_1_(o.beta_1),
      beta_2_(o.beta_2),
      epsilon_(o.epsilon) {
  check_betas(name(), o.beta_1, o.beta_2);
}

Optimizer::Slots Nadam::slots() const { return {{"momentum", "velocity", nullptr}, {0, 0, 0}}; }

Optimizer::Step Nadam::begin_step(std::int64_t step, double lr) {
  (void)lr;
  const double t = static_cast<double>(step);
  const double u_t = beta_1_ * (1.0 - 0.5 * std::pow(0.96, t));
  const double u_next = beta_1_ * (1.0 - 0.5 * std::pow(0.96, t + 1));
  *u_product_ *= u_t;  // Keras advances the product once per step, before the variables
  const double u_product_next = *u_product_ * u_next;
  return {OptimizerRule::nadam,
          {beta_1_, beta_2_, epsilon_, u_next / (1.0 - u_product_next),
           (1.0 - u_t) / (1.0 - *u_product_), 1.0 / (1.0 - std::pow(beta_2_, t))}};
}

void Nadam::save_extra(OptimizerState& state) const {
  state.emplace("u_product", constant(*u_product_, float64).to(Device::cpu()));
}

void Nadam::load_extra(const OptimizerState& state) {
  const auto it = state.find("u_product");
  if (it == state.end()) throw Error(cat(name(), ".set_state: the state has no 'u_product'"));
  if (!it->second.defined() || it->second.shape().num_elements() != 1 ||
      !is_floating(it->second.dtype()))
    throw Error(cat(name(), ".set_state: 'u_product' must be one float"));
  const double u_product = cast(it->second, float64).item<double>();
  if (!std::isfinite(u_product))
    throw Error(cat(name(), ".set_state: 'u_product' must be finite, got ", u_product));
  *u_product_ = u_product;
}

Adamax::Adamax(AdamaxOptions o)
    : Optimizer("Adamax", o.learning_rate, o.weight_decay, o),
      beta_1_(o.beta_1),
      beta_2_(o.beta_2),
      epsilon_(o.epsilon) {
  check_betas(name(), o.beta_1, o.beta_2);
}

Optimizer::Slots Adamax::slots() const { return {{"momentum", "norm", nullptr}, {0, 0, 0}}; }

Optimizer::Step Adamax::begin_step(std::int64_t step, double) {
  const double t = static_cast<double>(step);
  return {OptimizerRule::adamax, {beta_1_, beta_2_, epsilon_, 1.0 - std::pow(beta_1_, t)}};
}

void Adam::add_config(nlohmann::json& config) const {
  config["beta_1"] = beta_1_;
  config["beta_2"] = beta_2_;
  config["epsilon"] = epsilon_;
  config["amsgrad"] = amsgrad_;
}

void Nadam::add_config(nlohmann::json& config) const {
  config["beta_1"] = beta_1_;
  config["beta_2"] = beta_2_;
  config["epsilon"] = epsilon_;
}

void Adamax::add_config(nlohmann::json& config) const {
  config["beta_1"] = beta_1_;
  config["beta_2"] = beta_2_;
  config["epsilon"] = epsilon_;
}

}  // namespace ember::optim
