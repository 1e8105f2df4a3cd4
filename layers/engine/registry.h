// Objects from their configs (Keras' from_config and custom_objects): built-in layers, losses and
// metrics are known by their Keras class names; a user's own classes and functions are registered
// explicitly (no static registrars, which a static library can lose) or passed per load:
//
//   struct MyLayer : keras::Layer { ... static keras::Handle<MyLayer> from_config(const
//   keras::Config&); }; struct MyLoss : losses::Loss { ... static MyLoss from_config(const
//   keras::Config&); }; keras::register_layer<MyLayer>("MyLayer");
//   keras::register_object<MyLoss>("MyLoss");
//   keras::load_model(path, {.custom_objects = {{"MyLoss", keras::custom_object<MyLoss>()},
//                                               {"my_metric_fn", my_metric_fn}}});
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>

#include "layers/engine/layer.h"
#include "layers/losses/losses.h"
#include "layers/metrics/metrics.h"

namespace ember::keras {

using LayerFactory = std::function<LayerHandle(const Config& config)>;
using LossFactory = std::function<losses::LossRef(const Config& config)>;
using MetricFactory = std::function<metrics::MetricRef(const Config& config)>;
/// A loss or metric function (y_true, y_pred) -> per-sample values, saved by its name.
using ObjectFunction = std::function<Tensor(const Tensor& y_true, const Tensor& y_pred)>;

/// One entry of custom_objects: what makes a layer or model, a loss or a metric from its saved
/// config, or a loss or metric function. Made from a callable, whose signature says which:
/// (const Config&) -> a layer handle, a Loss or a Metric; or (const Tensor&, const Tensor&) ->
/// Tensor.
class CustomObject {
 public:
  enum class Kind { layer, loss, metric, function };

  template <class F>
  requires(!std::is_same_v<std::remove_cvref_t<F>, CustomObject>)
      CustomObject(F make) {  // NOLINT: implicit, `{"MyLoss", factory}`
    if constexpr (std::is_invocable_r_v<Tensor, F, const Tensor&, const Tensor&>) {
      made_ = ObjectFunction(std::move(make));
    } else {
      static_assert(std::is_invocable_v<F, const Config&>,
                    "a custom object is a factory (const keras::Config&) -> layer, loss or metric, "
                    "or a function "
                    "(const Tensor& y_true, const Tensor& y_pred) -> Tensor");
      using Made = std::invoke_result_t<F, const Config&>;
      if constexpr (std::is_convertible_v<Made, LayerHandle>) {
        made_ = LayerFactory(std::move(make));
      } else if constexpr (std::is_convertible_v<Made, losses::LossRef>) {
        made_ = LossFactory(std::move(make));
      } else {
        static_assert(std::is_convertible_v<Made, metrics::MetricRef>,
                      "a custom object's factory returns a layer handle, a Loss or a Metric");
        made_ = MetricFactory(std::move(make));
      }
    }
  }

  Kind kind() const { return static_cast<Kind>(made_.index()); }
  /// The factory or function; call only for the kind() it is.
  const LayerFactory& layer() const { return std::get<LayerFactory>(made_); }
  const LossFactory& loss() const { return std::get<LossFactory>(made_); }
  const MetricFactory& metric() const { return std::get<MetricFactory>(made_); }
  const ObjectFunction& function() const { return std::get<ObjectFunction>(made_); }
  /// Whether the callable it was made from is empty.
  bool empty() const {
    return std::visit([](const auto& f) { return !f; }, made_);
  }

 private:
  std::variant<LayerFactory, LossFactory, MetricFactory, ObjectFunction> made_;  // in Kind's order
};

/// The custom object made by T's static from_config (a layer, model, loss or metric class).
template <class T>
CustomObject custom_object() {
  return CustomObject([](const Config& config) { return T::from_config(config); });
}

/// Factories and functions by the name the config gives, as load_model's custom_objects.
using CustomObjects = std::map<std::string, CustomObject>;

/// Makes `name` known to every load (replacing an earlier registration); a built-in class of the
/// same name is shadowed.
void register_object(const std::string& name, CustomObject object);
template <class T>
void register_object(const std::string& name) {
  register_object(name, custom_object<T>());
}
/// register_object for a layer or model class (or factory).
void register_layer(const std::string& class_name, LayerFactory factory);
template <class T>
void register_layer(const std::string& class_name) {
  register_object<T>(class_name);
}

/// Makes `objects` known on this thread while the scope lives, ahead of the registered ones
/// (Keras' custom_object_scope; load_model opens one for its custom_objects).
class CustomObjectScope {
 public:
  explicit CustomObjectScope(CustomObjects objects);
  ~CustomObjectScope();
  CustomObjectScope(const CustomObjectScope&) = delete;
  CustomObjectScope& operator=(const CustomObjectScope&) = delete;

 private:
  CustomObjects objects_;
};

/// The custom object called `name` (innermost scope first, then the registered ones), if any;
/// one of another kind than `wanted` is an ember::Error that names `who` (the caller).
std::optional<CustomObject> find_custom_object(const std::string& name, CustomObject::Kind wanted,
                                               const std::string& who);

/// {"class_name": ..., "config": ...} for a layer.
Config serialize_layer(const Layer& layer);
/// A new layer (or model) from {"class_name": ..., "config": ...}; unknown class names are an
/// error that lists the known ones and says how to register a custom layer.
LayerHandle layer_from_config(const Config& serialized);

}  // namespace ember::keras
