// keras::Sequential: a stack of layers, each feeding the next.
//
//   auto model = keras::make<keras::Sequential>(std::vector<keras::SequentialItem>{
//       keras::Input({784}), layers::Dense(128, _activation = "relu"),
//       layers::Dense(10, {.activation = "softmax"})});
//   keras::Sequential model({layers::Dense(128, {.activation = "relu", .input_shape = Shape{784}}),
//                            layers::Dense(10)});
//
// With an input shape (an Input first, or input_shape on the first layer) the model is built at
// once; otherwise on its first call, from the data's shape. Either way it then also has the
// functional graph (inputs(), outputs(), layer->output()).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "layers/engine/input_layer.h"
#include "layers/models/model.h"

namespace ember::keras {

/// An entry of a Sequential list: a layer, or a symbolic input (keras::Input).
class SequentialItem {
 public:
  template <class T>
  requires std::is_base_of_v<Layer, T> SequentialItem(Handle<T> layer) : layer_(layer) {}  // NOLINT
  /// A layer or model by name (one on the stack too): the same object, as in Python.
  template <class T>
  requires std::is_base_of_v<Layer, T> SequentialItem(T& layer)
      : layer_(layer.handle()) {}                              // NOLINT
  SequentialItem(const KerasTensor& input) : input_(input) {}  // NOLINT
  const LayerHandle& layer() const { return layer_; }
  const KerasTensor& input() const { return input_; }

 private:
  LayerHandle layer_;
  KerasTensor input_;
};

class Sequential : public Model {
 public:
  explicit Sequential(std::vector<SequentialItem> layers = {}, std::string name = "");

  /// Appends a layer (or sets the input); with a known input shape the layer is connected (and
  /// built) now, so shape errors name it here.
  void add(const SequentialItem& item);
  /// Removes the last layer.
  void pop();
  /// The layers, without the input (as in Keras).
  std::vector<LayerHandle> layers() const override;
  std::string class_name() const override { return "Sequential"; }
  /// {"name", "trainable", "dtype", "layers": [InputLayer, layers...], "build_input_shape"}.
  Config get_config() const override;
  static Handle<Sequential> from_config(const Config& config);

  Tensor call(const Tensor& inputs, bool training) override;
  std::vector<Tensor> call(const std::vector<Tensor>& inputs, bool training) override;
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& input_shapes) override;
  void build(const Shape& input_shape) override;
  bool converts_inputs() const override { return false; }  // its layers cast, as in Keras

 private:
  void add(const SequentialItem& item, bool connect_now);
  void connect();  // rebuilds the functional graph from input_ through stack_

  std::vector<LayerHandle> stack_;
  std::optional<KerasTensor> input_;
};

}  // namespace ember::keras
