#include "layers/models/sequential.h"

#include "core/error.h"

namespace ember::keras {

Sequential::Sequential(std::vector<SequentialItem> layers, std::string name)
    : Model(LayerOptions{.name = name}) {
  assign_default_name("sequential");
  for (const SequentialItem& item : layers) add(item, /*connect_now=*/false);
  if (input_ && !stack_.empty()) connect();
}

void Sequential::add(const SequentialItem& item) { add(item, true); }

void Sequential::add(const SequentialItem& item, bool connect_now) {
  if (item.input().defined()) {
    if (input_ || !stack_.empty()) {
      throw Error(cat("Sequential '", name(), "': an input can only come first"));
    }
    input_ = item.input();
    return;
  }
  const LayerHandle& layer = item.layer();
  if (!layer) throw Error(cat("Sequential '", name(), "': add() got an empty layer handle"));
  if (auto* input_layer = dynamic_cast<InputLayer*>(layer.get())) {
    if (input_ || !stack_.empty()) {
      throw Error(cat("Sequential '", name(), "': an Input can only come first"));
    }
    input_ = input_layer->tensor();
    return;
  }
  if (!input_ && stack_.empty()) {
    // The input shape may come from the first layer: its input_shape option, or the input of a
    // functional (or built Sequential) model, as in Keras.
    const auto* model = dynamic_cast<const Model*>(layer.get());
    if (layer->declared_input_shape()) {
      input_ = Input(*layer->declared_input_shape());
    } else if (model && model->is_functional() && model->inputs().size() == 1) {
      const KerasTensor& in = model->inputs()[0];
      const std::vector<std::int64_t> dims(in.shape().dims().begin() + 1, in.shape().dims().end());
      input_ = Input(Shape(dims), {.dtype = in.dtype()});
    }
  }
  stack_.push_back(layer);
  track(layer.shared());
  if (input_ && connect_now) {
    try {
      connect();
    } catch (...) {
      stack_.pop_back();  // leave the model as it was
      forget_child(layer.get());
      if (!stack_.empty()) connect();
      throw;
    }
  }
}

void Sequential::pop() {
  if (stack_.empty())
    throw Error(cat("Sequential '", name(), "': pop() on a model with no layers"));
  forget_child(stack_.back().get());
  stack_.pop_back();
  if (input_ && !stack_.empty()) connect();
}

std::vector<LayerHandle> Sequential::layers() const { return stack_; }

void Sequential::connect() {
  // Keras' Sequential builds an inner Functional model each time, which takes a "functional"
  // name; taking one too keeps ember's automatic names equal to Keras'.
  (void)unique_name("functional");
  KerasTensor x = *input_;
  for (const LayerHandle& layer : stack_) x = layer(x);
  set_graph({*input_}, {x});
}

void Sequential::build(const Shape& input_shape) {
  if (input_) return;
  // Keras builds on the whole shape, the batch size of the first call included: its summary then
  // shows (1, 128) after a call on one row. Later calls may have any batch size.
  std::vector<std::int64_t> dims(input_shape.dims().begin() + (input_shape.rank() > 0 ? 1 : 0),
                                 input_shape.dims().end());
  InputOptions options;
  if (input_shape.rank() > 0 && input_shape[0] >= 0) options.batch_size = input_shape[0];
  input_ = Input(Shape(dims), options);
  allow_any_batch_size();
  if (!stack_.empty()) connect();
}

Tensor Sequential::call(const Tensor& inputs, bool training) {
  if (stack_.empty()) throw Error(cat("Sequential '", name(), "' has no layers to call"));
  Tensor x = inputs;
  for (const LayerHandle& layer : stack_) x = layer(x, training);
  return x;
}

std::vector<Tensor> Sequential::call(const std::vector<Tensor>& inputs, bool training) {
  if (inputs.size() != 1)
    throw Error(cat("Sequential '", name(), "' takes one input, got ", inputs.size()));
  return {call(inputs[0], training)};
}

std::vector<Shape> Sequential::compute_output_shape(const std::vector<Shape>& input_shapes) {
  if (is_functional() && !outputs().empty()) return {outputs()[0].shape()};
  return Model::compute_output_shape(input_shapes);
}

}  // namespace ember::keras
