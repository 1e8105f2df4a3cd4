// Where each weight goes in Keras' files (layers/keras_files.h). Keras 3 names a layer's group
// after its class, not its name, and numbers repeats per container ("dense", "dense_1"); Keras 2
// names groups after layers and matches them by order.
#include <cctype>
#include <map>
#include <unordered_set>

#include "core/error.h"
#include "layers/saving/keras_files.h"

namespace ember::keras::detail {

namespace {

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

/// The model's own weights: those of no layer in model.layers().
std::vector<Variable> own_weights(const Model& model) {
  std::unordered_set<std::uint64_t> in_layers;
  for (const LayerHandle& layer : model.layers()) {
    for (const Variable& v : layer->weights()) in_layers.insert(v.id());
  }
  std::vector<Variable> own;
  for (const Variable& v : model.weights()) {
    if (!in_layers.count(v.id())) own.push_back(v);
  }
  return own;
}

void add_keras3(const Model& model, const std::string& path, std::vector<LayerVariables>& out) {
  out.push_back({path, model.name(), own_weights(model)});
  const std::string prefix = path.empty() ? "layers/" : path + "/layers/";
  std::map<std::string, int> used;
  for (const LayerHandle& layer : model.layers()) {
    std::string name = to_snake_case(layer->class_name());
    if (const auto it = used.find(name); it != used.end())
      name = cat(name, "_", ++it->second);
    else
      used[name] = 0;
    if (const auto* nested = dynamic_cast<const Model*>(layer.get())) {
      add_keras3(*nested, prefix + name, out);
    } else {
      // A layer's sublayers go with its own weights: Keras would name them by the attributes
      // that hold them, which C++ cannot see.
      out.push_back({prefix + name, layer->name(), layer->weights()});
    }
  }
}

}  // namespace

FileFormat format_of(const std::string& path, bool weights) {
  const std::string name = lower(path);
  if (ends_with(name, ".keras")) return FileFormat::keras_archive;
  if (ends_with(name, ".weights.h5")) return FileFormat::keras3_weights;
  if (ends_with(name, ".h5") || ends_with(name, ".hdf5"))
    return weights ? FileFormat::h5_weights : FileFormat::h5_model;
  if (ends_with(name, ".safetensors")) return FileFormat::safetensors;
  return weights ? FileFormat::safetensors : FileFormat::folder;
}

std::vector<LayerVariables> keras3_layout(const Model& model) {
  std::vector<LayerVariables> out;
  add_keras3(model, "", out);
  return out;
}

std::vector<LayerVariables> legacy_layout(const Model& model) {
  std::vector<LayerVariables> out;
  for (const LayerHandle& layer : model.layers()) {
    std::vector<Variable> weights = layer->trainable_weights();
    for (const Variable& v : layer->non_trainable_weights()) weights.push_back(v);
    out.push_back({layer->name(), layer->name(), std::move(weights)});
  }
  out.push_back({"top_level_model_weights", model.name(), own_weights(model)});
  return out;
}

}  // namespace ember::keras::detail
