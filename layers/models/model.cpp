#include "layers/models/model.h"

#include <algorithm>
#include <iostream>
#include <map>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "core/autodiff/gradient_tape.h"
#include "core/error.h"
#include "core/ops.h"
#include "layers/engine/input_layer.h"

namespace ember::keras {

Model::Model(LayerOptions options) : Layer(std::move(options)) {}

Model::Model(std::vector<KerasTensor> inputs, std::vector<KerasTensor> outputs, std::string name)
    : Layer({.name = name}) {
  assign_default_name("functional");
  set_graph(std::move(inputs), std::move(outputs));
}
Model::Model(const KerasTensor& input, const KerasTensor& output, std::string name)
    : Model(std::vector<KerasTensor>{input}, std::vector<KerasTensor>{output}, std::move(name)) {}
Model::Model(const KerasTensor& input, std::vector<KerasTensor> outputs, std::string name)
    : Model(std::vector<KerasTensor>{input}, std::move(outputs), std::move(name)) {}
Model::Model(std::vector<KerasTensor> inputs, const KerasTensor& output, std::string name)
    : Model(std::move(inputs), std::vector<KerasTensor>{output}, std::move(name)) {}

std::string Model::class_name() const {
  return is_functional() ? "Functional" : Layer::class_name();
}

void Model::set_graph(std::vector<KerasTensor> inputs, std::vector<KerasTensor> outputs) {
  if (inputs.empty() || outputs.empty())
    throw Error("Model: a functional model needs inputs and outputs");
  std::unordered_set<std::uint64_t> input_ids;
  for (const KerasTensor& t : inputs) {
    if (!t.defined() || !dynamic_cast<const InputLayer*>(t.node()->layer.get())) {
      throw Error("Model: every input must be a symbolic tensor made by keras::Input");
    }
    input_ids.insert(t.id());
  }
  // Depth of a node = its longest distance to an output; execution runs deepest first.
  std::unordered_map<const Node*, int> depth;
  std::vector<std::shared_ptr<const Node>> discovered;
  std::function<void(const std::shared_ptr<const Node>&, int)> visit =
      [&](const std::shared_ptr<const Node>& node, int d) {
        auto [it, inserted] = depth.emplace(node.get(), d);
        if (inserted)
          discovered.push_back(node);
        else if (it->second >= d)
          return;
        it->second = std::max(it->second, d);
        for (const KerasTensor& in : node->inputs) {
          if (!in.defined()) throw Error("Model: the graph holds an undefined symbolic tensor");
          visit(in.node(), d + 1);
        }
      };
  for (const KerasTensor& t : outputs) {
    if (!t.defined()) throw Error("Model: an output is an undefined symbolic tensor");
    visit(t.node(), 0);
  }
  for (const auto& node : discovered) {
    if (!node->inputs.empty()) continue;
    const std::uint64_t id = node->output_ids[0];
    if (!input_ids.count(id)) {
      throw Error(cat("Model: the graph is disconnected: it reads input '", node->layer->name(),
                      "', which is not among the model's inputs"));
    }
  }
  std::vector<std::shared_ptr<const Node>> ordered = discovered;
  std::stable_sort(ordered.begin(), ordered.end(), [&](const auto& a, const auto& b) {
    return depth.at(a.get()) > depth.at(b.get());
  });
  graph_inputs_ = std::move(inputs);
  graph_outputs_ = std::move(outputs);
  node_depths_.clear();
  for (const auto& node : ordered) node_depths_.push_back(depth.at(node.get()));
  nodes_in_order_ = std::move(ordered);
  graph_layers_.clear();
  std::unordered_set<const Layer*> seen;
  for (const auto& node : nodes_in_order_) {
    if (seen.insert(node->layer.get()).second) {
      graph_layers_.emplace_back(node->layer);
      track(node->layer);
    }
  }
  set_built();
}

std::vector<LayerHandle> Model::layers() const {
  if (is_functional()) return graph_layers_;
  std::vector<LayerHandle> out;
  // Members tracked by reference have no owner to share: their handles are references.
  for (Layer* layer : sublayers()) out.push_back(layer->handle());
  return out;
}

LayerHandle Model::get_layer(const std::string& name) const {
  std::string known;
  for (const LayerHandle& layer : layers()) {
    if (layer->name() == name) return layer;
    known += (known.empty() ? "" : ", ") + layer->name();
  }
  throw Error(
      cat("model '", this->name(), "' has no layer named '", name, "'; its layers: ", known));
}

std::vector<Tensor> Model::run_graph(const std::vector<Tensor>& inputs, bool training) {
  if (inputs.size() != graph_inputs_.size()) {
    throw Error(cat("model '", name(), "' expects ", graph_inputs_.size(), " input(s), got ",
                    inputs.size()));
  }
  std::unordered_map<std::uint64_t, Tensor> values;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const KerasTensor& spec = graph_inputs_[i];
    Tensor x = inputs[i];
    const Shape& expected = spec.shape();
    bool compatible = x.rank() == expected.rank();
    for (int d = any_batch_size_ ? 1 : 0; compatible && d < expected.rank(); ++d) {
      compatible = expected[d] < 0 || expected[d] == x.shape(d);
    }
    if (!compatible) {
      throw ShapeError(cat("model '", name(), "': input '", spec.node()->layer->name(),
                           "' expects shape ", shape_string(expected), " but got ", x.shape()));
    }
    if (x.dtype() != spec.dtype()) x = cast(x, spec.dtype());  // Keras converts inputs too
    values[spec.id()] = x;
  }
  for (const auto& node : nodes_in_order_) {
    if (node->inputs.empty()) continue;  // an input
    std::vector<Tensor> args;
    for (const KerasTensor& in : node->inputs) args.push_back(values.at(in.id()));
    std::vector<Tensor> results;
    if (args.size() == 1 && node->output_ids.size() == 1) {
      results.push_back((*node->layer)(args[0], training));
    } else {
      results = (*node->layer)(args, training);
    }
    if (results.size() != node->output_ids.size()) {
      throw Error(cat("layer '", node->layer->name(), "' returned ", results.size(),
                      " outputs, expected ", node->output_ids.size()));
    }
    for (std::size_t i = 0; i < results.size(); ++i) values[node->output_ids[i]] = results[i];
  }
  std::vector<Tensor> outputs;
  for (const KerasTensor& t : graph_outputs_) outputs.push_back(values.at(t.id()));
  return outputs;
}

Tensor Model::call(const Tensor& inputs, bool training) {
  if (!is_functional()) return Layer::call(inputs, training);
  const std::vector<Tensor> outputs = run_graph({inputs}, training);
  if (outputs.size() != 1) {
    throw Error(cat("model '", name(), "' has ", outputs.size(),
                    " outputs; call it with a list of inputs ",
                    "(model(std::vector<Tensor>{x})) to get all of them"));
  }
  return outputs[0];
}

std::vector<Tensor> Model::call(const std::vector<Tensor>& inputs, bool training) {
  if (!is_functional()) return Layer::call(inputs, training);
  return run_graph(inputs, training);
}

std::vector<Shape> Model::compute_output_shape(const std::vector<Shape>& input_shapes) {
  if (!is_functional()) return Layer::compute_output_shape(input_shapes);
  std::vector<Shape> out;
  for (const KerasTensor& t : graph_outputs_) out.push_back(t.shape());
  return out;
}

std::vector<DType> Model::compute_output_dtype(const std::vector<DType>& input_dtypes) {
  if (!is_functional()) return Layer::compute_output_dtype(input_dtypes);
  std::vector<DType> out;
  for (const KerasTensor& t : graph_outputs_) out.push_back(t.dtype());
  return out;
}

bool Model::sequential_like() const {
  if (!is_functional()) return true;
  // keras.src.utils.summary_utils: branching is several nodes at one depth (inputs included) or
  // a node with several inputs; sharing is a layer with more than one node in the graph.
  std::map<int, int> nodes_at_depth;
  std::unordered_set<const Layer*> seen;
  for (std::size_t i = 0; i < nodes_in_order_.size(); ++i) {
    const auto& node = nodes_in_order_[i];
    if (++nodes_at_depth[node_depths_[i]] > 1 || node->inputs.size() > 1) return false;
    if (!seen.insert(node->layer.get()).second) return false;
  }
  return true;
}

}  // namespace ember::keras
