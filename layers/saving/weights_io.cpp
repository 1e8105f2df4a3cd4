// Weights as values (any layer's get_weights/set_weights) and as files (a model's
// save_weights/load_weights: safetensors, see io/safetensors.h). Weights are matched by position
// in weights() order, as Keras does for its weight files, and checked by shape.
#include <map>

#include "core/autodiff/gradient_tape.h"
#include "core/error.h"
#include "core/ops.h"
#include "io/safetensors.h"
#include "layers/models/model.h"
#include "layers/saving/keras_files.h"
#include "layers/trainers/compiled_state.h"

namespace ember::keras {

namespace {
constexpr const char* kOptimizerPrefix = "optimizer/";

/// Count and shapes of `values` against the model's weights; `who` starts the message and
/// `source` names where the values come from ("the value", "the file's").
void check_weight_values(const std::vector<Variable>& vars, const std::vector<Tensor>& values,
                         const std::string& who, const std::string& model, const char* source) {
  if (values.size() != vars.size()) {
    throw Error(cat(who, ": '", model, "' has ", vars.size(), " weights but ", source, " list has ",
                    values.size()));
  }
  for (std::size_t i = 0; i < vars.size(); ++i) {
    if (values[i].shape() != vars[i].shape()) {
      throw ShapeError(cat(who, ": weight ", i, " ('", vars[i].path(), "') has shape ",
                           vars[i].shape(), " but ", source, " has shape ", values[i].shape()));
    }
  }
}

/// The optimizer's slot keys ("<entry>:<variable path>/<slot>") with the saved model's variable
/// paths replaced by this model's, matched by position as the weights are: layer names differ
/// between a saved model and a rebuilt one (another process, or dense_1 for dense), and keys
/// left with the old names would never find their variable.
optim::OptimizerState renamed_slots(const optim::OptimizerState& state,
                                    const std::vector<std::string>& saved_paths,
                                    const std::vector<Variable>& vars) {
  std::map<std::string, std::string> current;
  for (std::size_t i = 0; i < saved_paths.size() && i < vars.size(); ++i)
    current.emplace(saved_paths[i], vars[i].path());
  optim::OptimizerState renamed;
  for (const auto& [key, value] : state) {
    const std::size_t colon = key.find(':'), slash = key.rfind('/');
    if (colon == std::string::npos || slash == std::string::npos || slash < colon) {
      renamed.emplace(key, value);  // "iterations", a learning rate...
      continue;
    }
    const auto found = current.find(key.substr(colon + 1, slash - colon - 1));
    renamed.emplace(found == current.end()
                        ? key
                        : cat(key.substr(0, colon + 1), found->second, key.substr(slash)),
                    value);
  }
  return renamed;
}
}  // namespace

void detail::assign_weights(const std::vector<Variable>& vars, const std::vector<Tensor>& values) {
  const autodiff::PauseAll untaped;
  std::vector<Tensor> converted;
  converted.reserve(values.size());
  for (std::size_t i = 0; i < vars.size(); ++i) {
    Tensor value = values[i].to(vars[i].device());
    converted.push_back(value.dtype() == vars[i].dtype() ? value : cast(value, vars[i].dtype()));
  }
  for (std::size_t i = 0; i < vars.size(); ++i) {
    Variable v = vars[i];
    v.assign(converted[i]);
  }
}

std::vector<Tensor> Layer::get_weights() const {
  // The values are immutable tensors: optimizer updates copy a value someone still holds before
  // writing (copy-on-write), so these stay as they are now.
  std::vector<Tensor> out;
  for (const Variable& v : weights()) out.push_back(v.value());
  return out;
}

void Layer::set_weights(const std::vector<Tensor>& values) {
  const std::vector<Variable> vars = weights();
  check_weight_values(vars, values, "set_weights", name(), "the value");
  detail::assign_weights(vars, values);
}

void Model::save_weights(const std::string& path, bool include_optimizer) const {
  switch (const detail::FileFormat format = detail::format_of(path, true)) {
    case detail::FileFormat::keras3_weights:  // the optimizer's variables too, as Keras writes them
      return detail::save_weights_hdf5(*this, path, format);
    case detail::FileFormat::h5_weights:
      if (include_optimizer)
        warn(cat("save_weights ", path, ": Keras 2 weight files hold no optimizer state"));
      return detail::save_weights_hdf5(*this, path, format);
    case detail::FileFormat::keras_archive:
      throw Error(cat("save_weights ", path,
                      ": a .keras file is a whole model; use save(), or name the weights ",
                      "file .weights.h5"));
    default:
      break;
  }
  io::NamedTensors tensors;
  const std::vector<Variable> vars = weights();
  for (std::size_t i = 0; i < vars.size(); ++i) {
    // The position keeps names unique when two weights share a name.
    tensors.emplace_back(cat(i, ":", vars[i].path()), vars[i].value());
  }
  std::map<std::string, std::string> metadata{
      {"format", "ember.weights"}, {"model", name()}, {"weights", std::to_string(vars.size())}};
  if (include_optimizer && compiled_) {
    for (const auto& [key, value] : compiled_->optimizer().get_state())
      tensors.emplace_back(kOptimizerPrefix + key, value);
    metadata["optimizer"] = compiled_->optimizer().name();
  }
  io::save_safetensors(path, tensors, metadata);
}

void Model::load_weights(const std::string& path) {
  if (detail::format_of(path, true) != detail::FileFormat::safetensors) {
    if (weights().empty()) {
      throw Error(cat("load_weights ", path, ": model '", name(),
                      "' has no weights yet; build it first (call it ",
                      "once on data, or give its layers an input shape)"));
    }
    return detail::load_weights_hdf5(*this, path);
  }
  const io::SafetensorsFile file = io::load_safetensors(path);
  std::vector<Tensor> values;
  std::vector<std::string> saved_paths;
  optim::OptimizerState optimizer_state;
  for (const auto& [key, value] : file.tensors) {
    if (key.starts_with(kOptimizerPrefix)) {
      optimizer_state[key.substr(std::string(kOptimizerPrefix).size())] = value;
    } else {
      values.push_back(value);
      const std::size_t colon = key.find(':');  // "<position>:<path>"
      saved_paths.push_back(colon == std::string::npos ? key : key.substr(colon + 1));
    }
  }
  const std::vector<Variable> vars = weights();
  if (vars.empty() && !values.empty()) {
    throw Error(cat("load_weights ", path, ": model '", name(),
                    "' has no weights yet; build it first (call it once ",
                    "on data, or give its layers an input shape)"));
  }
  check_weight_values(vars, values, cat("load_weights ", path), name(), "the file's");
  detail::assign_weights(vars, values);
  if (!optimizer_state.empty() && compiled_) {
    for (auto& [key, value] : optimizer_state) value = value.to(data_device());
    compiled_->optimizer().set_state(renamed_slots(optimizer_state, saved_paths, vars));
  }
}

}  // namespace ember::keras
