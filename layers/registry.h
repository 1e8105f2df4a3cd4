// Layers from their configs (Keras' from_config): built-in layers are known by their Keras class
// names; custom layers are registered explicitly (no static registrars, which a static library can
// lose):
//
//   struct MyLayer : keras::Layer { ... static keras::Handle<MyLayer> from_config(const keras::Config&); };
//   keras::register_layer<MyLayer>("MyLayer");
#pragma once

#include <functional>
#include <map>
#include <string>

#include "layers/layer.h"

namespace ember::keras {

using LayerFactory = std::function<LayerHandle(const Config& config)>;

/// Makes `class_name` known to layer_from_config (replacing an earlier registration).
void register_layer(const std::string& class_name, LayerFactory factory);
template <class T>
void register_layer(const std::string& class_name) {
  register_layer(class_name, [](const Config& config) { return LayerHandle(T::from_config(config)); });
}

/// Factories by class name, as load_model's custom_objects.
using CustomObjects = std::map<std::string, LayerFactory>;

/// Makes `objects` known to layer_from_config on this thread while the scope lives, ahead of the
/// registered classes (Keras' custom_object_scope; load_model opens one for its custom_objects).
class CustomObjectScope {
 public:
  explicit CustomObjectScope(CustomObjects objects);
  ~CustomObjectScope();
  CustomObjectScope(const CustomObjectScope&) = delete;
  CustomObjectScope& operator=(const CustomObjectScope&) = delete;

 private:
  CustomObjects objects_;
};

/// {"class_name": ..., "config": ...} for a layer.
Config serialize_layer(const Layer& layer);
/// A new layer (or model) from {"class_name": ..., "config": ...}; unknown class names are an
/// error that lists the known ones and says how to register a custom layer.
LayerHandle layer_from_config(const Config& serialized);

}  // namespace ember::keras
