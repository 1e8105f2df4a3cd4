// Learning rates: a number, a schedule of the step (Keras' ExponentialDecay,
// PiecewiseConstantDecay, CosineDecay with warmup), or any callable of the step (a one-cycle
// policy, say).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "core/keywords.h"

namespace ember::optim {

/// A learning rate as a function of the optimizer's step (its iteration count before the update).
class LearningRateSchedule {
 public:
  virtual ~LearningRateSchedule() = default;
  virtual double operator()(std::int64_t step) const = 0;
  /// Keras' class name and constructor arguments, for saving a compiled model. A user's schedule
  /// overrides both to be saved (the default get_config() says it cannot be).
  virtual std::string class_name() const { return "LearningRateSchedule"; }
  virtual nlohmann::json get_config() const;
};

struct ExponentialDecayOptions {
  double initial_learning_rate = 0.01;
  std::int64_t decay_steps = 1;
  double decay_rate = 0.96;
  bool staircase = false;
};
/// initial · decay_rate^(step / decay_steps), the exponent floored when `staircase`.
class ExponentialDecay final : public LearningRateSchedule {
 public:
  explicit ExponentialDecay(ExponentialDecayOptions options);
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 && (KeywordFor<K, ExponentialDecayOptions> &&
                                ...)) explicit ExponentialDecay(const K&... keywords)
      : ExponentialDecay(with_keywords<ExponentialDecayOptions>(keywords...)) {}
  double operator()(std::int64_t step) const override;
  std::string class_name() const override { return "ExponentialDecay"; }
  nlohmann::json get_config() const override;

 private:
  ExponentialDecayOptions o_;
};

/// values[0] while step <= boundaries[0], values[i] while boundaries[i-1] < step <= boundaries[i],
/// values.back() after the last boundary (values has one more entry than boundaries).
class PiecewiseConstantDecay final : public LearningRateSchedule {
 public:
  PiecewiseConstantDecay(std::vector<std::int64_t> boundaries, std::vector<double> values);
  double operator()(std::int64_t step) const override;
  std::string class_name() const override { return "PiecewiseConstantDecay"; }
  nlohmann::json get_config() const override;

 private:
  std::vector<std::int64_t> boundaries_;
  std::vector<double> values_;
};

struct CosineDecayOptions {
  double initial_learning_rate = 0.01;
  std::int64_t decay_steps = 1;
  /// The floor, as a fraction of the rate decayed from.
  double alpha = 0.0;
  /// With a warmup: the rate rises linearly from initial_learning_rate to warmup_target over
  /// warmup_steps, then decays from warmup_target.
  std::optional<double> warmup_target = std::nullopt;
  std::int64_t warmup_steps = 0;
};
/// Cosine decay to alpha·rate over decay_steps, after an optional linear warmup (Keras' rule).
class CosineDecay final : public LearningRateSchedule {
 public:
  explicit CosineDecay(CosineDecayOptions options);
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 &&
           (KeywordFor<K, CosineDecayOptions> && ...)) explicit CosineDecay(const K&... keywords)
      : CosineDecay(with_keywords<CosineDecayOptions>(keywords...)) {}
  double operator()(std::int64_t step) const override;
  std::string class_name() const override { return "CosineDecay"; }
  nlohmann::json get_config() const override;

 private:
  CosineDecayOptions o_;
};

/// What an optimizer's `learning_rate` option accepts: `0.01`, a schedule object, or a callable
/// `double(std::int64_t step)`.
class LearningRate {
 public:
  LearningRate(double value);  // NOLINT: implicit, `.learning_rate = 0.02`
  template <class Schedule>
  requires std::is_base_of_v<LearningRateSchedule, Schedule> LearningRate(
      Schedule schedule)  // NOLINT
      : schedule_(std::make_shared<Schedule>(std::move(schedule))) {}
  LearningRate(std::function<double(std::int64_t)> function);  // NOLINT

  /// The rate at `step`.
  double at(std::int64_t step) const;
  bool is_constant() const { return !schedule_ && !function_; }
  /// A number, or a schedule's {"class_name", "config"} (Keras' serialization). A plain callable
  /// has no config: that is an ember::Error saying so.
  nlohmann::json to_config() const;
  /// The inverse of to_config() for numbers and ember's schedules.
  static LearningRate from_config(const nlohmann::json& config);

 private:
  double value_ = 0;
  std::shared_ptr<const LearningRateSchedule> schedule_;
  std::function<double(std::int64_t)> function_;
};

}  // namespace ember::optim
