#include "optim/learning_rate.h"

#include <cmath>
#include <numbers>

#include "core/error.h"

namespace ember::optim {

ExponentialDecay::ExponentialDecay(ExponentialDecayOptions options) : o_(options) {
  if (o_.decay_steps <= 0) {
    throw Error(cat("ExponentialDecay: decay_steps must be > 0, got ", o_.decay_steps));
  }
}

double ExponentialDecay::operator()(std::int64_t step) const {
  double p = static_cast<double>(step) / static_cast<double>(o_.decay_steps);
  if (o_.staircase) p = std::floor(p);
  return o_.initial_learning_rate * std::pow(o_.decay_rate, p);
}

PiecewiseConstantDecay::PiecewiseConstantDecay(std::vector<std::int64_t> boundaries,
                                               std::vector<double> values)
    : boundaries_(std::move(boundaries)), values_(std::move(values)) {
  if (values_.size() != boundaries_.size() + 1) {
    throw Error(cat("PiecewiseConstantDecay: ", boundaries_.size(), " boundaries need ",
                    boundaries_.size() + 1, " values, got ", values_.size()));
  }
  for (std::size_t i = 1; i < boundaries_.size(); ++i) {
    if (boundaries_[i] <= boundaries_[i - 1]) {
      throw Error("PiecewiseConstantDecay: boundaries must increase");
    }
  }
}

double PiecewiseConstantDecay::operator()(std::int64_t step) const {
  for (std::size_t i = 0; i < boundaries_.size(); ++i) {
    if (step <= boundaries_[i]) return values_[i];
  }
  return values_.back();
}

CosineDecay::CosineDecay(CosineDecayOptions options) : o_(options) {
  if (o_.decay_steps <= 0) {
    throw Error(cat("CosineDecay: decay_steps must be > 0, got ", o_.decay_steps));
  }
  if (o_.warmup_target && o_.warmup_steps <= 0) {
    throw Error("CosineDecay: a warmup_target needs warmup_steps > 0");
  }
}

double CosineDecay::operator()(std::int64_t step_in) const {
  const auto decay = [&](double step, double from) {
    const double fraction = step / static_cast<double>(o_.decay_steps);
    const double cosine = 0.5 * (1.0 + std::cos(std::numbers::pi * fraction));
    return from * ((1.0 - o_.alpha) * cosine + o_.alpha);
  };
  const double step = static_cast<double>(step_in);
  if (!o_.warmup_target) {
    return decay(std::min(step, static_cast<double>(o_.decay_steps)), o_.initial_learning_rate);
  }
  const double warmup = static_cast<double>(o_.warmup_steps);
  const double clamped = std::min(step, static_cast<double>(o_.decay_steps) + warmup);
  if (clamped < warmup) {
    return (*o_.warmup_target - o_.initial_learning_rate) * (clamped / warmup) +
           o_.initial_learning_rate;
  }
  return decay(clamped - warmup, *o_.warmup_target);
}

LearningRate::LearningRate(double value) : value_(value) {
  if (!(value >= 0) || !std::isfinite(value)) {
    throw Error(cat("learning_rate must be a finite number >= 0, got ", value));
  }
}

LearningRate::LearningRate(std::function<double(std::int64_t)> function)
    : function_(std::move(function)) {
  if (!function_) throw Error("learning_rate: an empty function was given");
}

double LearningRate::at(std::int64_t step) const {
  if (schedule_) return (*schedule_)(step);
  if (function_) return function_(step);
  return value_;
}

}  // namespace ember::optim
