#include "layers/saving/compile_config.h"

#include <functional>
#include <optional>
#include <typeinfo>

#include "core/error.h"
#include "layers/engine/registry.h"

namespace ember::keras::detail {

namespace {

Config serialized(const std::string& class_name, Config config) {
  return {{"class_name", class_name}, {"config", std::move(config)}};
}

// --- losses
// ---------------------------------------------------------------------------------------

Config loss_json(const losses::LossRef& ref) {
  if (!ref) return nullptr;
  if (!ref.given_name().empty()) return ref.given_name();
  const losses::Loss& loss = *ref.object();
  // A function is saved by its name (Keras: {"class_name": "function", "config": name}); a class,
  // ember's or the user's, by its class name and get_config().
  if (dynamic_cast<const losses::LossFunctionWrapper*>(&loss))
    return serialized("function", loss.name());
  return serialized(loss.class_name(), loss.get_config());
}

[[noreturn]] void unknown_custom(const std::string& what, const std::string& name,
                                 const std::string& how) {
  throw Error(cat(
      "compile config: unknown ", what, " \"", name, "\": pass it in load_model's custom_objects (",
      how, ") or register it once with keras::register_object, or load with .compile = false"));
}

/// The loss or metric function a {"class_name": "function", "config": name} entry names.
ObjectFunction saved_function(const std::string& name, const char* what) {
  const auto function = find_custom_object(name, CustomObject::Kind::function, "compile config");
  if (!function) unknown_custom(what, name, cat("{\"", name, "\", ", name, "}"));
  return function->function();
}

losses::LossRef builtin_loss_from_json(const std::string& class_name, const Config& c);

losses::LossRef loss_from_json(const Config& json) {
  if (json.is_null()) return {};
  if (json.is_string()) return json.get<std::string>();
  const std::string class_name = json.at("class_name").get<std::string>();
  if (class_name == "function") {
    const std::string name = json.at("config").get<std::string>();
    return losses::LossRef(losses::LossFunction(saved_function(name, "loss function")), name);
  }
  const Config c = json.value("config", Config::object());
  if (const auto factory =
          find_custom_object(class_name, CustomObject::Kind::loss, "compile config")) {
    return factory->loss()(c);
  }
  return builtin_loss_from_json(class_name, c);
}

losses::LossRef builtin_loss_from_json(const std::string& class_name, const Config& c) {
  const std::string name = c.value("name", std::string());
  const std::string reduction = c.value("reduction", std::string("sum_over_batch_size"));
  const losses::LossOptions plain{.name = name, .reduction = reduction};
  if (class_name == "MeanSquaredError") return losses::MeanSquaredError(plain);
  if (class_name == "MeanAbsoluteError") return losses::MeanAbsoluteError(plain);
  if (class_name == "KLDivergence") return losses::KLDivergence(plain);
  if (class_name == "CategoricalCrossentropy" || class_name == "BinaryCrossentropy") {
    const losses::CrossentropyOptions o{.from_logits = c.value("from_logits", false),
                                        .label_smoothing = c.value("label_smoothing", 0.0),
                                        .axis = c.value("axis", std::int64_t{-1}),
                                        .name = name,
                                        .reduction = reduction};
    if (class_name == "BinaryCrossentropy") return losses::BinaryCrossentropy(o);
    return losses::CategoricalCrossentropy(o);
  }
  if (class_name == "SparseCategoricalCrossentropy") {
    return losses::SparseCategoricalCrossentropy({.from_logits = c.value("from_logits", false),
                                                  .axis = c.value("axis", std::int64_t{-1}),
                                                  .name = name,
                                                  .reduction = reduction});
  }
  if (class_name == "Huber")
    return losses::Huber({.delta = c.value("delta", 1.0), .name = name, .reduction = reduction});
  unknown_custom("loss class", class_name,
                 cat("{\"", class_name, "\", keras::custom_object<", class_name, ">()}"));
}

Config loss_spec_json(const LossSpec& spec) {
  switch (spec.kind()) {
    case LossSpec::Kind::single:
      return loss_json(spec.single());
    case LossSpec::Kind::list: {
      Config list = Config::array();
      for (const losses::LossRef& ref : spec.list()) list.push_back(loss_json(ref));
      return list;
    }
    case LossSpec::Kind::named: {
      Config map = Config::object();
      for (const auto& [output, ref] : spec.named()) map[output] = loss_json(ref);
      return {{"by_output", map}};
    }
  }
  return nullptr;
}

LossSpec loss_spec_from_json(const Config& json) {
  if (json.is_array()) {
    std::vector<losses::LossRef> list;
    for (const Config& entry : json) list.push_back(loss_from_json(entry));
    return list;
  }
  if (json.is_object() && json.contains("by_output")) {
    std::map<std::string, losses::LossRef> named;
    for (const auto& [output, entry] : json["by_output"].items())
      named[output] = loss_from_json(entry);
    return named;
  }
  if (json.is_null()) return {};
  return loss_from_json(json);
}

// --- metrics
// --------------------------------------------------------------------------------------

Config metric_json(const metrics::MetricRef& ref) {
  if (!ref.given_name().empty()) return ref.given_name();
  const metrics::Metric& m = *ref.object();
  if (typeid(m) == typeid(metrics::MeanMetricWrapper)) return serialized("function", m.name());
  return serialized(m.class_name(), m.get_config());
}

metrics::MetricRef builtin_metric_from_json(const std::string& class_name, const Config& c);

metrics::MetricRef metric_from_json(const Config& json) {
  if (json.is_string()) return json.get<std::string>();
  const std::string class_name = json.at("class_name").get<std::string>();
  if (class_name == "function") {
    const std::string name = json.at("config").get<std::string>();
    return metrics::MetricRef(metrics::MetricFunction(saved_function(name, "metric function")),
                              name);
  }
  const Config c = json.value("config", Config::object());
  if (const auto factory =
          find_custom_object(class_name, CustomObject::Kind::metric, "compile config")) {
    return factory->metric()(c);
  }
  return builtin_metric_from_json(class_name, c);
}

metrics::MetricRef builtin_metric_from_json(const std::string& class_name, const Config& c) {
  using namespace ember::metrics;
  const std::string name = c.value("name", std::string());
  if (class_name == "Accuracy") return Accuracy(name);
  if (class_name == "BinaryAccuracy")
    return BinaryAccuracy({.name = name, .threshold = c.value("threshold", 0.5)});
  if (class_name == "CategoricalAccuracy") return CategoricalAccuracy(name);
  if (class_name == "SparseCategoricalAccuracy") return SparseCategoricalAccuracy(name);
  if (class_name == "TopKCategoricalAccuracy")
    return TopKCategoricalAccuracy({.k = c.value("k", std::int64_t{5}), .name = name});
  if (class_name == "SparseTopKCategoricalAccuracy") {
    return SparseTopKCategoricalAccuracy({.k = c.value("k", std::int64_t{5}), .name = name});
  }
  if (class_name == "MeanSquaredError") return metrics::MeanSquaredError(name);
  if (class_name == "MeanAbsoluteError") return metrics::MeanAbsoluteError(name);
  if (class_name == "RootMeanSquaredError") return RootMeanSquaredError(name);
  if (class_name == "Precision" || class_name == "Recall") {
    PrecisionRecallOptions o{.name = name};
    if (c.contains("thresholds") && !c["thresholds"].is_null()) {
      o.thresholds = c["thresholds"].is_array()
                         ? c["thresholds"].get<std::vector<double>>()
                         : std::vector<double>{c["thresholds"].get<double>()};
    }
    if (c.contains("top_k") && !c["top_k"].is_null())
      o.top_k = integer_from_json(c["top_k"], "metric top_k");
    if (c.contains("class_id") && !c["class_id"].is_null())
      o.class_id = integer_from_json(c["class_id"], "metric class_id");
    if (class_name == "Recall") return Recall(o);
    return Precision(o);
  }
  if (class_name == "AUC") {
    return AUC({.num_thresholds = c.value("num_thresholds", std::int64_t{200}),
                .curve = c.value("curve", std::string("ROC")),
                .summation_method = c.value("summation_method", std::string("interpolation")),
                .name = name.empty() ? "auc" : name,
                .from_logits = c.value("from_logits", false)});
  }
  unknown_custom("metric class", class_name,
                 cat("{\"", class_name, "\", keras::custom_object<", class_name, ">()}"));
}

Config metric_list_json(const std::vector<metrics::MetricRef>& list) {
  Config out = Config::array();
  for (const metrics::MetricRef& ref : list) out.push_back(metric_json(ref));
  return out;
}

std::vector<metrics::MetricRef> metric_list_from_json(const Config& json) {
  std::vector<metrics::MetricRef> out;
  for (const Config& entry : json) out.push_back(metric_from_json(entry));
  return out;
}

Config metrics_spec_json(const MetricsSpec& spec) {
  if (!spec.by_name()) return metric_list_json(spec.list());
  Config map = Config::object();
  for (const auto& [output, list] : spec.named()) map[output] = metric_list_json(list);
  return map;
}

MetricsSpec metrics_spec_from_json(const Config& json) {
  if (json.is_null()) return {};
  if (json.is_array()) return metric_list_from_json(json);
  std::map<std::string, std::vector<metrics::MetricRef>> named;
  for (const auto& [output, list] : json.items()) named[output] = metric_list_from_json(list);
  return named;
}

}  // namespace

Config compile_config(const CompileOptions& options, const optim::Optimizer& optimizer) {
  Config config = {{"optimizer", optim::serialize(optimizer)},
                   {"loss", loss_spec_json(options.loss)},
                   {"metrics", metrics_spec_json(options.metrics)},
                   {"weighted_metrics", metrics_spec_json(options.weighted_metrics)}};
  if (!options.loss_weights.named().empty())
    config["loss_weights"] = options.loss_weights.named();
  else if (!options.loss_weights.list().empty())
    config["loss_weights"] = options.loss_weights.list();
  else
    config["loss_weights"] = nullptr;
  // As Keras 3 writes them: jit_compile resolved (Model::compile did), never "auto".
  config["run_eagerly"] = options.run_eagerly;
  config["steps_per_execution"] = options.steps_per_execution;
  config["jit_compile"] = !options.jit_compile.is_auto() && options.jit_compile.on();
  return config;
}

CompileOptions compile_options_from_config(const Config& config) {
  try {
    CompileOptions options;
    // Keras 3.15 leaves the optimizer out of a .keras file's compile_config when compile() was
    // given an optimizer object; loading then compiles with compile()'s default, as here.
    if (config.contains("optimizer"))
      options.optimizer = OptimizerRef(optim::from_config(config["optimizer"]));
    options.loss = loss_spec_from_json(config.value("loss", Config()));
    const Config weights = config.value("loss_weights", Config());
    if (weights.is_array()) options.loss_weights = weights.get<std::vector<double>>();
    if (weights.is_object()) options.loss_weights = weights.get<std::map<std::string, double>>();
    options.metrics = metrics_spec_from_json(config.value("metrics", Config()));
    options.weighted_metrics = metrics_spec_from_json(config.value("weighted_metrics", Config()));
    // Keras 2's training_config and older files have none of these: Keras' defaults.
    options.run_eagerly = config.value("run_eagerly", false);
    options.steps_per_execution = config.value("steps_per_execution", std::int64_t{1});
    const Config jit = config.value("jit_compile", Config("auto"));
    options.jit_compile =
        jit.is_string() ? JitCompile(jit.get<std::string>()) : JitCompile(jit.get<bool>());
    return options;
  } catch (const nlohmann::json::exception& e) {
    throw Error(cat("compile config: malformed: ", e.what(), " in ", config.dump().substr(0, 300)));
  }
}

}  // namespace ember::keras::detail
