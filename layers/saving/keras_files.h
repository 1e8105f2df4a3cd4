// Keras' own model and weight files (layers/keras_files.cpp), beside ember's folder format:
//   model.h5 / .hdf5          Keras 2's single HDF5 file (model_config, training_config,
//                             model_weights by layer name); what lesson 16 calls the old format
//   model.keras               Keras 3's zip of config.json, metadata.json and model.weights.h5
//   x.weights.h5              Keras 3's weights file (save_weights), weights by layer path
//   x.h5 (save_weights)       Keras 2's weights file, weights by layer order
// Files written here load in Keras, and Keras' files of the layers ember has load here.
#pragma once

#include <string>
#include <vector>

#include "core/naming.h"
#include "layers/models/model.h"
#include "layers/saving/saving.h"

namespace ember::keras::detail {

enum class FileFormat { folder, h5_model, keras_archive, keras3_weights, h5_weights, safetensors };

/// The format a path's name asks for: ".keras", ".weights.h5", ".h5"/".hdf5" (a model or Keras 2
/// weights, as the caller says), ".safetensors", else an ember folder.
FileFormat format_of(const std::string& path, bool weights);

/// Keras' snake_case of a class name ("BatchNormalization" -> "batch_normalization",
/// "Conv2D" -> "conv2d"), which names the layer groups of Keras 3's weight files.
using ember::detail::to_snake_case;

/// A layer's place in Keras 3's weight files: `path` ("layers/dense_1") holds vars/0, vars/1, ...
struct LayerVariables {
  std::string path;
  std::string layer_name;
  std::vector<Variable> variables;
};
/// Keras 3's layout (saving_lib): the model's own variables at the root, each layer under
/// layers/<snake_case class name, numbered from the second of a class>, nested models inside.
std::vector<LayerVariables> keras3_layout(const Model& model);

/// Keras 2's layout (legacy .h5): each layer of model.layers() by name, its weights in legacy
/// order (trainable, then non-trainable); the model's own weights as "top_level_model_weights".
std::vector<LayerVariables> legacy_layout(const Model& model);

/// The model a serialized config ({"class_name", "config", "build_config"}) describes, with its
/// weights made; `where` starts error messages.
Handle<Model> model_from_serialized(const Config& serialized, const std::string& where);
/// Compiles `model` with a saved compile config (if there is one and options.compile says so);
/// errors start with `where` (saving.cpp).
void compile_from_config(Model& model, const Config& compile_config, const LoadOptions& options,
                         const std::string& where);
/// Writes checked values (same count and shapes) into the variables, on their devices and in
/// their dtypes. Every value is converted before the first variable changes, so a failure (a
/// device out of memory) leaves them all as they were (weights_io.cpp).
void assign_weights(const std::vector<Variable>& vars, const std::vector<Tensor>& values);

/// The optimizer's state as Keras 3 lists its variables (optimizer/vars/0, 1, ...): the step
/// count, the learning rate, then the slots variable by variable in the order of Keras' build().
/// Empty for an optimizer class Keras does not have.
std::vector<Tensor> keras_optimizer_variables(const optim::Optimizer& optimizer);
/// Restores such a list into `optimizer`, which is about to update `trainable` (the model's
/// trainable weights, in order). A list that does not fit is skipped with a warning, as Keras
/// does; returns whether the state was restored.
bool restore_keras_optimizer(optim::Optimizer& optimizer, const std::vector<Variable>& trainable,
                             const std::vector<Tensor>& values, const std::string& where);

void save_h5_model(const Model& model, const std::string& path, const Config& saved,
                   SaveOptions options);
Handle<Model> load_h5_model(const std::string& path, const LoadOptions& options);
void save_keras_archive(const Model& model, const std::string& path, const Config& saved,
                        SaveOptions options);
Handle<Model> load_keras_archive(const std::string& path, const LoadOptions& options);

void save_weights_hdf5(const Model& model, const std::string& path, FileFormat format);
void load_weights_hdf5(Model& model, const std::string& path);

}  // namespace ember::keras::detail
