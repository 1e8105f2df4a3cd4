// RMSprop, plain, with momentum, or centered (keras.optimizers.RMSprop).
#pragma once

#include "optim/keywords.h"
#include "optim/optimizer.h"

namespace ember::optim {

struct RMSpropOptions : OptimizerOptions {
  LearningRate learning_rate = 0.001;
  double rho = 0.9;
  double momentum = 0.0;
  double epsilon = 1e-7;
  bool centered = false;
  std::optional<double> weight_decay = std::nullopt;
};

/// s = ρs + (1−ρ)g²; (centered: ḡ = ρḡ + (1−ρ)g, d = s − ḡ² + ε; else d = s + ε);
/// Δ = lr·g/sqrt(d); with momentum μ: m = μm + Δ, v −= m; else v −= Δ.
class RMSprop : public Optimizer {
 public:
  explicit RMSprop(RMSpropOptions options = {});
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 &&
           (KeywordFor<K, RMSpropOptions> && ...)) explicit RMSprop(const K&... keywords)
      : RMSprop(with_keywords<RMSpropOptions>(keywords...)) {}

 protected:
  Slots slots() const override;
  void add_config(nlohmann::json& config) const override;
  Step begin_step(std::int64_t step, double lr) override;

 private:
  double rho_, momentum_, epsilon_;
  bool centered_;
};

}  // namespace ember::optim
