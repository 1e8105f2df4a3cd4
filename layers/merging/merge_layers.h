// Keras' merge layers, which take several inputs: Add, Subtract, Multiply, Average, Maximum and
// Concatenate, with the functional helpers of keras.layers: `layers::add({x, shortcut})` on
// symbolic tensors (the functional API) or on tensors (eager).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "layers/engine/layer.h"
#include "layers/keywords.h"

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
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 &&
         (KeywordFor<K, keras::LayerOptions> && ...)) Handle<MergeLayer> Add(const K&... keywords) {
  return Add(with_keywords<keras::LayerOptions>(keywords...));
}
Handle<MergeLayer> Subtract(keras::LayerOptions options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 && (KeywordFor<K, keras::LayerOptions> &&
                              ...)) Handle<MergeLayer> Subtract(const K&... keywords) {
  return Subtract(with_keywords<keras::LayerOptions>(keywords...));
}
Handle<MergeLayer> Multiply(keras::LayerOptions options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 && (KeywordFor<K, keras::LayerOptions> &&
                              ...)) Handle<MergeLayer> Multiply(const K&... keywords) {
  return Multiply(with_keywords<keras::LayerOptions>(keywords...));
}
Handle<MergeLayer> Average(keras::LayerOptions options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 && (KeywordFor<K, keras::LayerOptions> &&
                              ...)) Handle<MergeLayer> Average(const K&... keywords) {
  return Average(with_keywords<keras::LayerOptions>(keywords...));
}
Handle<MergeLayer> Maximum(keras::LayerOptions options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 && (KeywordFor<K, keras::LayerOptions> &&
                              ...)) Handle<MergeLayer> Maximum(const K&... keywords) {
  return Maximum(with_keywords<keras::LayerOptions>(keywords...));
}

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
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 && (KeywordFor<K, keras::LayerOptions> &&
                              ...)) Handle<ConcatenateLayer> Concatenate(std::int64_t axis = -1,
                                                                         const K&... keywords) {
  return Concatenate(axis, with_keywords<keras::LayerOptions>(keywords...));
}

// keras.layers.add([...]) and friends: a new layer applied to the inputs.
keras::KerasTensor add(const std::vector<keras::KerasTensor>& inputs,
                       keras::LayerOptions options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 && (KeywordFor<K, keras::LayerOptions> && ...)) keras::KerasTensor
    add(const std::vector<keras::KerasTensor>& inputs, const K&... keywords) {
  return add(inputs, with_keywords<keras::LayerOptions>(keywords...));
}
keras::KerasTensor subtract(const std::vector<keras::KerasTensor>& inputs,
                            keras::LayerOptions options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 && (KeywordFor<K, keras::LayerOptions> && ...)) keras::KerasTensor
    subtract(const std::vector<keras::KerasTensor>& inputs, const K&... keywords) {
  return subtract(inputs, with_keywords<keras::LayerOptions>(keywords...));
}
keras::KerasTensor multiply(const std::vector<keras::KerasTensor>& inputs,
                            keras::LayerOptions options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 && (KeywordFor<K, keras::LayerOptions> && ...)) keras::KerasTensor
    multiply(const std::vector<keras::KerasTensor>& inputs, const K&... keywords) {
  return multiply(inputs, with_keywords<keras::LayerOptions>(keywords...));
}
keras::KerasTensor average(const std::vector<keras::KerasTensor>& inputs,
                           keras::LayerOptions options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 && (KeywordFor<K, keras::LayerOptions> && ...)) keras::KerasTensor
    average(const std::vector<keras::KerasTensor>& inputs, const K&... keywords) {
  return average(inputs, with_keywords<keras::LayerOptions>(keywords...));
}
keras::KerasTensor maximum(const std::vector<keras::KerasTensor>& inputs,
                           keras::LayerOptions options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 && (KeywordFor<K, keras::LayerOptions> && ...)) keras::KerasTensor
    maximum(const std::vector<keras::KerasTensor>& inputs, const K&... keywords) {
  return maximum(inputs, with_keywords<keras::LayerOptions>(keywords...));
}
keras::KerasTensor concatenate(const std::vector<keras::KerasTensor>& inputs,
                               std::int64_t axis = -1, keras::LayerOptions options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 && (KeywordFor<K, keras::LayerOptions> && ...)) keras::KerasTensor
    concatenate(const std::vector<keras::KerasTensor>& inputs, std::int64_t axis = -1,
                const K&... keywords) {
  return concatenate(inputs, axis, with_keywords<keras::LayerOptions>(keywords...));
}
Tensor add(const std::vector<Tensor>& inputs);
Tensor subtract(const std::vector<Tensor>& inputs);
Tensor multiply(const std::vector<Tensor>& inputs);
Tensor average(const std::vector<Tensor>& inputs);
Tensor maximum(const std::vector<Tensor>& inputs);
Tensor concatenate(const std::vector<Tensor>& inputs, std::int64_t axis = -1);

}  // namespace ember::layers
