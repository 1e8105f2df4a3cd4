#include "optim/rmsprop.h"

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace ember::optim {

RMSprop::RMSprop(RMSpropOptions o)
    : Optimizer("RMSprop", o.learning_rate, o.weight_decay, o),
      rho_(o.rho),
      momentum_(o.momentum),
      epsilon_(o.epsilon),
      centered_(o.centered) {
  if (!(o.rho >= 0 && o.rho <= 1)) throw Error(cat(name(), ": rho must be in [0, 1], got ", o.rho));
  if (!(o.momentum >= 0)) throw Error(cat(name(), ": momentum must be >= 0, got ", o.momentum));
}

Optimizer::Slots RMSprop::slots() const {
  return {
      {"velocity", momentum_ > 0 ? "momentum" : nullptr, centered_ ? "average_gradient" : nullptr},
      {0, 0, 0}};
}

Optimizer::Step RMSprop::begin_step(std::int64_t, double) {
  return {centered_ ? OptimizerRule::rmsprop_centered : OptimizerRule::rmsprop,
          {rho_, epsilon_, momentum_}};
}

void RMSprop::add_config(nlohmann::json& config) const {
  config["rho"] = rho_;
  config["momentum"] = momentum_;
  config["epsilon"] = epsilon_;
  config["centered"] = centered_;
}

}  // namespace ember::optim
