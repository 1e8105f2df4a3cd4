// Layers from their configs (Keras' from_config): built-in layers are known by their Keras class
// names; custom layers are registered explicitly (no static registrars, which a static library can
// lose):
//
//   struct MyLayer : keras::Layer { ... static keras::Handle<MyLayer> from_config(const keras::Config&); };
//   keras::register_layer<MyLayer>("MyLayer");
#pragma once

#include <functional>
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

/// {"class_name": ..., "config": ...} for a layer.
Config serialize_layer(const Layer& layer);
/// A new layer from {"class_name": ..., "config": ...}; unknown class names are an error that
/// lists the known ones and says how to register a custom layer.
LayerHandle layer_from_config(const Config& serialized);

}  // namespace ember::keras
