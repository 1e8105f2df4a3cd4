// The compiled step of fit, evaluate and predict (internal): Keras' train_function,
// test_function and predict_function. Unless the model runs eagerly, an execution (one batch, or
// steps_per_execution of them) is traced once per signature of its batches (shapes, dtypes,
// devices, and which of x, y and sample weights it has) into a graph function, and later
// executions with that signature replay the graph: the step's C++ code (train_step, the layers'
// call, compute_loss, the metrics) runs only while tracing.
//
// Two rules keep replays equal to eager steps:
//   - A step function's first execution runs eagerly. Layers make their weights, the optimizer
//     its slots and the metrics their variables on first use; made inside a trace, a weight's
//     initial value would be a traced random draw that every replay drew again.
//   - A step that reads a traced value on the host (item(), to_vector() inside a user's
//     train_step) cannot be replayed: the value read while tracing would be used for ever. Such
//     a step warns once, naming the read, and runs eagerly from then on.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/function/function.h"
#include "layers/trainers/data_adapter.h"

namespace ember::keras::detail {

class StepFunction {
 public:
  /// One step on one batch, returning its tensors (predict's outputs; nothing for training).
  using Step = std::function<std::vector<Tensor>(const Batch&)>;

  /// `step_name`: "train_step" (named in warnings); `method`: "fit".
  StepFunction(std::string step_name, std::string method);

  /// Runs `step` on each batch in order, eagerly or through the traced graph of this signature;
  /// the results are each batch's tensors.
  std::vector<std::vector<Tensor>> run(const std::vector<Batch>& batches, bool eagerly,
                                       const Step& step);

  /// Whether the first (eager) execution has run.
  bool warmed_up() const { return warmed_up_; }
  /// Traces made so far (one per signature).
  int tracing_count() const { return core_.tracing_count(); }
  /// Why the step runs eagerly although the model does not ask it to; empty when it does not.
  const std::string& eager_reason() const { return eager_reason_; }

 private:
  std::vector<std::vector<Tensor>> run_eagerly(const std::vector<Batch>& batches,
                                               const Step& step) const;

  std::string step_name_, method_;
  ember::detail::FunctionCore core_;
  bool warmed_up_ = false;
  std::string eager_reason_;
};

/// The step functions of a model, made again when its layers, weights or their trainable flags
/// change (what a trace captured would be stale).
struct StepFunctions {
  StepFunction train{"train_step", "fit"};
  StepFunction test{"test_step", "evaluate"};
  StepFunction predict{"predict_step", "predict"};
  std::string fingerprint;
};

}  // namespace ember::keras::detail
