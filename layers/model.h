// keras::Model: a layer with inputs, outputs and the training API (compile/fit come with the
// training issue). Three ways to make one, as in Keras:
//   - functional: keras::Model(inputs, outputs) from symbolic tensors (keras::Input);
//   - subclassed: derive from keras::Model, track layers, override call();
//   - keras::Sequential (sequential.h), a stack of layers.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "layers/layer.h"

namespace ember::keras {

class Model : public Layer {
 public:
  /// A subclassed model (override call()).
  explicit Model(LayerOptions options = {});
  /// A functional model: the graph between `inputs` (from keras::Input) and `outputs`.
  Model(std::vector<KerasTensor> inputs, std::vector<KerasTensor> outputs, std::string name = "");
  Model(const KerasTensor& input, const KerasTensor& output, std::string name = "");
  Model(const KerasTensor& input, std::vector<KerasTensor> outputs, std::string name = "");
  Model(std::vector<KerasTensor> inputs, const KerasTensor& output, std::string name = "");

  std::string class_name() const override;
  bool is_functional() const { return !graph_inputs_.empty(); }
  const std::vector<KerasTensor>& inputs() const { return graph_inputs_; }
  const std::vector<KerasTensor>& outputs() const { return graph_outputs_; }
  /// The model's layers: for a functional model in graph order (inputs included, as in Keras),
  /// for a subclassed one the layers it tracks.
  virtual std::vector<LayerHandle> layers() const;
  /// The layer called `name` (ember::Error listing the names otherwise).
  LayerHandle get_layer(const std::string& name) const;

  Tensor call(const Tensor& inputs, bool training) override;
  std::vector<Tensor> call(const std::vector<Tensor>& inputs, bool training) override;
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& input_shapes) override;
  std::vector<DType> compute_output_dtype(const std::vector<DType>& input_dtypes) override;

  /// Runs the model in inference mode over `x` in batches and joins the results (one tensor per
  /// output).
  Tensor predict(const Tensor& x, std::int64_t batch_size = 32);
  std::vector<Tensor> predict(const std::vector<Tensor>& x, std::int64_t batch_size = 32);

  /// Prints Keras' summary table: layers, output shapes, parameter counts and totals.
  void summary(std::ostream& out) const;
  void summary() const;
  std::string summary_string() const;

 protected:
  /// Makes this model the functional graph between `inputs` and `outputs` (replacing any earlier).
  void set_graph(std::vector<KerasTensor> inputs, std::vector<KerasTensor> outputs);
  /// Runs the functional graph.
  std::vector<Tensor> run_graph(const std::vector<Tensor>& inputs, bool training);
  /// Graph nodes in execution order (deepest first), inputs included.
  const std::vector<std::shared_ptr<const Node>>& graph_nodes() const { return nodes_in_order_; }
  /// Whether the summary may use the sequential layout (a chain without branches or sharing).
  bool sequential_like() const;

 private:
  std::vector<KerasTensor> graph_inputs_, graph_outputs_;
  std::vector<std::shared_ptr<const Node>> nodes_in_order_;
  std::vector<LayerHandle> graph_layers_;
};

}  // namespace ember::keras
