// keras::Layer: the base of every Keras layer and model. A layer creates its weights in build()
// the first time it is called (when the input shape is known), computes in call(), and can be
// called on real tensors (eager) or on symbolic ones (the functional API).
//
//   struct DenseLayer : keras::Layer {
//     int units;
//     Variable w, b;
//     explicit DenseLayer(int units) : units(units) {}
//     void build(const Shape& in) override {
//       w = add_weight("w", {in[-1], units}, "random_normal");
//       b = add_weight("b", {units}, "zeros");
//     }
//     Tensor call(const Tensor& x) override { return matmul(x, w) + b; }
//   };
//
// Layers used in models are shared handles (keras::Handle, made by the layers:: factories or
// keras::make<T>(...)): the same layer in two models shares its weights. A layer or model can
// also live on the stack or as a member; handle() refers to it then.
//
// Tracking is automatic, as Keras' attribute tracking: a layer called inside another layer's call
// becomes its sublayer, and a variable the layer reads in its first call that it does not already
// list (one made with Variable(...) rather than add_weight) becomes its own. track() remains for
// what a layer holds but does not call or read in its first call.
#pragma once

#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "core/module.h"
#include "core/optional.h"
#include "core/tensor.h"
#include "core/variable.h"
#include "layers/engine/config.h"
#include "layers/engine/dtype_policy.h"
#include "layers/engine/keras_tensor.h"
#include "layers/initializers.h"
#include "layers/regularizers.h"

namespace ember::keras {

std::string unique_name(const std::string& base);
template <class T>
class Handle;

/// Options every layer takes.
struct LayerOptions {
  std::string name = "";
  bool trainable = true;
  /// Input shape without the batch axis: a Sequential starts with an Input of this shape.
  Optional<Shape> input_shape = std::nullopt;
  /// The dtype policy ("float32", "mixed_bfloat16", ...: layers/engine/dtype_policy.h); the global
  /// policy when absent.
  Optional<DTypePolicy> dtype = std::nullopt;
};

class Layer : public Module, public std::enable_shared_from_this<Layer> {
 public:
  explicit Layer(LayerOptions options = {});
  ~Layer() override;

  /// A handle to this layer, for graphs and lists of layers: shared ownership when a handle owns
  /// the layer (the layers:: factories, keras::make), otherwise (a layer or model on the stack, a
  /// member) a reference. A layer destroyed while such a reference lives stops the program with a
  /// message naming it (the reference would dangle): declare it before what uses it.
  Handle<Layer> handle();

  // --- calling ---------------------------------------------------------------------------------
  /// Builds on the first call, then computes. `training` defaults to the enclosing call's value
  /// (false at the top), so a model called with training=true runs its Dropout layers in training.
  Tensor operator()(const Tensor& inputs, std::optional<bool> training = std::nullopt);
  std::vector<Tensor> operator()(const std::vector<Tensor>& inputs,
                                 std::optional<bool> training = std::nullopt);
  /// Records the call in the functional graph.
  KerasTensor operator()(const KerasTensor& inputs);
  std::vector<KerasTensor> operator()(const std::vector<KerasTensor>& inputs);

  // --- what subclasses define --------------------------------------------------------------------
  /// Creates the weights; runs once, on the first call, with the input shape (-1 for the batch).
  virtual void build(const Shape& input_shape);
  virtual void build(const std::vector<Shape>& input_shapes);
  /// The computation. Override one of these: call(x), call(x, training) for a single tensor, or
  /// call(inputs, training) for several inputs or outputs.
  virtual Tensor call(const Tensor& inputs);
  virtual Tensor call(const Tensor& inputs, bool training);
  virtual std::vector<Tensor> call(const std::vector<Tensor>& inputs, bool training);
  /// The output shapes for these input shapes (-1 for unknown). The default runs call() on zeros.
  virtual std::vector<Shape> compute_output_shape(const std::vector<Shape>& input_shapes);
  virtual std::vector<DType> compute_output_dtype(const std::vector<DType>& input_dtypes);
  /// Keras' class name ("Dense"); by default the C++ class name.
  virtual std::string class_name() const;
  /// Constructor arguments as JSON (Keras' get_config): name, trainable, dtype and the layer's own.
  virtual Config get_config() const;

  // --- weights ---------------------------------------------------------------------------------
  /// A weight in the policy's variable dtype; `autocast` false keeps it out of the mixed
  /// policies' cast on read (batch normalization's weights and statistics).
  Variable add_weight(const std::string& name, const Shape& shape,
                      const initializers::InitializerRef& initializer = "glorot_uniform",
                      bool trainable = true, const regularizers::RegularizerRef& regularizer = {},
                      bool autocast = true);
  /// Own weights created trainable, own others, then those of sublayers: Keras' order, which
  /// freezing the layer does not change.
  std::vector<Variable> weights() const;
  std::vector<Variable> trainable_weights() const;
  std::vector<Variable> non_trainable_weights() const;
  std::int64_t count_params() const;
  /// The values of weights(), in order (copies that later training does not change).
  std::vector<Tensor> get_weights() const;
  /// Assigns values in weights() order; count and shapes must match.
  void set_weights(const std::vector<Tensor>& values);
  bool trainable() const { return trainable_; }
  /// Freezes (false) or unfreezes the layer and every layer inside it.
  virtual void set_trainable(bool trainable);
  bool built() const { return built_; }
  const std::string& name() const override;

  // --- dtype policy (layers/engine/dtype_policy.h) ---------------------------------------------
  const DTypePolicy& dtype_policy() const { return policy_; }
  /// Sets the policy (Keras' layer.dtype_policy = ...), before the layer is built.
  void set_dtype_policy(const DTypePolicy& policy);
  /// The dtype the layer computes in; its floating inputs are cast to it.
  DType compute_dtype() const { return policy_.compute_dtype(); }
  /// The dtype of the weights add_weight makes.
  DType variable_dtype() const { return policy_.variable_dtype(); }

  // --- losses and metrics ----------------------------------------------------------------------
  /// A loss to add to the training loss (from call(): regularization terms, KL divergences...).
  void add_loss(const Tensor& loss);
  /// add_loss() values of the last call, of sublayers too, and the weight regularizers' penalties.
  std::vector<Tensor> losses() const;
  /// A value to report as a metric (averaged by fit over the epoch).
  void add_metric(const Tensor& value, const std::string& name);
  std::vector<std::pair<std::string, Tensor>> metrics_values() const;

  // --- graph -----------------------------------------------------------------------------------
  /// The symbolic output of the layer's first call on symbolic tensors (layer.output in Keras).
  KerasTensor output() const;
  KerasTensor input() const;
  /// The recorded calls still alive, in call order.
  std::vector<std::shared_ptr<const Node>> inbound_nodes() const;
  const Optional<Shape>& declared_input_shape() const { return input_shape_; }
  /// The input shapes the layer was built with (empty before the first call, and for layers
  /// built their own way); what Keras writes as "build_config".
  const std::vector<Shape>& build_input_shapes() const { return build_input_shapes_; }

 protected:
  using Module::track;
  /// Records a sublayer held by a handle: `Handle<DenseLayer> hidden = track(layers::Dense(32));`
  template <class T>
  Handle<T> track(Handle<T> layer);
  /// Marks the layer built (for layers that build their own way, like models).
  void set_built() { built_ = true; }
  /// Names the layer now ("dense", "dense_1", ...) unless it was given a name, so names follow
  /// the order of construction as in Keras (otherwise the name is made on first use).
  void assign_default_name(const std::string& base) {
    if (name_.empty()) name_ = unique_name(base);
  }
  void collect_variables(std::vector<Variable>& out, std::unordered_set<std::uint64_t>& seen,
                         bool trainable_only) const override;
  /// Sublayers (tracked children that are layers).
  std::vector<Layer*> sublayers() const;
  void ensure_built(const std::vector<Shape>& input_shapes);
  /// Whether a call casts floating inputs to the compute dtype (Keras' _convert_input_args):
  /// layers do; functional and Sequential models leave it to their layers.
  virtual bool converts_inputs() const { return true; }

 private:
  struct Weight {
    Variable variable;
    bool created_trainable;
    regularizers::RegularizerRef regularizer;
  };
  void clear_call_state();
  /// An input as call() sees it: floating inputs in the compute dtype (converts_inputs()).
  Tensor converted_input(const Tensor& x) const;

  bool trainable_;
  DTypePolicy policy_;
  bool built_ = false;
  Optional<Shape> input_shape_;
  std::vector<Shape> build_input_shapes_;
  std::vector<Weight> weights_;
  std::vector<Tensor> losses_;
  std::vector<std::pair<std::string, Tensor>> metrics_;
  std::vector<std::weak_ptr<const Node>> nodes_;
  /// Makes `child`, called inside this layer's call, a sublayer (once; not an ancestor).
  void adopt(Layer& child);
  /// Tracks `variable`, read in this layer's first call, unless the layer already lists it.
  void adopt(const Variable& variable);

  // Counts the references handle() gave out to a layer no handle owns.
  std::shared_ptr<const char> unowned_references_;
  // Whether a call (or the shape probe) has completed: variables are adopted until then.
  bool first_call_done_ = false;
  // Sublayers adopted by reference (no handle owns them) and the layers that adopted this one so:
  // each side unlinks itself when destroyed, whichever goes first.
  std::vector<Layer*> adopted_;
  std::vector<Layer*> adopters_;
  friend class CallContext;
};

/// A shared handle to a layer or model: `handle(x)` calls it, `handle->output()` reaches it.
template <class T>
class Handle {
 public:
  Handle() = default;
  Handle(std::shared_ptr<T> layer) : layer_(std::move(layer)) {}  // NOLINT
  template <class U>
  requires std::is_convertible_v<U*, T*> Handle(const Handle<U>& other)
      : layer_(other.shared()) {}  // NOLINT: upcasts

  T* operator->() const { return layer_.get(); }
  T& operator*() const { return *layer_; }
  T* get() const { return layer_.get(); }
  const std::shared_ptr<T>& shared() const { return layer_; }
  explicit operator bool() const { return layer_ != nullptr; }
  bool operator==(const Handle& other) const { return layer_ == other.layer_; }

  Tensor operator()(const Tensor& x, std::optional<bool> training = std::nullopt) const {
    return (*layer_)(x, training);
  }
  std::vector<Tensor> operator()(const std::vector<Tensor>& x,
                                 std::optional<bool> training = std::nullopt) const {
    return (*layer_)(x, training);
  }
  KerasTensor operator()(const KerasTensor& x) const { return (*layer_)(x); }
  std::vector<KerasTensor> operator()(const std::vector<KerasTensor>& x) const {
    return (*layer_)(x);
  }

 private:
  std::shared_ptr<T> layer_;
};

using LayerHandle = Handle<Layer>;

template <class T>
Handle<T> Layer::track(Handle<T> layer) {
  Module::track(layer.shared());
  return layer;
}

/// Keras' repr of a layer: `<Dense name=dense, built=True>`.
std::ostream& operator<<(std::ostream& out, const Layer& layer);
template <class T>
std::ostream& operator<<(std::ostream& out, const Handle<T>& layer) {
  return layer ? out << static_cast<const Layer&>(*layer) : out << "None";
}
/// A list of layers as Python prints one: `[<Dense name=dense, built=True>, ...]`.
std::ostream& operator<<(std::ostream& out, const std::vector<LayerHandle>& layers);

/// A new layer or model of type T held by a handle: keras::make<DenseLayer>(10).
template <class T, class... Args>
Handle<T> make(Args&&... args) {
  return Handle<T>(std::make_shared<T>(std::forward<Args>(args)...));
}

/// A fresh unique name for a layer of this base name: "dense", "dense_1", ...
std::string unique_name(const std::string& base);
/// Restarts the name counters (keras.backend.clear_session).
void clear_session();
/// "LayerNormalization" -> "layer_normalization"
std::string snake_case(const std::string& class_name);
/// The unqualified C++ class name of `type` ("ember::keras::DenseLayer" -> "DenseLayer").
std::string class_name_of(const std::type_info& type);

}  // namespace ember::keras
