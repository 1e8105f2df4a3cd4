#include "layers/engine/registry.h"

#include <map>
#include <mutex>
#include <vector>

#include "core/error.h"
#include "layers/convolutional/conv_layers.h"
#include "layers/core/core_layers.h"
#include "layers/core/embedding_normalization.h"
#include "layers/engine/input_layer.h"
#include "layers/merging/merge_layers.h"
#include "layers/models/sequential.h"
#include "layers/normalization/normalization_layers.h"
#include "layers/pooling/pooling_layers.h"
#include "layers/reshaping/reshaping_layers.h"

namespace ember::keras {
namespace {

std::map<std::string, LayerFactory> builtin_layers() {
  using namespace ember::layers;
  return {
      {"Activation",
       [](const Config& c) -> LayerHandle {
         return Activation(c.value("activation", std::string("linear")), options_from_config(c));
       }},
      {"Dense", [](const Config& c) -> LayerHandle { return DenseLayer::from_config(c); }},
      {"Dropout",
       [](const Config& c) -> LayerHandle {
         DropoutOptions o{.name = c.value("name", std::string())};
         if (c.contains("seed") && !c["seed"].is_null()) o.seed = c["seed"].get<std::uint64_t>();
         return Dropout(c.at("rate").get<double>(), o);
       }},
      {"Embedding",
       [](const Config& c) -> LayerHandle {
         const LayerOptions common = options_from_config(c);
         return Embedding(size_from_json(c.at("input_dim"), "Embedding: input_dim"),
                          size_from_json(c.at("output_dim"), "Embedding: output_dim"),
                          {.name = common.name, .trainable = common.trainable});
       }},
      {"Flatten", [](const Config& c) -> LayerHandle { return Flatten(options_from_config(c)); }},
      {"InputLayer",
       [](const Config& c) -> LayerHandle {
         // Keras 2 called it batch_input_shape.
         const Shape batch_shape = shape_from_json(
             c.contains("batch_shape") ? c["batch_shape"] : c.at("batch_input_shape"));
         const std::vector<std::int64_t> dims(batch_shape.dims().begin() + 1,
                                              batch_shape.dims().end());
         InputOptions o{.name = c.value("name", std::string())};
         if (c.contains("dtype")) o.dtype = dtype_from_json(c["dtype"]);
         if (batch_shape[0] >= 0) o.batch_size = batch_shape[0];
         return make<InputLayer>(Shape(dims), o);
       }},
      {"LayerNormalization",
       [](const Config& c) -> LayerHandle {
         const LayerOptions common = options_from_config(c);
         const std::int64_t axis =
             single_axis_from_json(c, -1, cat("LayerNormalization '", common.name, "'"));
         return LayerNormalization({.axis = axis,
                                    .epsilon = c.value("epsilon", 1e-3),
                                    .center = c.value("center", true),
                                    .scale = c.value("scale", true),
                                    .name = common.name,
                                    .trainable = common.trainable});
       }},
      {"Functional", [](const Config& c) -> LayerHandle { return Model::from_config(c); }},
      {"Model", [](const Config& c) -> LayerHandle { return Model::from_config(c); }},
      {"Sequential", [](const Config& c) -> LayerHandle { return Sequential::from_config(c); }},
      {"Reshape",
       [](const Config& c) -> LayerHandle {
         return Reshape(shape_from_json(c.at("target_shape")), options_from_config(c));
       }},
      // Convolution, pooling, normalization, reshaping and merge layers (issue "Convolutions").
      {"Add", [](const Config& c) -> LayerHandle { return Add(options_from_config(c)); }},
      {"Average", [](const Config& c) -> LayerHandle { return Average(options_from_config(c)); }},
      {"AveragePooling2D",
       [](const Config& c) -> LayerHandle {
         return Pooling2DLayer::from_config(PoolMode::average, c);
       }},
      {"BatchNormalization",
       [](const Config& c) -> LayerHandle { return BatchNormalizationLayer::from_config(c); }},
      {"Concatenate",
       [](const Config& c) -> LayerHandle {
         return Concatenate(c.value("axis", std::int64_t{-1}), options_from_config(c));
       }},
      {"Conv2D", [](const Config& c) -> LayerHandle { return Conv2DLayer::from_config(c); }},
      {"Conv2DTranspose",
       [](const Config& c) -> LayerHandle { return Conv2DTransposeLayer::from_config(c); }},
      {"DepthwiseConv2D",
       [](const Config& c) -> LayerHandle { return DepthwiseConv2DLayer::from_config(c); }},
      {"GlobalAveragePooling2D",
       [](const Config& c) -> LayerHandle {
         return GlobalAveragePooling2D(
             {.keepdims = c.value("keepdims", false), .name = c.value("name", std::string())});
       }},
      {"GlobalMaxPooling2D",
       [](const Config& c) -> LayerHandle {
         return GlobalMaxPooling2D(
             {.keepdims = c.value("keepdims", false), .name = c.value("name", std::string())});
       }},
      {"MaxPooling2D",
       [](const Config& c) -> LayerHandle {
         return Pooling2DLayer::from_config(PoolMode::max, c);
       }},
      {"Maximum", [](const Config& c) -> LayerHandle { return Maximum(options_from_config(c)); }},
      {"Multiply", [](const Config& c) -> LayerHandle { return Multiply(options_from_config(c)); }},
      {"SeparableConv2D",
       [](const Config& c) -> LayerHandle { return SeparableConv2DLayer::from_config(c); }},
      {"Subtract", [](const Config& c) -> LayerHandle { return Subtract(options_from_config(c)); }},
      {"UpSampling2D",
       [](const Config& c) -> LayerHandle { return UpSampling2DLayer::from_config(c); }},
      {"ZeroPadding2D",
       [](const Config& c) -> LayerHandle { return ZeroPadding2DLayer::from_config(c); }},
  };
}

struct Registry {
  std::mutex mutex;
  std::map<std::string, LayerFactory> builtins = builtin_layers();
  std::map<std::string, CustomObject> registered;
};

Registry& registry() {
  static Registry r;
  return r;
}

/// The custom-object scopes open on this thread, innermost last.
std::vector<const CustomObjects*>& scopes() {
  thread_local std::vector<const CustomObjects*> open;
  return open;
}

const char* kind_name(CustomObject::Kind kind) {
  switch (kind) {
    case CustomObject::Kind::layer:
      return "a layer or model";
    case CustomObject::Kind::loss:
      return "a loss";
    case CustomObject::Kind::metric:
      return "a metric";
    case CustomObject::Kind::function:
      return "a function";
  }
  return "?";
}

}  // namespace

CustomObjectScope::CustomObjectScope(CustomObjects objects) : objects_(std::move(objects)) {
  for (const auto& [name, object] : objects_) {
    if (object.empty())
      throw Error(cat("CustomObjectScope: empty factory or function for \"", name, "\""));
  }
  scopes().push_back(&objects_);
}

CustomObjectScope::~CustomObjectScope() { scopes().pop_back(); }

void register_object(const std::string& name, CustomObject object) {
  if (object.empty())
    throw Error(cat("register_object: empty factory or function for \"", name, "\""));
  std::lock_guard<std::mutex> lock(registry().mutex);
  registry().registered.insert_or_assign(name, std::move(object));
}

void register_layer(const std::string& class_name, LayerFactory factory) {
  if (!factory) throw Error(cat("register_layer: empty factory for \"", class_name, "\""));
  register_object(class_name, CustomObject(std::move(factory)));
}

std::optional<CustomObject> find_custom_object(const std::string& name, CustomObject::Kind wanted,
                                               const std::string& who) {
  std::optional<CustomObject> found;
  for (auto scope = scopes().rbegin(); scope != scopes().rend() && !found; ++scope) {
    if (const auto it = (*scope)->find(name); it != (*scope)->end()) found = it->second;
  }
  if (!found) {
    std::lock_guard<std::mutex> lock(registry().mutex);
    if (const auto it = registry().registered.find(name); it != registry().registered.end())
      found = it->second;
  }
  if (found && found->kind() != wanted) {
    throw Error(cat(who, ": the custom object \"", name, "\" is ", kind_name(found->kind()),
                    ", the config needs ", kind_name(wanted)));
  }
  return found;
}

Config serialize_layer(const Layer& layer) {
  const std::string class_name = layer.class_name();
  Config serialized = {{"class_name", class_name}, {"config", layer.get_config()}};
  // Keras finds its own classes by module; with it, Keras loads what ember saves.
  bool builtin = false;
  {
    std::lock_guard<std::mutex> lock(registry().mutex);
    builtin = registry().builtins.count(class_name) && !registry().registered.count(class_name);
  }
  if (builtin && class_name != "Model") {
    serialized["module"] = class_name == "Functional"   ? "keras.src.models.functional"
                           : class_name == "Sequential" ? "keras"
                                                        : "keras.layers";
    serialized["registered_name"] = nullptr;
  }
  return serialized;
}

namespace {

// The dtype policy a layer's config names (as Keras' Layer.from_config passes dtype= to the
// constructor): a file made under a mixed policy names it in every layer. An InputLayer's dtype is
// a plain dtype, read by its factory.
LayerHandle with_policy_of(const Config& config, LayerHandle layer) {
  if (layer && !layer->built() && config.contains("dtype") && !config["dtype"].is_null()) {
    layer->set_dtype_policy(DTypePolicy::from_config(config["dtype"]));
  }
  return layer;
}

}  // namespace

LayerHandle layer_from_config(const Config& serialized) {
  if (!serialized.is_object() || !serialized.contains("class_name")) {
    throw Error(cat("layer_from_config: expected {\"class_name\": ..., \"config\": ...}, got ",
                    serialized.dump()));
  }
  const std::string name = serialized["class_name"].get<std::string>();
  const Config config = serialized.value("config", Config::object());
  if (const auto custom =
          find_custom_object(name, CustomObject::Kind::layer, "layer_from_config")) {
    return with_policy_of(config, custom->layer()(config));
  }
  LayerFactory factory;
  {
    std::lock_guard<std::mutex> lock(registry().mutex);
    const auto it = registry().builtins.find(name);
    if (it == registry().builtins.end()) {
      std::string known;
      for (const auto& [k, f] : registry().builtins) known += (known.empty() ? "" : ", ") + k;
      throw Error(cat("layer_from_config: unknown layer class \"", name, "\"; known: ", known,
                      ". Register custom layers and models with keras::register_layer<T>(\"", name,
                      "\") or pass them in load_model's custom_objects"));
    }
    factory = it->second;
  }
  try {
    return name == "InputLayer" ? factory(config) : with_policy_of(config, factory(config));
  } catch (const nlohmann::json::exception& e) {
    // Name the layer: a model's config holds many.
    throw Error(cat("layer_from_config: malformed config of ", name, " '",
                    config.value("name", std::string("?")), "': ", e.what()));
  }
}

}  // namespace ember::keras
