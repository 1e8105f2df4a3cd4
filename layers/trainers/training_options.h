// The arguments of Model::compile, fit, evaluate and predict, named as Keras' and with Keras'
// defaults; they are given as keyword arguments in any order (docs/keywords.md):
//
//   model.compile(_optimizer = "adam", _loss = "categorical_crossentropy", _metrics =
//   {"accuracy"}); model.fit(x, y, _epochs = 5, _batch_size = 64, _validation_split = 0.2);
#pragma once

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/keywords.h"
#include "core/tensor.h"
#include "io/data/dataset.h"
#include "layers/callbacks/callbacks.h"
#include "layers/keywords.h"
#include "layers/losses/losses.h"
#include "layers/metrics/metrics.h"
#include "optim/optimizers.h"

namespace ember::keras {

/// An optimizer by Keras name ("adam") or object (by value, copied; or shared).
class OptimizerRef {
 public:
  OptimizerRef(const char* name);         // NOLINT: implicit, `.optimizer = "adam"`
  OptimizerRef(const std::string& name);  // NOLINT
  template <class O>
  requires std::is_base_of_v<optim::Optimizer, O> OptimizerRef(O optimizer)
      : optimizer_(std::make_shared<O>(std::move(optimizer))) {}  // NOLINT
  template <class O>
  requires std::is_base_of_v<optim::Optimizer, O> OptimizerRef(std::shared_ptr<O> optimizer)
      : optimizer_(std::move(optimizer)) {}  // NOLINT
  const std::shared_ptr<optim::Optimizer>& get() const { return optimizer_; }

 private:
  std::shared_ptr<optim::Optimizer> optimizer_;
};

/// compile's `loss`: one loss (for every output), a list (one per output, empty entries for
/// outputs without a loss) or a map by output name.
class LossSpec {
 public:
  LossSpec() = default;
  LossSpec(const char* name) : single_(name) {}                 // NOLINT
  LossSpec(const std::string& name) : single_(name) {}          // NOLINT
  LossSpec(losses::LossRef loss) : single_(std::move(loss)) {}  // NOLINT
  template <class L>
  requires std::is_base_of_v<losses::Loss, L> LossSpec(L loss)
      : single_(std::move(loss)) {}  // NOLINT
  template <class L>
  requires std::is_base_of_v<losses::Loss, L> LossSpec(std::shared_ptr<L> loss)
      : single_(std::move(loss)) {}                                                  // NOLINT
  LossSpec(Tensor (*function)(const Tensor&, const Tensor&)) : single_(function) {}  // NOLINT
  template <class F>
  requires(std::is_invocable_r_v<Tensor, F, const Tensor&, const Tensor&> &&
           !std::is_convertible_v<F, Tensor (*)(const Tensor&, const Tensor&)> &&
           !std::is_base_of_v<losses::Loss, F>) LossSpec(F function)
      : single_(losses::LossFunction(std::move(function))) {}  // NOLINT
  LossSpec(std::initializer_list<losses::LossRef> list) : list_(list), kind_(Kind::list) {}
  LossSpec(std::vector<losses::LossRef> list)
      : list_(std::move(list)), kind_(Kind::list) {}  // NOLINT
  LossSpec(std::initializer_list<std::pair<const std::string, losses::LossRef>> named)
      : named_(named), kind_(Kind::named) {}
  LossSpec(std::map<std::string, losses::LossRef> named)
      : named_(std::move(named)), kind_(Kind::named) {}  // NOLINT

  enum class Kind { single, list, named };
  Kind kind() const { return kind_; }
  bool empty() const { return kind_ == Kind::single && !single_; }
  const losses::LossRef& single() const { return single_; }
  const std::vector<losses::LossRef>& list() const { return list_; }
  const std::map<std::string, losses::LossRef>& named() const { return named_; }

 private:
  losses::LossRef single_;
  std::vector<losses::LossRef> list_;
  std::map<std::string, losses::LossRef> named_;
  Kind kind_ = Kind::single;
};

/// compile's `loss_weights`: a list (one per output) or a map by output name; 1 where absent.
class LossWeights {
 public:
  LossWeights() = default;
  LossWeights(std::initializer_list<double> list) : list_(list) {}
  LossWeights(std::vector<double> list) : list_(std::move(list)) {}  // NOLINT
  LossWeights(std::initializer_list<std::pair<const std::string, double>> named) : named_(named) {}
  LossWeights(std::map<std::string, double> named) : named_(std::move(named)) {}  // NOLINT
  const std::vector<double>& list() const { return list_; }
  const std::map<std::string, double>& named() const { return named_; }

 private:
  std::vector<double> list_;
  std::map<std::string, double> named_;
};

/// compile's `metrics`: a list (applied to every output, as TF 2's Keras did) or a map from output
/// name to that output's list (an empty list: none, Keras' None).
class MetricsSpec {
 public:
  MetricsSpec() = default;
  MetricsSpec(std::initializer_list<metrics::MetricRef> list) : list_(list) {}
  MetricsSpec(std::vector<metrics::MetricRef> list) : list_(std::move(list)) {}  // NOLINT
  MetricsSpec(
      std::initializer_list<std::pair<const std::string, std::vector<metrics::MetricRef>>> named)
      : named_(named), by_name_(true) {}
  MetricsSpec(std::map<std::string, std::vector<metrics::MetricRef>> named)  // NOLINT
      : named_(std::move(named)), by_name_(true) {}
  bool by_name() const { return by_name_; }
  const std::vector<metrics::MetricRef>& list() const { return list_; }
  const std::map<std::string, std::vector<metrics::MetricRef>>& named() const { return named_; }

 private:
  std::vector<metrics::MetricRef> list_;
  std::map<std::string, std::vector<metrics::MetricRef>> named_;
  bool by_name_ = false;
};

/// compile's `jit_compile`: true, false or "auto" (Keras' default). Model::compile resolves
/// "auto" as Keras does: false when run_eagerly is set, true otherwise.
class JitCompile {
 public:
  JitCompile(bool on) : value_(on ? Value::on : Value::off) {}  // NOLINT: `.jit_compile = false`
  /// "auto" (ember::Error for any other text).
  JitCompile(const char* text);         // NOLINT: `.jit_compile = "auto"`
  JitCompile(const std::string& text);  // NOLINT
  bool is_auto() const { return value_ == Value::automatic; }
  /// Whether it is true (false for "auto": resolve it first).
  bool on() const { return value_ == Value::on; }

 private:
  enum class Value { automatic, on, off };
  Value value_;
};

struct CompileOptions {
  OptimizerRef optimizer = "rmsprop";
  LossSpec loss = {};
  LossWeights loss_weights = {};
  /// Metrics computed without sample weights.
  MetricsSpec metrics = {};
  /// Metrics weighted by sample_weight / class_weight.
  MetricsSpec weighted_metrics = {};
  /// Run train_step, test_step and predict_step as plain C++ every batch. By default (false)
  /// fit, evaluate and predict trace each step once per batch signature into a graph and replay
  /// it (docs/training.md, "The compiled step"): a step's C++ code then runs only while tracing,
  /// as in Keras with tf.function.
  bool run_eagerly = false;
  /// Batches per traced execution: N steps are traced into one graph, and callbacks' batch hooks
  /// and the progress bar run once per N batches (begin: the first step, end: the last).
  std::int64_t steps_per_execution = 1;
  /// Keras' XLA switch. ember traces the step whenever run_eagerly is false; jit_compile is
  /// resolved, kept and saved as Keras does, and asks for the traced graph's compilation, which
  /// today is the graph function's (pruning, merging, constant folding) either way.
  JitCompile jit_compile = "auto";
};

/// Inputs or targets: one tensor, a list (one per model input or output), or a map by name.
class Tensors {
 public:
  Tensors() = default;
  Tensors(const Tensor& tensor) : list_{tensor} {}               // NOLINT
  Tensors(const Variable& tensor) : list_{tensor.value()} {}     // NOLINT
  Tensors(std::vector<Tensor> list) : list_(std::move(list)) {}  // NOLINT
  Tensors(std::initializer_list<Tensor> list) : list_(list) {}
  Tensors(std::map<std::string, Tensor> named) : named_(std::move(named)) {}  // NOLINT
  Tensors(std::initializer_list<std::pair<const std::string, Tensor>> named) : named_(named) {}

  bool empty() const { return list_.empty() && named_.empty(); }
  bool by_name() const { return !named_.empty(); }
  const std::vector<Tensor>& list() const { return list_; }
  const std::map<std::string, Tensor>& named() const { return named_; }
  /// The tensors in the order of `names` (a map must hold exactly these names; a list must have
  /// as many entries). `what` names the argument in errors ("fit: y").
  std::vector<Tensor> ordered(const std::vector<std::string>& names, const std::string& what) const;

 private:
  std::vector<Tensor> list_;
  std::map<std::string, Tensor> named_;
};

/// fit's `validation_data`: arrays (x, y[, sample_weight]) or a Dataset.
class ValidationData {
 public:
  ValidationData() = default;
  ValidationData(Tensors x, Tensors y, Tensor sample_weight = {})
      : x_(std::move(x)),
        y_(std::move(y)),
        sample_weight_(std::move(sample_weight)),
        given_(true) {}
  ValidationData(Dataset dataset) : dataset_(std::move(dataset)), given_(true) {}  // NOLINT
  bool given() const { return given_; }
  const Tensors& x() const { return x_; }
  const Tensors& y() const { return y_; }
  const Tensor& sample_weight() const { return sample_weight_; }
  const std::optional<Dataset>& dataset() const { return dataset_; }

 private:
  Tensors x_, y_;
  Tensor sample_weight_;
  std::optional<Dataset> dataset_;
  bool given_ = false;
};

struct FitOptions {
  /// Rows per batch for arrays (32 when absent); a Dataset or Sequence is already batched.
  std::optional<std::int64_t> batch_size = std::nullopt;
  int epochs = 1;
  /// 0 silent, 1 progress bar, 2 one line per epoch.
  int verbose = 1;
  std::vector<callbacks::CallbackRef> callbacks = {};
  /// The last fraction of the arrays (before shuffling) is held out for validation.
  double validation_split = 0.0;
  ValidationData validation_data = {};
  /// Arrays: a new random order every epoch; a Sequence: its batches in a random order. True
  /// unless given; a Dataset keeps its own order (giving shuffle for one prints a warning).
  std::optional<bool> shuffle = std::nullopt;
  /// Loss weight per class index (arrays and one output only).
  std::map<std::int64_t, double> class_weight = {};
  /// Loss weight per row of the arrays.
  Tensor sample_weight = {};
  int initial_epoch = 0;
  /// Batches per epoch; they are drawn in turn and the data is not restarted at each epoch.
  std::optional<std::int64_t> steps_per_epoch = std::nullopt;
  std::optional<std::int64_t> validation_steps = std::nullopt;
  std::optional<std::int64_t> validation_batch_size = std::nullopt;
  /// Validate every n epochs.
  int validation_freq = 1;
};

struct EvaluateOptions {
  std::optional<std::int64_t> batch_size = std::nullopt;
  int verbose = 1;
  Tensor sample_weight = {};
  std::optional<std::int64_t> steps = std::nullopt;
  std::vector<callbacks::CallbackRef> callbacks = {};
};

struct PredictOptions {
  std::optional<std::int64_t> batch_size = std::nullopt;
  int verbose = 1;
  std::optional<std::int64_t> steps = std::nullopt;
  std::vector<callbacks::CallbackRef> callbacks = {};
};

}  // namespace ember::keras

namespace ember {

// Keyword arguments (core/keywords.h) whose braced lists make these types.
inline constexpr auto _optimizer =
    keyword<keras::OptimizerRef>([](auto& o) -> auto& { return o.optimizer; });
inline constexpr auto _loss = keyword<keras::LossSpec>([](auto& o) -> auto& { return o.loss; });
inline constexpr auto _jit_compile =
    keyword<keras::JitCompile>([](auto& o) -> auto& { return o.jit_compile; });
inline constexpr auto _loss_weights =
    keyword<keras::LossWeights>([](auto& o) -> auto& { return o.loss_weights; });
inline constexpr auto _metrics =
    keyword<keras::MetricsSpec>([](auto& o) -> auto& { return o.metrics; });
inline constexpr auto _weighted_metrics =
    keyword<keras::MetricsSpec>([](auto& o) -> auto& { return o.weighted_metrics; });
inline constexpr auto _callbacks =
    keyword<std::vector<callbacks::CallbackRef>>([](auto& o) -> auto& { return o.callbacks; });
inline constexpr auto _validation_data =
    keyword<keras::ValidationData>([](auto& o) -> auto& { return o.validation_data; });

}  // namespace ember
