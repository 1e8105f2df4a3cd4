// Keras' .h5, .keras and .weights.h5 files (layers/keras_files.h), in the layouts Keras 3.x
// writes and reads (keras/src/legacy/saving/legacy_h5_format.py, keras/src/saving/saving_lib.py).
#include "layers/saving/keras_files.h"

#include <chrono>
#include <ctime>
#include <filesystem>
#include <set>
#include <unordered_set>

#include "core/error.h"
#include "core/ops.h"
#include "io/hdf5.h"
#include "io/zip.h"
#include "layers/saving/compile_config.h"

namespace ember::keras::detail {

namespace {

namespace fs = std::filesystem;

// The Keras release whose file layouts ember writes (what Keras' loaders look at).
constexpr const char* kKerasVersion = "3.0.0";
constexpr const char* kBackend = "ember";
constexpr const char* kConfigEntry = "config.json";
constexpr const char* kMetadataEntry = "metadata.json";
constexpr const char* kWeightsEntry = "model.weights.h5";
// The optimizer's variables in Keras 3's files (keras_optimizer_layout.cpp).
constexpr const char* kOptimizerVars = "optimizer/vars";

std::string join(const std::string& path, const std::string& name) {
  return path.empty() ? name : path + "/" + name;
}

/// Refuses to replace an existing file unless asked, as Model::save does for folders.
void check_overwrite(const std::string& path, bool overwrite) {
  std::error_code ec;
  if (fs::exists(path, ec) && !overwrite) {
    throw IoError(cat("save ", path, ": the file exists (pass .overwrite = true to replace it)"));
  }
  if (fs::is_directory(path, ec))
    throw IoError(cat("save ", path, ": is a folder; not replacing it with a file"));
}

/// Values for variables, checked all at once (count by the caller, shapes here) before any is
/// written, so a file that does not fit leaves the model as it was.
struct PendingAssignments {
  std::vector<Variable> variables;
  std::vector<Tensor> values;

  void add(const Variable& variable, const Tensor& value, const std::string& where) {
    if (value.shape() != variable.shape()) {
      throw ShapeError(cat(where, ": weight '", variable.path(), "' has shape ", variable.shape(),
                           " but the file's has shape ", value.shape()));
    }
    // float32 <-> float64 is a precision change; integers or bools into a float weight are not
    // weights.
    if (is_floating(value.dtype()) != is_floating(variable.dtype())) {
      throw DTypeError(cat(where, ": weight '", variable.path(), "' is ",
                           dtype_name(variable.dtype()), " but the file's is ",
                           dtype_name(value.dtype())));
    }
    variables.push_back(variable);
    values.push_back(value);
  }
  void apply() const { assign_weights(variables, values); }
};

// --- Keras 2 (legacy .h5) ------------------------------------------------------------------------

/// model_weights (or a weights file's root) in Keras 2's layout.
void write_legacy_weights(const Model& model, io::H5Group& group) {
  std::vector<std::string> layer_names;
  for (const LayerHandle& layer : model.layers()) layer_names.push_back(layer->name());
  group.attributes["layer_names"] = layer_names;
  group.attributes["backend"] = std::string(kBackend);
  group.attributes["keras_version"] = std::string(kKerasVersion);
  for (const LayerVariables& entry : legacy_layout(model)) {
    io::H5Group& layer_group = group.group(entry.path);
    // Keras names a weight by its path ("model/dense/kernel"); only uniqueness matters.
    const bool nested =
        entry.path != "top_level_model_weights" &&
        dynamic_cast<const Model*>(model.get_layer(entry.layer_name).get()) != nullptr;
    const std::string prefix = nested ? entry.layer_name : model.name();
    std::vector<std::string> weight_names;
    std::set<std::string> used;
    for (const Variable& v : entry.variables) {
      std::string name = join(prefix, v.path());
      for (int n = 1; used.count(name); ++n) name = cat(join(prefix, v.path()), "_", n);
      used.insert(name);
      weight_names.push_back(name);
      layer_group.set_dataset(name, v.value());
    }
    layer_group.attributes["weight_names"] = weight_names;
  }
}

/// One layer's values from a legacy group, in its weight_names order.
std::vector<Tensor> legacy_values(const io::H5Group& layer_group, const std::string& file,
                                  const std::string& layer) {
  std::vector<Tensor> values;
  for (const std::string& name :
       layer_group.list_attribute("weight_names", cat(file, ": layer ", layer))) {
    const Tensor* value = layer_group.find_dataset(name);
    if (!value)
      throw IoError(cat(file, ": layer ", layer, ": weight ", name, " is listed but missing"));
    values.push_back(*value);
  }
  return values;
}

/// Keras 2's rule: the layers that have weights, matched in order, then the model's own weights.
void read_legacy_weights(Model& model, const io::H5Group& group, const std::string& file) {
  std::vector<std::pair<std::string, std::vector<Tensor>>> saved;
  for (const std::string& name : group.list_attribute("layer_names", file)) {
    const io::H5Group* layer_group = group.find_group(name);
    if (!layer_group) throw IoError(cat(file, ": layer ", name, " is listed but has no group"));
    std::vector<Tensor> values = legacy_values(*layer_group, file, name);
    if (!values.empty()) saved.emplace_back(name, std::move(values));
  }
  std::vector<LayerVariables> layers = legacy_layout(model);
  const LayerVariables top = layers.back();
  layers.pop_back();
  std::erase_if(layers, [](const LayerVariables& l) { return l.variables.empty(); });
  const std::string who = cat("load_weights ", file);
  if (layers.size() != saved.size()) {
    throw Error(cat(who, ": model '", model.name(), "' has ", layers.size(),
                    " layers with weights, the file has ", saved.size()));
  }
  PendingAssignments pending;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const auto& [saved_name, values] = saved[i];
    if (values.size() != layers[i].variables.size()) {
      throw Error(cat(who, ": layer ", i, " ('", layers[i].layer_name, "' here, '", saved_name,
                      "' in the file) has ", layers[i].variables.size(), " weights, the file has ",
                      values.size()));
    }
    for (std::size_t w = 0; w < values.size(); ++w)
      pending.add(layers[i].variables[w], values[w], who);
  }
  const io::H5Group* top_group = group.find_group("top_level_model_weights");
  const std::vector<Tensor> top_values =
      top_group ? legacy_values(*top_group, file, "top_level_model_weights")
                : std::vector<Tensor>{};
  if (top_values.size() != top.variables.size()) {
    throw Error(cat(who, ": model '", model.name(), "' has ", top.variables.size(),
                    " weights of its own, the file has ", top_values.size()));
  }
  for (std::size_t w = 0; w < top_values.size(); ++w)
    pending.add(top.variables[w], top_values[w], who);
  pending.apply();
}

/// Keras 2's training_config is compile_config with the optimizer under "optimizer_config".
Config training_config(const Config& compile_config) {
  if (!compile_config.is_object()) return nullptr;
  Config training = compile_config;
  training.erase("optimizer");
  training["optimizer_config"] = compile_config.at("optimizer");
  return training;
}

/// Keras 2's metrics of one output: names, null (none), or {"class_name": "MeanMetricWrapper",
/// "config": {"name": "accuracy", "fn": ...}} for the ones given by name. The name says the
/// metric, once the output's prefix ("b_mae" for output "b") is taken off.
Config keras2_metric_list(const Config& list, const std::string& output) {
  Config out = Config::array();
  if (!list.is_array()) return out;
  for (const Config& metric : list) {
    if (metric.is_null()) continue;
    const bool wrapped =
        metric.is_object() && metric.value("class_name", std::string()) == "MeanMetricWrapper";
    if (!wrapped) {
      out.push_back(metric);
      continue;
    }
    std::string name = metric.at("config").at("name").get<std::string>();
    if (!output.empty() && name.starts_with(output + "_")) name = name.substr(output.size() + 1);
    out.push_back(name);
  }
  return out;
}

/// Keras 2 writes metrics per output: [[...], [...]]. One output: the list; several: by name.
Config keras2_metrics(const Config& metrics, const std::vector<std::string>& outputs) {
  if (!metrics.is_array() || metrics.empty() || !metrics[0].is_array()) return metrics;
  if (metrics.size() == 1) return keras2_metric_list(metrics[0], "");
  Config by_output = Config::object();
  for (std::size_t i = 0; i < metrics.size() && i < outputs.size(); ++i) {
    by_output[outputs[i]] = keras2_metric_list(metrics[i], outputs[i]);
  }
  return by_output;
}

Config compile_config_from_training(const Config& training,
                                    const std::vector<std::string>& outputs) {
  Config compile = training;
  compile.erase("optimizer_config");
  compile["optimizer"] = training.at("optimizer_config");
  // Keras 2 registered its optimizers under a package: "Custom>Adam".
  if (Config& optimizer = compile["optimizer"];
      optimizer.is_object() && optimizer.contains("class_name")) {
    const std::string name = optimizer["class_name"].get<std::string>();
    optimizer["class_name"] =
        name.substr(name.find('>') == std::string::npos ? 0 : name.find('>') + 1);
  }
  for (const char* field : {"metrics", "weighted_metrics"}) {
    if (compile.contains(field)) compile[field] = keras2_metrics(compile[field], outputs);
  }
  return compile;
}

Config parse_json(const std::string& text, const std::string& where) {
  try {
    return Config::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw IoError(cat(where, ": malformed JSON: ", e.what()));
  }
}

/// The architecture part of what Model::save assembled.
Config architecture(const Config& saved) {
  Config model_config = saved;
  model_config.erase("compile_config");
  model_config.erase("ember");
  return model_config;
}

// --- Keras 3 (.keras, .weights.h5) ---------------------------------------------------------------

/// Keras 3 keeps a list of values as datasets named 0, 1, ... in one group.
void set_numbered(io::H5Group& group, const std::vector<Tensor>& values) {
  for (std::size_t i = 0; i < values.size(); ++i)
    group.datasets.insert_or_assign(std::to_string(i), values[i]);
}

/// The group's datasets 0 .. n-1 (n: how many it holds); IoError for a gap.
std::vector<Tensor> numbered_values(const io::H5Group& group, const std::string& file,
                                    const std::string& path) {
  std::vector<Tensor> values;
  for (std::size_t i = 0; i < group.datasets.size(); ++i) {
    const auto it = group.datasets.find(std::to_string(i));
    if (it == group.datasets.end()) throw IoError(cat(file, ": ", path, "/", i, " is missing"));
    values.push_back(it->second);
  }
  return values;
}

/// Keras 3's weights, and (as Keras writes them for a compiled model) the optimizer's variables.
void write_keras3_weights(const Model& model, io::H5Group& root, bool with_optimizer) {
  root.group("layers");
  for (const LayerVariables& entry : keras3_layout(model)) {
    io::H5Group& vars = root.group(join(entry.path, "vars"));
    vars.attributes["name"] = entry.layer_name;
    std::vector<Tensor> values;
    for (const Variable& v : entry.variables) values.push_back(v.value());
    set_numbered(vars, values);
  }
  if (with_optimizer && model.compiled()) {
    io::H5Group& vars = root.group(kOptimizerVars);
    vars.attributes["name"] = model.optimizer().name();
    set_numbered(vars, keras_optimizer_variables(model.optimizer()));
  }
}

/// The optimizer's variables of a Keras 3 file, into a compiled model (as Keras' load does).
void read_keras3_optimizer(Model& model, const io::H5Group& root, const std::string& file) {
  const io::H5Group* saved = root.find_group(kOptimizerVars);
  if (!saved || !model.compiled()) return;
  restore_keras_optimizer(model.optimizer(), model.trainable_variables(),
                          numbered_values(*saved, file, kOptimizerVars), file);
}

void read_keras3_weights(Model& model, const io::H5Group& root, const std::string& file) {
  const std::string who = cat("load_weights ", file);
  PendingAssignments pending;
  for (const LayerVariables& entry : keras3_layout(model)) {
    if (entry.variables.empty()) continue;
    const std::string path = join(entry.path, "vars");
    const io::H5Group* vars = root.find_group(path);
    if (!vars) {
      throw Error(cat(who, ": no weights for layer '", entry.layer_name, "' (Keras path ", path,
                      "); the file is of another model"));
    }
    if (vars->datasets.size() != entry.variables.size()) {
      throw Error(cat(who, ": layer '", entry.layer_name, "' has ", entry.variables.size(),
                      " weights, the file has ", vars->datasets.size(), " at ", path));
    }
    const std::vector<Tensor> values = numbered_values(*vars, file, path);
    for (std::size_t i = 0; i < values.size(); ++i) pending.add(entry.variables[i], values[i], who);
  }
  pending.apply();
}

std::string date_saved() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm local{};
  localtime_r(&now, &local);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%d@%H:%M:%S", &local);
  return text;
}

/// A .keras file's config.json and model.weights.h5.
struct Archive {
  Config config;
  io::H5Group weights;
};

Archive read_archive(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw IoError(cat(path, ": no such file"));
  const std::vector<io::ZipEntry> entries = io::read_zip(path);
  const auto find = [&](const std::string& name) -> const io::ZipEntry* {
    for (const io::ZipEntry& entry : entries) {
      if (entry.name == name) return &entry;
    }
    return nullptr;
  };
  const io::ZipEntry* config_entry = find(kConfigEntry);
  if (!config_entry)
    throw IoError(cat(path, ": no ", kConfigEntry, " in the archive (not a .keras file)"));
  const io::ZipEntry* weights_entry = find(kWeightsEntry);
  if (!weights_entry) throw IoError(cat(path, ": no ", kWeightsEntry, " in the archive"));
  return {parse_json(config_entry->data, cat(path, ": ", kConfigEntry)),
          io::load_hdf5_image(weights_entry->data, cat(path, "/", kWeightsEntry))};
}

}  // namespace

void save_h5_model(const Model& model, const std::string& path, const Config& saved,
                   SaveOptions options) {
  check_overwrite(path, options.overwrite);
  io::H5Group root;
  root.attributes["keras_version"] = std::string(kKerasVersion);
  root.attributes["backend"] = std::string(kBackend);
  root.attributes["model_config"] = architecture(saved).dump();
  const Config training = training_config(saved.value("compile_config", Config()));
  if (training.is_object()) root.attributes["training_config"] = training.dump();
  write_legacy_weights(model, root.group("model_weights"));
  // Keras 3 keeps the optimizer here too (lesson 16 describes older Keras, which did not).
  if (options.include_optimizer && model.compiled()) {
    io::H5Group& group = root.group("optimizer_weights");
    std::vector<std::string> names;
    const std::vector<Tensor> values = keras_optimizer_variables(model.optimizer());
    for (std::size_t i = 0; i < values.size(); ++i) {
      names.push_back(cat(model.optimizer().name(), "/", i));
      group.set_dataset(names.back(), values[i]);
    }
    group.attributes["weight_names"] = names;
  }
  io::save_hdf5(path, root);
}

Handle<Model> load_h5_model(const std::string& path, const LoadOptions& options) {
  const io::H5Group root = io::load_hdf5(path);
  const std::string where = cat("load_model ", path);
  const Config model_config =
      parse_json(root.string_attribute("model_config", path), cat(path, ": model_config"));
  const CustomObjectScope scope(options.custom_objects);
  Handle<Model> model = model_from_serialized(model_config, where);
  if (root.attributes.count("training_config")) {
    const Config training =
        parse_json(root.string_attribute("training_config", path), cat(path, ": training_config"));
    if (training.is_object() && training.contains("optimizer_config")) {
      try {
        compile_from_config(*model, compile_config_from_training(training, model->output_names()),
                            options, where);
      } catch (const Error& e) {
        // Keras 2 files may name what ember lacks; the model is still whole for inference.
        warn(cat(e.what(), "; the model is loaded uncompiled (compile it before training)"));
      } catch (const nlohmann::json::exception& e) {
        warn(cat(where, ": training_config not understood (", e.what(),
                 "); the model is loaded uncompiled (compile it before training)"));
      }
    }
  }
  const io::H5Group* weights = root.find_group("model_weights");
  if (!weights) throw IoError(cat(path, ": no model_weights group (not a Keras model file)"));
  read_legacy_weights(*model, *weights, path);
  if (const io::H5Group* optimizer = root.find_group("optimizer_weights");
      optimizer && model->compiled()) {
    std::vector<Tensor> values = legacy_values(*optimizer, path, "optimizer_weights");
    const std::vector<std::string> names = optimizer->list_attribute("weight_names", path);
    // Keras 2 (tf_keras) lists no learning-rate variable: [iteration, slots...]. Its place is
    // kept with the rate the compile config gave.
    const bool keras2 = !names.empty() && names[0].starts_with("iteration:");
    if (keras2 && model->optimizer().constant_learning_rate() && !values.empty()) {
      values.insert(values.begin() + 1,
                    constant(static_cast<float>(model->optimizer().learning_rate())));
    }
    // tf_keras does not save Nadam's running product: its own load starts it again at 1.
    if (keras2 && model->optimizer().class_name() == "Nadam" && values.size() > 2) {
      values.push_back(constant(1.0f));
    }
    restore_keras_optimizer(model->optimizer(), model->trainable_variables(), values, path);
  }
  return model;
}

void save_keras_archive(const Model& model, const std::string& path, const Config& saved,
                        SaveOptions options) {
  check_overwrite(path, options.overwrite);
  Config config = saved;
  config.erase("ember");
  const Config metadata = {
      {"keras_version", kKerasVersion}, {"date_saved", date_saved()}, {"producer", "ember"}};
  io::H5Group weights;
  write_keras3_weights(model, weights, options.include_optimizer);
  io::write_zip(path,
                {{kMetadataEntry, metadata.dump()},
                 {kConfigEntry, config.dump()},
                 {kWeightsEntry, io::save_hdf5_image(weights, cat(path, "/", kWeightsEntry))}});
}

Handle<Model> load_keras_archive(const std::string& path, const LoadOptions& options) {
  const Archive archive = read_archive(path);
  const std::string where = cat("load_model ", path);
  const CustomObjectScope scope(options.custom_objects);
  Handle<Model> model = model_from_serialized(archive.config, where);
  compile_from_config(*model, archive.config.value("compile_config", Config()), options, where);
  read_keras3_weights(*model, archive.weights, cat(path, "/", kWeightsEntry));
  read_keras3_optimizer(*model, archive.weights, cat(path, "/", kWeightsEntry));
  return model;
}

void save_weights_hdf5(const Model& model, const std::string& path, FileFormat format) {
  io::H5Group root;
  if (format == FileFormat::keras3_weights)
    write_keras3_weights(model, root, /*with_optimizer=*/true);
  else
    write_legacy_weights(model, root);
  io::save_hdf5(path, root);
}

void load_weights_hdf5(Model& model, const std::string& path) {
  if (format_of(path, true) == FileFormat::keras_archive) {
    const Archive archive = read_archive(path);
    read_keras3_weights(model, archive.weights, cat(path, "/", kWeightsEntry));
    return read_keras3_optimizer(model, archive.weights, cat(path, "/", kWeightsEntry));
  }
  const io::H5Group root = io::load_hdf5(path);
  // Keras 2 weights list layer_names at the root; a whole Keras 2 model keeps them in
  // model_weights; Keras 3 weights have layers/ and vars/ groups.
  const bool legacy_root =
      root.attributes.count("layer_names") || root.attributes.count("layer_names0");
  if (legacy_root) return read_legacy_weights(model, root, path);
  if (const io::H5Group* weights = root.find_group("model_weights"))
    return read_legacy_weights(model, *weights, path);
  read_keras3_weights(model, root, path);
  read_keras3_optimizer(model, root, path);
}

}  // namespace ember::keras::detail
