// Adagrad and Adadelta (keras.optimizers.Adagrad, keras.optimizers.Adadelta).
#pragma once

#include "optim/keywords.h"
#include "optim/optimizer.h"

namespace ember::optim {

struct AdagradOptions : OptimizerOptions {
  LearningRate learning_rate = 0.001;
  double initial_accumulator_value = 0.1;
  double epsilon = 1e-7;
  std::optional<double> weight_decay = std::nullopt;
};

/// a += g²; v −= lr·g / sqrt(a + ε).
class Adagrad : public Optimizer {
 public:
  explicit Adagrad(AdagradOptions options = {});
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 &&
           (KeywordFor<K, AdagradOptions> && ...)) explicit Adagrad(const K&... keywords)
      : Adagrad(with_keywords<AdagradOptions>(keywords...)) {}

 protected:
  Slots slots() const override;
  void add_config(nlohmann::json& config) const override;
  Step begin_step(std::int64_t step, double lr) override;

 private:
  double initial_accumulator_value_, epsilon_;
};

struct AdadeltaOptions : OptimizerOptions {
  LearningRate learning_rate = 0.001;
  double rho = 0.95;
  double epsilon = 1e-7;
  std::optional<double> weight_decay = std::nullopt;
};

/// a = ρa + (1−ρ)g²; Δ = −sqrt(d + ε)·g / sqrt(a + ε); d = ρd + (1−ρ)Δ²; v += lr·Δ.
class Adadelta : public Optimizer {
 public:
  explicit Adadelta(AdadeltaOptions options = {});
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 &&
           (KeywordFor<K, AdadeltaOptions> && ...)) explicit Adadelta(const K&... keywords)
      : Adadelta(with_keywords<AdadeltaOptions>(keywords...)) {}

 protected:
  Slots slots() const override;
  void add_config(nlohmann::json& config) const override;
  Step begin_step(std::int64_t step, double lr) override;

 private:
  double rho_, epsilon_;
};

}  // namespace ember::optim
