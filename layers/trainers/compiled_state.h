// What Model::compile sets up: the optimizer, one loss (with its weight) and the metrics for each
// output, and the trackers that average the losses over an epoch. Names resolve on the first
// batch, when the shapes of targets and predictions are known ("accuracy" becomes categorical,
// sparse or binary accuracy, as in Keras).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/tensor.h"
#include "layers/callbacks/logs.h"
#include "layers/trainers/training_options.h"

namespace ember::keras::detail {

class CompiledState {
 public:
  CompiledState(CompileOptions options, const Device& device);

  optim::Optimizer& optimizer() const { return *optimizer_; }
  /// compile()'s arguments as JSON for Model::save (compile_config.h); ember::Error saying which
  /// argument has no config (a C++ function) when they cannot be saved.
  Config saved_config() const;
  const std::shared_ptr<optim::Optimizer>& optimizer_ptr() const { return optimizer_; }
  bool built() const { return built_; }
  /// Resolves the losses and metrics for these outputs (names as the model gives them).
  void build(const std::vector<std::string>& output_names, const std::vector<Tensor>& y,
             const std::vector<Tensor>& y_pred);

  /// Σ loss_weight·loss(y, y_pred) over the outputs that have a loss; undefined when none has.
  /// Keeps the per-output values for update_trackers().
  Tensor compiled_loss(const std::vector<Tensor>& y, const std::vector<Tensor>& y_pred,
                       const Tensor& sample_weight);
  /// Adds a batch to the loss trackers (weighted by its rows, as Keras).
  void update_loss_trackers(const Tensor& total, std::int64_t batch_size);
  /// Adds a batch to the compiled metrics and the values layers reported with add_metric.
  void update_metrics(const std::vector<Tensor>& y, const std::vector<Tensor>& y_pred,
                      const Tensor& sample_weight,
                      const std::vector<std::pair<std::string, Tensor>>& layer_metrics);
  void reset();

  /// The values so far, in Keras' evaluate order: loss, per-output losses, metrics, add_metric
  /// values. Reading waits for the device.
  std::vector<Logs::Entry> results() const;
  /// The loss trackers and metrics (Keras' model.metrics).
  std::vector<std::shared_ptr<metrics::Metric>> metrics() const;
  /// Whether a logged name improves upwards or downwards, if it names a metric.
  std::optional<metrics::Direction> direction_of(const std::string& name) const;

 private:
  struct Output {
    std::string name;
    std::shared_ptr<const losses::Loss> loss;
    double loss_weight = 1.0;
    std::vector<std::shared_ptr<metrics::Metric>> metrics, weighted_metrics;
    std::shared_ptr<metrics::Mean> loss_tracker;  // only with several outputs
    Tensor last_loss;
  };
  /// The metrics of output `index` (named `output`) of `outputs`.
  std::vector<metrics::MetricRef> metric_refs_for(const MetricsSpec& spec,
                                                  const std::string& output, std::size_t index,
                                                  std::size_t outputs) const;

  CompileOptions options_;
  Config saved_arguments_;
  std::string unsaved_reason_;
  Device device_;
  std::shared_ptr<optim::Optimizer> optimizer_;
  bool built_ = false;
  std::vector<Output> outputs_;
  std::shared_ptr<metrics::Mean> loss_tracker_;
  std::vector<std::shared_ptr<metrics::Mean>> layer_metric_trackers_;
};

}  // namespace ember::keras::detail
