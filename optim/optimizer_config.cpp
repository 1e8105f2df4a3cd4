// Optimizers and learning-rate schedules as JSON, in Keras' layout, so a saved model can be
// compiled again with the optimizer it was trained with (Model::save, keras::load_model).
#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "optim/optimizers.h"

namespace ember::optim {

using Json = nlohmann::json;

namespace {

Json optional_number(const std::optional<double>& value) {
  return value ? Json(*value) : Json(nullptr);
}

std::optional<double> optional_number(const Json& config, const char* key) {
  if (!config.contains(key) || config[key].is_null()) return std::nullopt;
  return config[key].get<double>();
}

template <class T>
T value_or(const Json& config, const char* key, T fallback) {
  if (!config.contains(key) || config[key].is_null()) return fallback;
  return config[key].get<T>();
}

/// Reads the arguments of every optimizer (OptimizerOptions: clipping, name).
void read_optimizer_options(const Json& config, OptimizerOptions& o) {
  o.clipnorm = optional_number(config, "clipnorm");
  o.clipvalue = optional_number(config, "clipvalue");
  o.global_clipnorm = optional_number(config, "global_clipnorm");
  o.name = value_or(config, "name", o.name);
  o.skip_nonfinite_gradients = value_or(config, "skip_nonfinite_gradients", false);
}

/// Fills the options every optimizer's options struct has (learning rate, weight decay, and
/// OptimizerOptions').
template <class Options>
Options common_options(const Json& config, Options o) {
  if (config.contains("learning_rate"))
    o.learning_rate = LearningRate::from_config(config["learning_rate"]);
  o.weight_decay = optional_number(config, "weight_decay");
  read_optimizer_options(config, o);
  return o;
}

/// beta_1, beta_2 and epsilon, which the Adam family shares.
template <class Options>
Options with_moments(const Json& config, Options o) {
  o.beta_1 = value_or(config, "beta_1", o.beta_1);
  o.beta_2 = value_or(config, "beta_2", o.beta_2);
  o.epsilon = value_or(config, "epsilon", o.epsilon);
  return o;
}

std::shared_ptr<Optimizer> make_optimizer(const std::string& class_name, const Json& c) {
  using Factory = std::function<std::shared_ptr<Optimizer>(const Json&)>;
  static const std::map<std::string, Factory> factories = {
      {"SGD",
       [](const Json& c) -> std::shared_ptr<Optimizer> {
         SGDOptions o = common_options(c, SGDOptions{});
         o.momentum = value_or(c, "momentum", o.momentum);
         o.nesterov = value_or(c, "nesterov", o.nesterov);
         return std::make_shared<SGD>(o);
       }},
      {"RMSprop",
       [](const Json& c) -> std::shared_ptr<Optimizer> {
         RMSpropOptions o = common_options(c, RMSpropOptions{});
         o.rho = value_or(c, "rho", o.rho);
         o.momentum = value_or(c, "momentum", o.momentum);
         o.epsilon = value_or(c, "epsilon", o.epsilon);
         o.centered = value_or(c, "centered", o.centered);
         return std::make_shared<RMSprop>(o);
       }},
      {"Adagrad",
       [](const Json& c) -> std::shared_ptr<Optimizer> {
         AdagradOptions o = common_options(c, AdagradOptions{});
         o.initial_accumulator_value =
             value_or(c, "initial_accumulator_value", o.initial_accumulator_value);
         o.epsilon = value_or(c, "epsilon", o.epsilon);
         return std::make_shared<Adagrad>(o);
       }},
      {"Adadelta",
       [](const Json& c) -> std::shared_ptr<Optimizer> {
         AdadeltaOptions o = common_options(c, AdadeltaOptions{});
         o.rho = value_or(c, "rho", o.rho);
         o.epsilon = value_or(c, "epsilon", o.epsilon);
         return std::make_shared<Adadelta>(o);
       }},
      {"Adam",
       [](const Json& c) -> std::shared_ptr<Optimizer> {
         AdamOptions o = with_moments(c, common_options(c, AdamOptions{}));
         o.amsgrad = value_or(c, "amsgrad", o.amsgrad);
         return std::make_shared<Adam>(o);
       }},
      {"AdamW",
       [](const Json& c) -> std::shared_ptr<Optimizer> {
         // AdamW's weight decay is not optional (Keras' default 0.004), so it is read apart.
         AdamWOptions o = with_moments(c, AdamWOptions{});
         if (c.contains("learning_rate"))
           o.learning_rate = LearningRate::from_config(c["learning_rate"]);
         o.weight_decay = value_or(c, "weight_decay", o.weight_decay);
         o.amsgrad = value_or(c, "amsgrad", o.amsgrad);
         read_optimizer_options(c, o);
         return std::make_shared<AdamW>(o);
       }},
      {"Nadam",
       [](const Json& c) -> std::shared_ptr<Optimizer> {
         return std::make_shared<Nadam>(with_moments(c, common_options(c, NadamOptions{})));
       }},
      {"Adamax",
       [](const Json& c) -> std::shared_ptr<Optimizer> {
         return std::make_shared<Adamax>(with_moments(c, common_options(c, AdamaxOptions{})));
       }},
      {"LossScaleOptimizer",
       [](const Json& c) -> std::shared_ptr<Optimizer> {
         if (!c.contains("inner_optimizer")) {
           throw Error("optim::from_config: LossScaleOptimizer's config has no inner_optimizer");
         }
         LossScaleOptimizerOptions o;
         o.initial_scale = value_or(c, "initial_scale", o.initial_scale);
         o.dynamic_growth_steps = value_or(c, "dynamic_growth_steps", o.dynamic_growth_steps);
         o.name = value_or(c, "name", o.name);
         return std::make_shared<LossScaleOptimizer>(from_config(c["inner_optimizer"]), o);
       }},
  };
  const auto it = factories.find(class_name);
  if (it == factories.end()) {
    std::string known;
    for (const auto& [k, f] : factories) known += (known.empty() ? "" : ", ") + k;
    throw Error(
        cat("optim::from_config: unknown optimizer class \"", class_name, "\"; known: ", known));
  }
  if (!c.is_object())
    throw Error(
        cat("optim::from_config: the config of ", class_name, " is not an object: ", c.dump()));
  return it->second(c);
}

}  // namespace

Json LearningRateSchedule::get_config() const {
  throw Error(cat("learning-rate schedule ", class_name(),
                  " has no get_config(), so it cannot be saved; ",
                  "override class_name() and get_config() to save it"));
}

Json ExponentialDecay::get_config() const {
  return {{"initial_learning_rate", o_.initial_learning_rate},
          {"decay_steps", o_.decay_steps},
          {"decay_rate", o_.decay_rate},
          {"staircase", o_.staircase}};
}

Json PiecewiseConstantDecay::get_config() const {
  return {{"boundaries", boundaries_}, {"values", values_}};
}

Json CosineDecay::get_config() const {
  return {{"initial_learning_rate", o_.initial_learning_rate},
          {"decay_steps", o_.decay_steps},
          {"alpha", o_.alpha},
          {"warmup_target", optional_number(o_.warmup_target)},
          {"warmup_steps", o_.warmup_steps}};
}

Json LearningRate::to_config() const {
  if (schedule_)
    return {{"class_name", schedule_->class_name()}, {"config", schedule_->get_config()}};
  if (function_) {
    throw Error(
        "the learning rate is a C++ callable, which has no config and cannot be saved; give a "
        "number or a "
        "schedule (ExponentialDecay, PiecewiseConstantDecay, CosineDecay)");
  }
  return value_;
}

LearningRate LearningRate::from_config(const Json& config) {
  if (config.is_number()) return LearningRate(config.get<double>());
  if (!config.is_object() || !config.contains("class_name")) {
    throw Error(
        cat("learning_rate: expected a number or {\"class_name\": ..., \"config\": ...}, got ",
            config.dump()));
  }
  const std::string name = config["class_name"].get<std::string>();
  const Json c = config.value("config", Json::object());
  if (name == "ExponentialDecay") {
    ExponentialDecayOptions o;
    o.initial_learning_rate = value_or(c, "initial_learning_rate", o.initial_learning_rate);
    o.decay_steps = value_or(c, "decay_steps", o.decay_steps);
    o.decay_rate = value_or(c, "decay_rate", o.decay_rate);
    o.staircase = value_or(c, "staircase", o.staircase);
    return ExponentialDecay(o);
  }
  if (name == "PiecewiseConstantDecay") {
    return PiecewiseConstantDecay(c.at("boundaries").get<std::vector<std::int64_t>>(),
                                  c.at("values").get<std::vector<double>>());
  }
  if (name == "CosineDecay") {
    CosineDecayOptions o;
    o.initial_learning_rate = value_or(c, "initial_learning_rate", o.initial_learning_rate);
    o.decay_steps = value_or(c, "decay_steps", o.decay_steps);
    o.alpha = value_or(c, "alpha", o.alpha);
    o.warmup_target = optional_number(c, "warmup_target");
    o.warmup_steps = value_or(c, "warmup_steps", o.warmup_steps);
    return CosineDecay(o);
  }
  throw Error(cat("learning_rate: unknown schedule class \"", name,
                  "\"; known: ExponentialDecay, PiecewiseConstantDecay, CosineDecay"));
}

Json Optimizer::get_config() const {
  Json config = {{"name", name_},
                 {"learning_rate", state_->learning_rate.to_config()},
                 {"weight_decay", optional_number(common_.weight_decay)},
                 {"clipnorm", optional_number(common_.clipnorm)},
                 {"global_clipnorm", optional_number(common_.global_clipnorm)},
                 {"clipvalue", optional_number(common_.clipvalue)}};
  // Keras has no such argument (and refuses unknown ones): written only when set.
  if (common_.skip_nonfinite_gradients) config["skip_nonfinite_gradients"] = true;
  add_config(config);
  return config;
}

Json serialize(const Optimizer& optimizer) {
  // "module" lets Keras find the class when it loads what ember saved.
  return {{"module", "keras.optimizers"},
          {"class_name", optimizer.class_name()},
          {"config", optimizer.get_config()},
          {"registered_name", nullptr}};
}

std::shared_ptr<Optimizer> from_config(const Json& serialized) {
  if (serialized.is_string()) return get(serialized.get<std::string>());
  if (!serialized.is_object() || !serialized.contains("class_name") ||
      !serialized["class_name"].is_string()) {
    throw Error(cat("optim::from_config: expected {\"class_name\": ..., \"config\": ...}, got ",
                    serialized.dump()));
  }
  try {
    return make_optimizer(serialized["class_name"].get<std::string>(),
                          serialized.value("config", Json::object()));
  } catch (const nlohmann::json::exception& e) {
    throw Error(cat("optim::from_config: malformed config for ",
                    serialized["class_name"].get<std::string>(), ": ", e.what()));
  }
}

}  // namespace ember::optim
