#include "optim/sgd.h"

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace ember::optim {

SGD::SGD(SGDOptions o)
    : Optimizer("SGD", o.learning_rate, o.weight_decay, o),
      momentum_(o.momentum),
      nesterov_(o.nesterov) {
  if (!(o.momentum >= 0 && o.momentum <= 1)) {
    throw Error(cat(name(), ": momentum must be in [0, 1], got ", o.momentum));
  }
}

Optimizer::Slots SGD::slots() const {
  Slots s;
  if (momentum_ != 0) s.names[0] = "momentum";
  return s;
}

Optimizer::Step SGD::begin_step(std::int64_t, double) {
  if (momentum_ == 0) return {OptimizerRule::sgd};
  return {nesterov_ ? OptimizerRule::sgd_nesterov : OptimizerRule::sgd_momentum, {momentum_}};
}

void SGD::add_config(nlohmann::json& config) const {
  config["momentum"] = momentum_;
  config["nesterov"] = nesterov_;
}

}  // namespace ember::optim
