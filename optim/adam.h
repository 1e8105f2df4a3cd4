// Adam and its family: AdamW, Nadam, Adamax (keras.optimizers).
#pragma once

#include <memory>

#include "optim/keywords.h"
#include "optim/optimizer.h"

namespace ember::optim {

struct AdamOptions : OptimizerOptions {
  LearningRate learning_rate = 0.001;
  double beta_1 = 0.9;
  double beta_2 = 0.999;
  double epsilon = 1e-7;
  bool amsgrad = false;
  std::optional<double> weight_decay = std::nullopt;
};

/// m += (g − m)(1−β1); s += (g² − s)(1−β2); (amsgrad: ŝ = max(ŝ, s)); v −= α·m/(sqrt(s) + ε)
/// with α = lr·sqrt(1−β2^t)/(1−β1^t).
class Adam : public Optimizer {
 public:
  explicit Adam(AdamOptions options = {});
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 &&
           (KeywordFor<K, AdamOptions> && ...)) explicit Adam(const K&... keywords)
      : Adam(with_keywords<AdamOptions>(keywords...)) {}

 protected:
  Adam(std::string default_name, const AdamOptions& options);
  Slots slots() const override;
  void add_config(nlohmann::json& config) const override;
  Step begin_step(std::int64_t step, double lr) override;

 private:
  double beta_1_, beta_2_, epsilon_;
  bool amsgrad_;
};

struct AdamWOptions : OptimizerOptions {
  LearningRate learning_rate = 0.001;
  double weight_decay = 0.004;
  double beta_1 = 0.9;
  double beta_2 = 0.999;
  double epsilon = 1e-7;
  bool amsgrad = false;
};

/// Adam with decoupled weight decay (v −= v·wd·lr before each update), Keras' default wd 0.004.
class AdamW : public Adam {
 public:
  explicit AdamW(AdamWOptions options = {});
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 &&
           (KeywordFor<K, AdamWOptions> && ...)) explicit AdamW(const K&... keywords)
      : AdamW(with_keywords<AdamWOptions>(keywords...)) {}
};

struct NadamOptions : OptimizerOptions {
  LearningRate learning_rate = 0.001;
  double beta_1 = 0.9;
  double beta_2 = 0.999;
  double epsilon = 1e-7;
  std::optional<double> weight_decay = std::nullopt;
};

/// Adam with Nesterov momentum and Keras' momentum schedule u_t = β1(1 − ½·0.96^t).
class Nadam : public Optimizer {
 public:
  explicit Nadam(NadamOptions options = {});
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 &&
           (KeywordFor<K, NadamOptions> && ...)) explicit Nadam(const K&... keywords)
      : Nadam(with_keywords<NadamOptions>(keywords...)) {}

 protected:
  Slots slots() const override;
  void add_config(nlohmann::json& config) const override;
  Step begin_step(std::int64_t step, double lr) override;
  void save_extra(OptimizerState& state) const override;
  void load_extra(const OptimizerState& state) override;
  std::int64_t extra_variables() const override { return 1; }

 private:
  double beta_1_, beta_2_, epsilon_;
  // Π u_i over the steps taken, shared by the optimizer's copies as its other state is.
  std::shared_ptr<double> u_product_ = std::make_shared<double>(1.0);
};

struct AdamaxOptions : OptimizerOptions {
  LearningRate learning_rate = 0.001;
  double beta_1 = 0.9;
  double beta_2 = 0.999;
  double epsilon = 1e-7;
  std::optional<double> weight_decay = std::nullopt;
};

/// m += (g − m)(1−β1); u = max(β2·u, |g|); v −= lr·m / ((1−β1^t)(u + ε)).
class Adamax : public Optimizer {
 public:
  explicit Adamax(AdamaxOptions options = {});
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 &&
           (KeywordFor<K, AdamaxOptions> && ...)) explicit Adamax(const K&... keywords)
      : Adamax(with_keywords<AdamaxOptions>(keywords...)) {}

 protected:
  Slots slots() const override;
  void add_config(nlohmann::json& config) const override;
  Step begin_step(std::int64_t step, double lr) override;

 private:
  double beta_1_, beta_2_, epsilon_;
};

}  // namespace ember::optim
