#include "layers/engine/input_layer.h"

#include "core/error.h"
#include "core/tensor_impl.h"

namespace ember::keras {

InputLayer::InputLayer(const Shape& shape, InputOptions options)
    : Layer({.name = options.name.empty() ? unique_name("input_layer") : options.name}),
      dtype_(options.dtype) {
  std::vector<std::int64_t> dims{options.batch_size.value_or(-1)};
  for (std::int64_t d : shape) {
    if (d < -1 || d == 0)
      throw ShapeError(cat("Input: invalid dimension ", d, " in shape ", shape));
    dims.push_back(d);
  }
  batch_shape_ = Shape(dims);
  set_built();
}

Config InputLayer::get_config() const {
  return {{"name", name()},
          {"batch_shape", shape_to_json(batch_shape_)},
          {"dtype", dtype_name(dtype_)}};
}

KerasTensor InputLayer::tensor() {
  const auto nodes = inbound_nodes();
  if (!nodes.empty()) return KerasTensor(nodes[0], 0);
  // An input node has no inputs: calling the layer on an empty list records it.
  const std::vector<KerasTensor> outputs = (*this)(std::vector<KerasTensor>{});
  return outputs[0];
}

KerasTensor Input(const Shape& shape, InputOptions options) {
  return std::make_shared<InputLayer>(shape, std::move(options))->tensor();
}

}  // namespace ember::keras

namespace ember::layers {
keras::Handle<keras::InputLayer> InputLayer(const Shape& shape, keras::InputOptions options) {
  return keras::make<keras::InputLayer>(shape, std::move(options));
}
}  // namespace ember::layers
