// Keras' merge layers, which take several inputs: Add, Subtract, Multiply, Average, Maximum and
// Concatenate, with the functional helpers of keras.layers: `layers::add({x, shortcut})` on
// symbolic tensors (the functional API) or on tensors (eager).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "layers/engine/layer.h"

namespace ember::layers {

using keras::Handle;

enum class MergeMode : std::uint8_t { add, subtract, multiply, average, maximum };

/// Combines inputs of one shape (or shapes that broadcast, as in Keras) elementwise.
/// Subtract takes exactly two inputs, the others one or more.
class MergeLayer : public keras::Layer {
 public:
  MergeLayer(MergeMode mode, keras::LayerOptions options);
  std::vector<Tensor> call(const std::vector<Tensor>& inputs, bool training) override;
  Tensor call(const Tensor& inputs) override;
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& input_shapes) override;
  std::string class_name() const override;

 private:
  void check_count(std::size_t count) const;
  MergeMode mode_;
};
Handle<MergeLayer> Add(keras::LayerOptions options = {});
Handle<MergeLayer> Subtract(keras::LayerOptions options = {});
Handle<MergeLayer> Multiply(keras::LayerOptions options = {});
Handle<MergeLayer> Average(keras::LayerOptions options = {});
Handle<MergeLayer> Maximum(keras::LayerOptions options = {});

/// Joins inputs along `axis` (default -1, the channels); every other dimension must agree.
class ConcatenateLayer : public keras::Layer {
 public:
  explicit ConcatenateLayer(std::int64_t axis = -1, keras::LayerOptions options = {});
  std::vector<Tensor> call(const std::vector<Tensor>& inputs, bool training) override;
  Tensor call(const Tensor& inputs) override;
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& input_shapes) override;
  std::string class_name() const override { return "Concatenate"; }
  keras::Config get_config() const override;

 private:
  std::int64_t axis_;
};
Handle<ConcatenateLayer> Concatenate(std::int64_t axis = -1, keras::LayerOptions options = {});

// keras.layers.add([...]) and friends: a new layer applied to the inputs.
keras::KerasTensor add(const std::vector<keras::KerasTensor>& inputs,
                       keras::LayerOptions options = {});
keras::KerasTensor subtract(const std::vector<keras::KerasTensor>& inputs,
                            keras::LayerOptions options = {});
keras::KerasTensor multiply(const std::vector<keras::KerasTensor>& inputs,
                            keras::LayerOptions options = {});
keras::KerasTensor average(const std::vector<keras::KerasTensor>& inputs,
                           keras::LayerOptions options = {});
keras::KerasTensor maximum(const std::vector<keras::KerasTensor>& inputs,
                           keras::LayerOptions options = {});
keras::KerasTensor concatenate(const std::vector<keras::KerasTensor>& inputs,
                               std::int64_t axis = -1, keras::LayerOptions options = {});
Tensor add(const std::vector<Tensor>& inputs);
Tensor subtract(const std::vector<Tensor>& inputs);
Tensor multiply(const std::vector<Tensor>& inputs);
Tensor average(const std::vector<Tensor>& inputs);
Tensor maximum(const std::vector<Tensor>& inputs);
Tensor concatenate(const std::vector<Tensor>& inputs, std::int64_t axis = -1);

}  // namespace ember::layers
