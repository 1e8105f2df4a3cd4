// keras::Model: a layer with inputs, outputs and the training API (compile, fit, evaluate,
// predict; training.cpp) and weight files (weights_io.cpp). Three ways to make one, as in Keras:
//   - functional: keras::Model(inputs, outputs) from symbolic tensors (keras::Input);
//   - subclassed: derive from keras::Model, track layers, override call();
//   - keras::Sequential (sequential.h), a stack of layers.
#pragma once

#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "distribute/strategy.h"
#include "io/data/dataset.h"
#include "io/data/sequence.h"
#include "layers/callbacks/callbacks.h"
#include "layers/callbacks/logs.h"
#include "layers/engine/layer.h"
#include "layers/keywords.h"
#include "layers/trainers/data_adapter.h"
#include "layers/trainers/training_options.h"

namespace ember::keras {

namespace detail {
class CompiledState;
class DataAdapter;
class StepFunction;
struct StepFunctions;
}  // namespace detail

/// Model::save's options.
struct SaveOptions {
  /// Replace an existing saved model at the path (otherwise that is an error).
  bool overwrite = true;
  /// Save the optimizer's state (slots, iterations) with the weights.
  bool include_optimizer = true;
};

class Model : public Layer {
 public:
  /// A subclassed model (override call()).
  explicit Model(LayerOptions options = {});
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 &&
           (KeywordFor<K, LayerOptions> && ...)) explicit Model(const K&... keywords)
      : Model(with_keywords<LayerOptions>(keywords...)) {}
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
  /// A functional model leaves the casts to its layers (Keras' Functional does); a subclassed
  /// one casts its floating inputs to its compute dtype, as any layer.
  bool converts_inputs() const override { return !is_functional(); }

  // --- training (training.cpp) -------------------------------------------------------------------
  /// Sets the optimizer, the losses and the metrics (see training_options.h).
  void compile(CompileOptions options = {});
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 &&
           (KeywordFor<K, CompileOptions> && ...)) void compile(const K&... keywords) {
    return compile(with_keywords<CompileOptions>(keywords...));
  }
  bool compiled() const { return compiled_ != nullptr; }
  /// Whether fit, evaluate and predict run their steps eagerly (compile's run_eagerly; false by
  /// default: they trace each step into a graph and replay it, see CompileOptions).
  bool run_eagerly() const { return run_eagerly_; }
  /// Keras' `model.run_eagerly = ...`: takes effect at the next batch.
  void set_run_eagerly(bool eagerly) { run_eagerly_ = eagerly; }
  /// compile's jit_compile, resolved ("auto" is true unless the model runs eagerly).
  bool jit_compile() const { return jit_compile_; }
  /// Batches per traced execution (compile's steps_per_execution).
  std::int64_t steps_per_execution() const { return steps_per_execution_; }
  /// Keras' `model.steps_per_execution = ...`: at least 1.
  void set_steps_per_execution(std::int64_t steps);
  /// How many times fit, evaluate and predict traced their steps since compile (one trace per
  /// signature of an execution's batches: the last partial batch, validation, ...).
  int step_tracing_count() const;
  /// Trains on arrays: x and y are one tensor, a list (one per input/output) or a map by name.
  History fit(const Tensors& x, const Tensors& y, FitOptions options = {});
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 && (KeywordFor<K, FitOptions> && ...)) History
      fit(const Tensors& x, const Tensors& y, const K&... keywords) {
    return fit(x, y, with_keywords<FitOptions>(keywords...));
  }
  /// Trains on a batched Dataset whose elements are {inputs..., targets..., [sample weights]}.
  History fit(const Dataset& data, FitOptions options = {});
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 && (KeywordFor<K, FitOptions> && ...)) History
      fit(const Dataset& data, const K&... keywords) {
    return fit(data, with_keywords<FitOptions>(keywords...));
  }
  /// Trains on a user's Sequence of batches.
  History fit(Sequence& data, FitOptions options = {});
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 && (KeywordFor<K, FitOptions> && ...)) History
      fit(Sequence& data, const K&... keywords) {
    return fit(data, with_keywords<FitOptions>(keywords...));
  }
  /// The loss and the metrics over the data: logs["loss"], logs["accuracy"], or by position in
  /// Keras' order (loss, per-output losses, metrics).
  Logs evaluate(const Tensors& x, const Tensors& y, EvaluateOptions options = {});
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 && (KeywordFor<K, EvaluateOptions> && ...)) Logs
      evaluate(const Tensors& x, const Tensors& y, const K&... keywords) {
    return evaluate(x, y, with_keywords<EvaluateOptions>(keywords...));
  }
  Logs evaluate(const Dataset& data, EvaluateOptions options = {});
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 && (KeywordFor<K, EvaluateOptions> && ...)) Logs
      evaluate(const Dataset& data, const K&... keywords) {
    return evaluate(data, with_keywords<EvaluateOptions>(keywords...));
  }
  Logs evaluate(Sequence& data, EvaluateOptions options = {});
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 && (KeywordFor<K, EvaluateOptions> && ...)) Logs
      evaluate(Sequence& data, const K&... keywords) {
    return evaluate(data, with_keywords<EvaluateOptions>(keywords...));
  }
  /// Runs the model in inference mode over `x` in batches (32 rows unless given) and joins the
  /// results (one tensor per output).
  Tensor predict(const Tensor& x, PredictOptions options = {});
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 && (KeywordFor<K, PredictOptions> && ...)) Tensor
      predict(const Tensor& x, const K&... keywords) {
    return predict(x, with_keywords<PredictOptions>(keywords...));
  }
  std::vector<Tensor> predict(const std::vector<Tensor>& x, PredictOptions options = {});
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 && (KeywordFor<K, PredictOptions> &&
                                ...)) std::vector<Tensor> predict(const std::vector<Tensor>& x,
                                                                  const K&... keywords) {
    return predict(x, with_keywords<PredictOptions>(keywords...));
  }
  std::vector<Tensor> predict(const Dataset& data, PredictOptions options = {});
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 && (KeywordFor<K, PredictOptions> &&
                                ...)) std::vector<Tensor> predict(const Dataset& data,
                                                                  const K&... keywords) {
    return predict(data, with_keywords<PredictOptions>(keywords...));
  }
  std::vector<Tensor> predict(Sequence& data, PredictOptions options = {});
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 && (KeywordFor<K, PredictOptions> &&
                                ...)) std::vector<Tensor> predict(Sequence& data,
                                                                  const K&... keywords) {
    return predict(data, with_keywords<PredictOptions>(keywords...));
  }
  /// One gradient step on one batch; the logs of that batch alone (metrics are reset first).
  Logs train_on_batch(const Tensors& x, const Tensors& y, const Tensor& sample_weight = {},
                      const std::map<std::int64_t, double>& class_weight = {});
  /// The loss and metrics of one batch.
  Logs test_on_batch(const Tensors& x, const Tensors& y, const Tensor& sample_weight = {});
  std::vector<Tensor> predict_on_batch(const Tensors& x);

  /// What fit runs per batch: forward pass under a GradientTape, compute_loss, apply the
  /// gradients, update the metrics. Override for custom training (GANs...).
  virtual void train_step(const Batch& batch);
  /// What evaluate runs per batch: forward pass, compute_loss, update the metrics.
  virtual void test_step(const Batch& batch);
  /// What predict runs per batch: the model's outputs in inference mode.
  virtual std::vector<Tensor> predict_step(const Batch& batch);
  /// The compiled losses (weighted) plus the losses layers added (regularisation); also adds the
  /// batch to the loss trackers.
  virtual Tensor compute_loss(const Batch& batch, const std::vector<Tensor>& y_pred);
  /// The model's outputs for these inputs, as a list.
  std::vector<Tensor> forward(const std::vector<Tensor>& x, bool training);

  /// Set by a callback to end fit after the current batch.
  bool stop_training = false;
  /// Set by a callback in on_train_begin to start this fit at a later epoch (BackupAndRestore
  /// does, as Keras' model._initial_epoch); fit clears it.
  std::optional<int> resume_at_epoch;
  optim::Optimizer& optimizer() const;
  /// The strategy this model trains under (Keras' model.distribute_strategy): the one whose scope
  /// was current when the model was made or compiled; none for one replica.
  const std::optional<distribute::Strategy>& distribute_strategy() const { return strategy_; }
  /// Whether this worker prints and writes files: the strategy's chief, or the one worker there
  /// is without a strategy.
  bool is_chief_worker() const { return !strategy_ || strategy_->is_chief(); }
  /// The loss trackers and compiled metrics (after the first batch), as Keras' model.metrics.
  std::vector<std::shared_ptr<metrics::Metric>> metrics() const;
  /// Resets every metric (fit and evaluate do at the start of each epoch and run).
  void reset_metrics();
  /// Whether a logged value ("val_accuracy") gets better upwards (for callbacks' mode "auto").
  std::optional<metrics::Direction> metric_direction(const std::string& name) const;
  /// Names of the inputs and outputs (layer names for a functional model).
  std::vector<std::string> input_names() const;
  std::vector<std::string> output_names() const;

  // --- weights (weights_io.cpp) ----------------------------------------------------------------
  /// Writes the weights (and, with include_optimizer, the optimizer's state) to a safetensors
  /// file, through a temporary file and a rename; a name ending in .weights.h5 writes Keras 3's
  /// weights file instead (with the optimizer's variables when compiled, as Keras does), and .h5
  /// Keras 2's (weights only; layers/keras_files.h).
  void save_weights(const std::string& path, bool include_optimizer = false) const;
  /// Reads weights saved by save_weights, or by Keras (.weights.h5, .h5, .keras), into this model
  /// (built, same architecture); an optimizer state in the file (safetensors, .weights.h5, .keras)
  /// is restored when the model is compiled. Weights that do not fit throw and change nothing.
  void load_weights(const std::string& path);

  // --- architecture and saving (model_config.cpp, saving.cpp)
  // -------------------------------------
  /// Keras' get_config: for a functional model its layers and how they connect ("layers" with
  /// "inbound_nodes", "input_layers", "output_layers"); for a subclassed model its own arguments
  /// (override get_config, give it a static from_config and register it to make it loadable).
  Config get_config() const override;
  /// A functional model from the get_config() of one (Keras' Model.from_config). Layers come
  /// from layer_from_config: custom ones need register_layer or a CustomObjectScope.
  static Handle<Model> from_config(const Config& config);
  /// The architecture as JSON text: {"class_name", "config", "build_config"} (Keras' to_json;
  /// keras::model_from_json reads it back). `indent` < 0 writes one line.
  std::string to_json(int indent = -1) const;
  /// Writes the whole model into the folder `path`: config.json (architecture, compile()'s
  /// arguments, build shapes) and model.safetensors (weights and, if compiled, the optimizer's
  /// state); keras::load_model reads it back and training continues where it stopped. The folder
  /// is written beside and renamed into place, so a failed save leaves the old one whole. A path
  /// ending in .keras or .h5/.hdf5 writes Keras' own file instead (layers/keras_files.h).
  void save(const std::string& path, SaveOptions options = {}) const;
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 &&
           (KeywordFor<K, SaveOptions> && ...)) void save(const std::string& path,
                                                          const K&... keywords) const {
    return save(path, with_keywords<SaveOptions>(keywords...));
  }

  /// Prints Keras' summary table: layers, output shapes, parameter counts and totals.
  void summary(std::ostream& out) const;
  void summary() const;
  std::string summary_string() const;
  /// A functional model's graph nodes in execution order (deepest first), inputs included
  /// (Keras' model._nodes; plot_model draws them).
  const std::vector<std::shared_ptr<const Node>>& graph_nodes() const { return nodes_in_order_; }

 protected:
  /// Makes this model the functional graph between `inputs` and `outputs` (replacing any earlier).
  void set_graph(std::vector<KerasTensor> inputs, std::vector<KerasTensor> outputs);
  /// Runs the functional graph.
  std::vector<Tensor> run_graph(const std::vector<Tensor>& inputs, bool training);
  /// Whether the summary may use the sequential layout, by Keras' rule: one node at each depth
  /// (several outputs at different depths still count), none with several inputs, no layer
  /// shared.
  bool sequential_like() const;
  /// Accept inputs of any batch size, whatever the graph's inputs say: a Sequential built by a
  /// call keeps that call's batch size for its summary only, as Keras' does.
  void allow_any_batch_size() { any_batch_size_ = true; }

 private:
  /// {"input_shape": ...} of a subclassed model's first call (Keras' build_config), what loading
  /// needs to make its weights; null for a functional model or one never called.
  Config build_config() const;
  void require_compiled(const char* method) const;
  Device data_device() const;
  /// x and y as lists in the model's input and output order, checked (rows, names).
  std::pair<std::vector<Tensor>, std::vector<Tensor>> ordered_arrays(
      const Tensors& x, const Tensors& y, const Tensor& sample_weight,
      const std::string& method) const;
  std::unique_ptr<detail::DataAdapter> arrays_adapter(const Tensors& x, const Tensors& y,
                                                      const Tensor& sample_weight,
                                                      std::int64_t batch_size, bool shuffle,
                                                      const std::string& method) const;
  /// The adapter for fit's validation_data (nothing when none is given).
  std::unique_ptr<detail::DataAdapter> validation_adapter(const FitOptions& options,
                                                          std::int64_t default_batch_size) const;
  std::size_t input_count() const;
  std::size_t output_count_for_data() const;
  History run_fit(detail::DataAdapter& train, detail::DataAdapter* validation,
                  const FitOptions& options);
  Logs run_evaluate(detail::DataAdapter& data, std::optional<std::int64_t> steps,
                    callbacks::CallbackList& callbacks);
  /// evaluate() on an adapter: its callbacks (progress bar included) around run_evaluate.
  Logs evaluate_adapter(detail::DataAdapter& data, const EvaluateOptions& options);
  std::vector<Tensor> run_predict(detail::DataAdapter& data, const PredictOptions& options);
  std::vector<Logs::Entry> logs_now() const;
  /// The compiled steps, made afresh when the layers or weights changed since they were traced.
  detail::StepFunctions& step_functions();
  /// What the step functions depend on: the layers, the trainable and non-trainable weights.
  std::string step_fingerprint() const;
  /// One execution (steps_per_execution batches) of a step function.
  std::vector<std::vector<Tensor>> run_execution(
      detail::StepFunctions& functions, detail::StepFunction& function,
      const std::vector<Batch>& batches,
      const std::function<std::vector<Tensor>(const Batch&)>& step);
  /// A train or test execution: `step` on each batch, split across the replicas when there are
  /// several.
  void run_replicated_execution(detail::StepFunctions& functions, detail::StepFunction& function,
                                const std::vector<Batch>& batches,
                                void (Model::*step)(const Batch&));
  void run_train_execution(detail::StepFunctions& functions, const std::vector<Batch>& batches);
  void run_test_execution(detail::StepFunctions& functions, const std::vector<Batch>& batches);
  std::vector<std::vector<Tensor>> run_predict_execution(detail::StepFunctions& functions,
                                                         const std::vector<Batch>& batches);

  // --- several replicas (distributed_training.cpp)
  // ------------------------------------------------
  /// Whether a strategy of more than one replica trains this model.
  bool distributed() const;
  /// This replica's rows of each global batch, with its share set.
  std::vector<Batch> replica_batches(const std::vector<Batch>& batches) const;
  /// Gives every replica rank 0's weights when they changed (were made, added) since the last
  /// time, building the model on `batches` first when it has none yet.
  void synchronize_replica_weights(const std::vector<Batch>& batches);
  /// Sums the metrics' states over the replicas and keeps the logs they give (logs_now()).
  void aggregate_replica_logs();
  /// Whether any replica asks to stop (a callback set stop_training on it).
  bool any_replica_stops(bool stop) const;

  std::shared_ptr<detail::CompiledState> compiled_;
  std::shared_ptr<detail::StepFunctions> step_functions_;
  std::optional<distribute::Strategy> strategy_ = distribute::current_strategy();
  std::string replica_weights_synced_;  // step_fingerprint() when weights were last broadcast
  std::optional<std::vector<Logs::Entry>> replica_logs_;
  bool run_eagerly_ = false;
  bool jit_compile_ = false;
  std::int64_t steps_per_execution_ = 1;
  std::vector<KerasTensor> graph_inputs_, graph_outputs_;
  std::vector<std::shared_ptr<const Node>> nodes_in_order_;
  std::vector<int> node_depths_;  // of nodes_in_order_: the longest distance to an output
  std::vector<LayerHandle> graph_layers_;
  bool any_batch_size_ = false;
};

}  // namespace ember::keras
