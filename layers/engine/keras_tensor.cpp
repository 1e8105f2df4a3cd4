#include "layers/engine/keras_tensor.h"

#include "core/error.h"
#include "layers/engine/layer.h"

namespace ember::keras {

KerasTensor::KerasTensor(std::shared_ptr<const Node> node, int index)
    : node_(std::move(node)), index_(index) {
  EMBER_ASSERT(node_ && index_ >= 0 && index_ < static_cast<int>(node_->output_shapes.size()));
}

const Shape& KerasTensor::shape() const {
  if (!node_) throw Error("KerasTensor: undefined symbolic tensor");
  return node_->output_shapes[index_];
}

DType KerasTensor::dtype() const {
  if (!node_) throw Error("KerasTensor: undefined symbolic tensor");
  return node_->output_dtypes[index_];
}

std::uint64_t KerasTensor::id() const {
  if (!node_) throw Error("KerasTensor: undefined symbolic tensor");
  return node_->output_ids[index_];
}

std::string KerasTensor::history() const {
  return cat(node_->layer->name(), "[", node_->index_in_layer, "][", index_, "]");
}

std::string KerasTensor::to_string() const {
  if (!node_) return "<KerasTensor (undefined)>";
  std::string shape = "(";
  for (int i = 0; i < this->shape().rank(); ++i) {
    if (i > 0) shape += ", ";
    shape += this->shape()[i] < 0 ? "None" : std::to_string(this->shape()[i]);
  }
  if (this->shape().rank() == 1) shape += ",";
  return cat("<KerasTensor shape=", shape, "), dtype=", dtype_name(dtype()), ", source=", history(),
             ">");
}

}  // namespace ember::keras
