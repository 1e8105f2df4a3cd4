// Symbolic tensors of the functional API: keras::Input(shape) makes one, calling a layer on
// symbolic tensors records a Node and returns new ones, and keras::Model(inputs, outputs) turns
// the recorded graph into a model.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/shape.h"

namespace ember::keras {

class Layer;
struct Node;

/// A placeholder with a shape (-1 where unknown: the batch) and a dtype, and the node that makes
/// it.
class KerasTensor {
 public:
  KerasTensor() = default;
  /// Output `index` of `node`.
  KerasTensor(std::shared_ptr<const Node> node, int index);

  bool defined() const { return node_ != nullptr; }
  const Shape& shape() const;
  DType dtype() const;
  /// Identity: two handles on the same output compare equal.
  std::uint64_t id() const;
  const std::shared_ptr<const Node>& node() const { return node_; }
  int index() const { return index_; }
  /// "dense_1[0][0]": the producing layer, its call number and the output number.
  std::string history() const;
  std::string to_string() const;

 private:
  std::shared_ptr<const Node> node_;
  int index_ = 0;
};

/// One call of a layer on symbolic tensors. Nodes keep their layer and their inputs alive;
/// layers refer to their nodes weakly, so graphs never form reference cycles.
struct Node {
  std::shared_ptr<Layer> layer;
  std::vector<KerasTensor> inputs;
  std::vector<Shape> output_shapes;
  std::vector<DType> output_dtypes;
  std::vector<std::uint64_t> output_ids;
  int index_in_layer = 0;  // the n-th call of `layer`
};

}  // namespace ember::keras
