// Whole models on disk (lesson 16): Model::save(path) writes a folder, keras::load_model(path)
// makes the model again — architecture, weights, compile() arguments and optimizer state — so
// training continues where it stopped. model.to_json() / keras::model_from_json(json) carry the
// architecture alone.
//
//   model.save("runs/mnist");
//   auto again = keras::load_model("runs/mnist");
//   auto custom = keras::load_model("runs/custom",
//                                   {.custom_objects = {{"NeuralNetwork",
//                                   keras::custom_object<NeuralNetwork>()}}});
//
// The folder holds config.json ({"class_name", "config", "build_config", "compile_config"}, in
// Keras 3's layout) and model.safetensors (weights, then the optimizer's slots). Paths ending in
// .keras or .h5 are Keras' own files instead, written and read as Keras does (keras_files.h).
#pragma once

#include <string>

#include "core/keywords.h"
#include "layers/engine/registry.h"
#include "layers/keywords.h"
#include "layers/models/model.h"

namespace ember::keras {

struct LoadOptions {
  /// Factories for the user's layers, models, losses and metrics the config names, and the loss
  /// and metric functions by name; ahead of register_object's (see registry.h).
  CustomObjects custom_objects = {};
  /// Compile the model again with the saved compile() arguments, if there are any.
  bool compile = true;
};

/// Reads a model written by Model::save, or a .keras / .h5 file written by Keras. Errors name the
/// folder or file and what is wrong: no such folder, no config.json, malformed JSON, an unknown
/// layer class, weights that do not fit.
Handle<Model> load_model(const std::string& path, LoadOptions options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 &&
         (KeywordFor<K, LoadOptions> && ...)) Handle<Model> load_model(const std::string& path,
                                                                       const K&... keywords) {
  return load_model(path, with_keywords<LoadOptions>(keywords...));
}

/// A model (new weights) from Model::to_json() — or from the JSON Keras' model.to_json() writes,
/// for the layers ember has.
Handle<Model> model_from_json(const std::string& json, const CustomObjects& custom_objects = {});

}  // namespace ember::keras

namespace ember {

// Keyword arguments (core/keywords.h) whose braced lists make these types.
inline constexpr auto _custom_objects =
    keyword<keras::CustomObjects>([](auto& o) -> auto& { return o.custom_objects; });

}  // namespace ember
