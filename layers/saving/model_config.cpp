// Models as JSON, in Keras 3's layout: a functional model lists its layers with the calls that
// feed them ("inbound_nodes", each input named by keras_history = [layer, call, output]); a
// Sequential lists its layers. from_config replays the calls, so a model comes back with the
// same graph, names and shapes (weights are new; saving.cpp restores them).
#include <algorithm>
#include <deque>
#include <map>
#include <tuple>
#include <unordered_map>

#include "core/error.h"
#include "layers/engine/input_layer.h"
#include "layers/engine/registry.h"
#include "layers/models/model.h"
#include "layers/models/sequential.h"

namespace ember::keras {

namespace {

using TensorKey = std::tuple<std::string, int, int>;  // layer name, call, output

Config history_json(const TensorKey& key) {
  return Config::array({std::get<0>(key), std::get<1>(key), std::get<2>(key)});
}

/// [layer, call, output] from a keras_history list, a Keras 3 tensor object or a Keras 2 node
/// entry [layer, call, output, kwargs].
TensorKey tensor_key(const Config& ref) {
  const Config& history = ref.is_object() ? ref.at("config").at("keras_history") : ref;
  if (!history.is_array() || history.size() < 3 || !history[0].is_string()) {
    throw Error(cat("Model.from_config: expected a tensor reference [layer, node, index], got ",
                    ref.dump()));
  }
  const auto index = [&](const Config& v) {
    const std::int64_t i = integer_from_json(v, "Model.from_config: a tensor reference");
    if (i < 0 || i > INT32_MAX)
      throw Error(cat("Model.from_config: a tensor reference index of ", i));
    return static_cast<int>(i);
  };
  return {history[0].get<std::string>(), index(history[1]), index(history[2])};
}

/// The tensors one call of a layer reads.
std::vector<TensorKey> node_inputs(const Config& node) {
  std::vector<TensorKey> keys;
  if (node.is_object()) {  // Keras 3: {"args": [tensor] or [[tensor, ...]], "kwargs": {}}
    const Config& args = node.at("args");
    if (args.empty())
      throw Error(cat("Model.from_config: a call without arguments: ", node.dump()));
    const Config& first = args[0];
    if (first.is_array() && !first.empty() && !first[0].is_string()) {
      for (const Config& t : first) keys.push_back(tensor_key(t));
    } else {
      keys.push_back(tensor_key(first));
    }
    return keys;
  }
  for (const Config& t : node)
    keys.push_back(tensor_key(t));  // Keras 2: [[layer, node, index, {}], ...]
  return keys;
}

/// input_layers/output_layers: one reference, a list of them, or a map by name (Keras' forms).
std::vector<TensorKey> endpoint_keys(const Config& endpoints) {
  std::vector<TensorKey> keys;
  if (endpoints.is_object()) {
    for (const auto& [name, ref] : endpoints.items()) keys.push_back(tensor_key(ref));
  } else if (endpoints.is_array() && !endpoints.empty() && endpoints[0].is_string()) {
    keys.push_back(tensor_key(endpoints));
  } else {
    for (const Config& ref : endpoints) keys.push_back(tensor_key(ref));
  }
  return keys;
}

std::string key_string(const TensorKey& key) {
  return cat(std::get<0>(key), "[", std::get<1>(key), "][", std::get<2>(key), "]");
}

Handle<Model> functional_from_config(const Config& config) {
  std::vector<std::pair<std::string, LayerHandle>> created;
  std::map<std::string, std::deque<Config>> pending;
  std::map<TensorKey, KerasTensor> tensors;
  std::map<std::string, int> calls;
  for (const Config& entry : config.at("layers")) {
    const std::string name = entry.contains("name")
                                 ? entry["name"].get<std::string>()
                                 : entry.at("config").at("name").get<std::string>();
    for (const auto& [other, layer] : created) {
      if (other == name) throw Error(cat("Model.from_config: two layers are named '", name, "'"));
    }
    LayerHandle layer = layer_from_config(entry);
    created.emplace_back(name, layer);
    if (auto* input = dynamic_cast<InputLayer*>(layer.get())) {
      tensors[{name, 0, 0}] = input->tensor();
      calls[name] = 1;
    } else {
      const Config nodes = entry.value("inbound_nodes", Config::array());
      pending[name] = std::deque<Config>(nodes.begin(), nodes.end());
    }
  }
  // Replay the calls in the listed order, each as soon as its inputs exist (Keras' algorithm:
  // a shared layer's later calls may wait for layers listed after it).
  for (bool progress = true; progress;) {
    progress = false;
    for (auto& [name, layer] : created) {
      std::deque<Config>& queue = pending[name];
      while (!queue.empty()) {
        const std::vector<TensorKey> keys = node_inputs(queue.front());
        std::vector<KerasTensor> inputs;
        for (const TensorKey& key : keys) {
          const auto it = tensors.find(key);
          if (it == tensors.end()) break;
          inputs.push_back(it->second);
        }
        if (inputs.size() != keys.size()) break;
        const std::vector<KerasTensor> outputs = layer(inputs);
        const int call = calls[name]++;
        for (std::size_t i = 0; i < outputs.size(); ++i)
          tensors[{name, call, static_cast<int>(i)}] = outputs[i];
        queue.pop_front();
        progress = true;
      }
    }
  }
  // Calls left over: name the reference that cannot be met, preferring one to a layer the
  // config does not have (the cause) over those that wait on it (the consequence).
  std::string blocked;
  for (const auto& [name, queue] : pending) {
    if (queue.empty()) continue;
    for (const TensorKey& key : node_inputs(queue.front())) {
      if (tensors.count(key)) continue;
      const bool known = std::any_of(created.begin(), created.end(), [&](const auto& entry) {
        return entry.first == std::get<0>(key);
      });
      const std::string what =
          cat("Model.from_config: layer '", name, "' reads ", key_string(key), ", which ",
              known ? "its layer never makes" : "no layer of the config makes");
      if (!known) throw Error(what);
      if (blocked.empty()) blocked = what;
    }
  }
  if (!blocked.empty()) throw Error(blocked);
  auto endpoints = [&](const char* field) {
    std::vector<KerasTensor> out;
    for (const TensorKey& key : endpoint_keys(config.at(field))) {
      const auto it = tensors.find(key);
      if (it == tensors.end()) {
        throw Error(cat("Model.from_config: ", field, " names ", key_string(key),
                        ", which no layer makes"));
      }
      out.push_back(it->second);
    }
    return out;
  };
  auto model = make<Model>(endpoints("input_layers"), endpoints("output_layers"),
                           config.value("name", std::string()));
  if (!config.value("trainable", true)) model->set_trainable(false);
  return model;
}

/// Runs `what`, turning a JSON access error (a missing field, a wrong type) into an ember::Error.
template <class F>
auto reading_config(const char* who, F&& what) {
  try {
    return what();
  } catch (const nlohmann::json::exception& e) {
    throw Error(cat(who, ": malformed config: ", e.what()));
  }
}

}  // namespace

Config Model::get_config() const {
  if (!is_functional()) return Layer::get_config();
  // A layer's calls inside this model, numbered from 0 in call order; calls made in other
  // models do not count (Keras renumbers the same way).
  std::unordered_map<const Layer*, std::vector<const Node*>> calls_of;
  for (const auto& node : nodes_in_order_) calls_of[node->layer.get()].push_back(node.get());
  std::unordered_map<const Node*, int> call_number;
  for (auto& [layer, nodes] : calls_of) {
    std::sort(nodes.begin(), nodes.end(),
              [](const Node* a, const Node* b) { return a->index_in_layer < b->index_in_layer; });
    for (std::size_t i = 0; i < nodes.size(); ++i) call_number[nodes[i]] = static_cast<int>(i);
  }
  auto key = [&](const KerasTensor& t) -> TensorKey {
    return {t.node()->layer->name(), call_number.at(t.node().get()), t.index()};
  };
  auto tensor_json = [&](const KerasTensor& t) {
    return Config{{"class_name", "__keras_tensor__"},
                  {"config",
                   {{"shape", shape_to_json(t.shape())},
                    {"dtype", dtype_name(t.dtype())},
                    {"keras_history", history_json(key(t))}}}};
  };
  Config layers = Config::array();
  std::map<std::string, int> names;
  for (const LayerHandle& layer : graph_layers_) {
    if (names[layer->name()]++ > 0) {
      throw Error(cat("model '", name(), "': two layers are named '", layer->name(),
                      "'; names must be unique to save"));
    }
    Config entry = serialize_layer(*layer);
    entry["name"] = layer->name();
    Config inbound = Config::array();
    for (const Node* node : calls_of.at(layer.get())) {
      if (node->inputs.empty()) continue;  // an input layer's own node
      Config args = Config::array();
      if (node->inputs.size() == 1) {
        args.push_back(tensor_json(node->inputs[0]));
      } else {
        Config list = Config::array();
        for (const KerasTensor& t : node->inputs) list.push_back(tensor_json(t));
        args.push_back(list);
      }
      inbound.push_back({{"args", args}, {"kwargs", Config::object()}});
    }
    entry["inbound_nodes"] = inbound;
    layers.push_back(entry);
  }
  Config config = Layer::get_config();
  config["layers"] = layers;
  config["input_layers"] = Config::array();
  for (const KerasTensor& t : graph_inputs_) config["input_layers"].push_back(history_json(key(t)));
  config["output_layers"] = Config::array();
  for (const KerasTensor& t : graph_outputs_)
    config["output_layers"].push_back(history_json(key(t)));
  return config;
}

Handle<Model> Model::from_config(const Config& config) {
  return reading_config("Model.from_config", [&] {
    if (!config.contains("layers") || !config.contains("input_layers") ||
        !config.contains("output_layers")) {
      throw Error(
          cat("Model.from_config: a functional config has \"layers\", \"input_layers\" and "
              "\"output_layers\"; ",
              "got the keys of ", config.dump().substr(0, 200)));
    }
    return functional_from_config(config);
  });
}

Config Model::build_config() const {
  const std::vector<Shape>& shapes = build_input_shapes();
  if (is_functional() || shapes.empty()) return nullptr;
  Config input_shape = Config::array();
  for (const Shape& s : shapes) input_shape.push_back(shape_to_json(s));
  return {{"input_shape", shapes.size() == 1 ? input_shape[0] : input_shape}};
}

std::string Model::to_json(int indent) const {
  Config json = serialize_layer(*this);
  if (Config build = build_config(); !build.is_null()) json["build_config"] = std::move(build);
  return json.dump(indent);
}

Config Sequential::get_config() const {
  Config config = Layer::get_config();
  Config list = Config::array();
  if (input_) list.push_back(serialize_layer(*input_->node()->layer));
  for (const LayerHandle& layer : stack_) list.push_back(serialize_layer(*layer));
  config["layers"] = list;
  if (input_) config["build_input_shape"] = shape_to_json(input_->shape());
  return config;
}

Handle<Sequential> Sequential::from_config(const Config& config) {
  return reading_config("Sequential.from_config", [&] {
    auto model =
        make<Sequential>(std::vector<SequentialItem>{}, config.value("name", std::string()));
    for (const Config& entry : config.at("layers")) model->add(layer_from_config(entry));
    if (!model->input_ && config.contains("build_input_shape") &&
        !config["build_input_shape"].is_null()) {
      model->build(shape_from_json(config["build_input_shape"]));
    }
    if (!config.value("trainable", true)) model->set_trainable(false);
    return model;
  });
}

}  // namespace ember::keras
