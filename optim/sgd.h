// SGD with optional momentum and Nesterov momentum (keras.optimizers.SGD).
#pragma once

#include "optim/keywords.h"
#include "optim/optimizer.h"

namespace ember::optim {

struct SGDOptions : OptimizerOptions {
  LearningRate learning_rate = 0.01;
  double momentum = 0.0;  // in [0, 1]
  bool nesterov = false;
  std::optional<double> weight_decay = std::nullopt;
};

/// m = momentum·m − lr·g; v += m (Nesterov: v += momentum·m − lr·g); without momentum v −= lr·g.
class SGD : public Optimizer {
 public:
  explicit SGD(SGDOptions options = {});
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 &&
           (KeywordFor<K, SGDOptions> && ...)) explicit SGD(const K&... keywords)
      : SGD(with_keywords<SGDOptions>(keywords...)) {}

 protected:
  Slots slots() const override;
  void add_config(nlohmann::json& config) const override;
  Step begin_step(std::int64_t step, double lr) override;

 private:
  double momentum_;
  bool nesterov_;
};

}  // namespace ember::optim
