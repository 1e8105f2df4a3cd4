// The input of a functional model: keras::Input(shape) is a symbolic tensor of shape
// (batch, shape...) made by an InputLayer.
#pragma once

#include <optional>
#include <string>

#include "layers/engine/layer.h"
#include "layers/keywords.h"

namespace ember::keras {

struct InputOptions {
  DType dtype = float32;
  std::string name = "";
  /// A fixed batch size; unknown (-1, printed None) by default.
  std::optional<std::int64_t> batch_size = std::nullopt;
};

class InputLayer final : public Layer {
 public:
  /// `shape` excludes the batch axis.
  explicit InputLayer(const Shape& shape, InputOptions options = {});
  std::string class_name() const override { return "InputLayer"; }
  Config get_config() const override;
  /// (batch, shape...), the batch -1 unless fixed.
  const Shape& batch_shape() const { return batch_shape_; }
  DType dtype() const { return dtype_; }
  /// The symbolic tensor this layer produces (made on first use; the layer must be shared).
  KerasTensor tensor();
  Tensor call(const Tensor& inputs) override { return inputs; }
  std::vector<Shape> compute_output_shape(const std::vector<Shape>&) override {
    return {batch_shape_};
  }
  std::vector<DType> compute_output_dtype(const std::vector<DType>&) override { return {dtype_}; }

 private:
  Shape batch_shape_;
  DType dtype_;
};

/// A symbolic input of `shape` (without the batch axis), like keras.Input.
KerasTensor Input(const Shape& shape, InputOptions options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 && (KeywordFor<K, InputOptions> && ...)) KerasTensor
    Input(const Shape& shape, const K&... keywords) {
  return Input(shape, with_keywords<InputOptions>(keywords...));
}

}  // namespace ember::keras

namespace ember::layers {
/// keras.layers.Input is keras.Input: the symbolic tensor.
using keras::Input;
/// An InputLayer as a layer, for the head of a Sequential list as Keras allows:
/// keras::Sequential({layers::InputLayer({784}), layers::Dense(10)}).
keras::Handle<keras::InputLayer> InputLayer(const Shape& shape, keras::InputOptions options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 && (KeywordFor<K, keras::InputOptions> && ...))
    keras::Handle<keras::InputLayer> InputLayer(const Shape& shape, const K&... keywords) {
  return InputLayer(shape, with_keywords<keras::InputOptions>(keywords...));
}
}  // namespace ember::layers
