// Metrics (keras.metrics): stateful measurements that accumulate over batches. update_state()
// adds a batch, result() gives the value so far, reset_state() starts again. The state lives in
// variables on the device of the data, so a training loop on the GPU accumulates there and reads
// only when it displays.
//
//   metrics::SparseCategoricalAccuracy accuracy;
//   for (auto& batch : test) accuracy.update_state(batch[1], model(batch[0]));
//   std::cout << accuracy.result().item<float>();
//
// A user metric derives from Metric and makes its state with add_weight (the lesson's
// CategoricalTruePositives); see docs/training.md.
//
// Metrics are handles to their state: a copy shares the variables (as a Python reference would);
// clone() makes an independent one with the same configuration.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "core/tensor.h"
#include "core/variable.h"
#include "layers/engine/config.h"
#include "layers/initializers.h"
#include "layers/keywords.h"

namespace ember::metrics {

/// Which way a metric improves; callbacks in mode "auto" maximise "up" metrics.
enum class Direction { up, down };

class Metric {
 public:
  explicit Metric(std::string name = "");
  virtual ~Metric() = default;

  /// Adds a batch: targets, predictions and optional per-sample weights.
  virtual void update_state(const Tensor& y_true, const Tensor& y_pred,
                            const Tensor& sample_weight = {});
  /// The value so far (a scalar tensor; the array of values for metrics with several thresholds).
  virtual Tensor result() const = 0;
  /// Sets every variable made by add_weight back to zero (Keras' reset_state).
  virtual void reset_state();

  const std::string& name() const;
  void set_name(std::string name) { name_ = std::move(name); }
  const std::vector<Variable>& variables() const { return variables_; }
  virtual std::string class_name() const;
  virtual keras::Config get_config() const;
  virtual Direction direction() const { return Direction::up; }
  /// A new metric with this one's configuration and fresh state (compile uses it to give every
  /// output its own copy). Built-in metrics have it; a user metric overrides it to be used for
  /// several outputs from one object.
  virtual std::shared_ptr<Metric> clone() const;

 protected:
  /// A state variable, zero at first and after reset_state().
  Variable add_weight(const std::string& name, const Shape& shape = {},
                      const initializers::InitializerRef& initializer = "zeros",
                      DType dtype = float32);

 private:
  mutable std::string name_;
  std::vector<Variable> variables_;
};

// --- reducing metrics
// ------------------------------------------------------------------------------

/// The (weighted) mean of the values given: Σ w·v / Σ w.
class Mean : public Metric {
 public:
  explicit Mean(std::string name = "mean");
  /// Adds values (any shape; each sample's values are averaged first) with optional weights.
  void update_state(const Tensor& values, const Tensor& sample_weight = {});
  /// (y_true, y_pred) is not Mean's: an Error, as Metric's. Declared without a default so that
  /// update_state(values, weights) has one meaning (with the inherited default it was ambiguous,
  /// which clang rightly refuses).
  void update_state(const Tensor& y_true, const Tensor& y_pred,
                    const Tensor& sample_weight) override;
  Tensor result() const override;
  std::shared_ptr<Metric> clone() const override { return std::make_shared<Mean>(name()); }
  std::string class_name() const override { return "Mean"; }

 protected:
  Variable total_, count_;
};

/// The (weighted) sum of the values given.
class Sum : public Metric {
 public:
  explicit Sum(std::string name = "sum");
  void update_state(const Tensor& values, const Tensor& sample_weight = {});
  /// As Mean's: an Error.
  void update_state(const Tensor& y_true, const Tensor& y_pred,
                    const Tensor& sample_weight) override;
  Tensor result() const override;
  std::shared_ptr<Metric> clone() const override { return std::make_shared<Sum>(name()); }
  std::string class_name() const override { return "Sum"; }

 private:
  Variable total_;
};

/// A per-sample function `(y_true, y_pred) -> values`, averaged with Mean's weighting.
using MetricFunction = std::function<Tensor(const Tensor& y_true, const Tensor& y_pred)>;

class MeanMetricWrapper : public Mean {
 public:
  MeanMetricWrapper(MetricFunction function, std::string name, Direction direction = Direction::up);
  void update_state(const Tensor& y_true, const Tensor& y_pred,
                    const Tensor& sample_weight = {}) override;
  std::shared_ptr<Metric> clone() const override;
  std::string class_name() const override { return "MeanMetricWrapper"; }
  Direction direction() const override { return direction_; }

 private:
  MetricFunction function_;
  Direction direction_;
};

// --- per-sample metric functions -----------------------------------------------------------------
/// 1 where y_true == y_pred.
Tensor accuracy(const Tensor& y_true, const Tensor& y_pred);
/// 1 where (y_pred > threshold) equals y_true, averaged over the last axis.
Tensor binary_accuracy(const Tensor& y_true, const Tensor& y_pred, double threshold = 0.5);
/// 1 where argmax(y_true) == argmax(y_pred) on the last axis.
Tensor categorical_accuracy(const Tensor& y_true, const Tensor& y_pred);
/// 1 where the class index y_true == argmax(y_pred).
Tensor sparse_categorical_accuracy(const Tensor& y_true, const Tensor& y_pred);
/// 1 where the true class is among the k largest predictions (ties with the k-th count as in).
Tensor top_k_categorical_accuracy(const Tensor& y_true, const Tensor& y_pred, std::int64_t k = 5);
Tensor sparse_top_k_categorical_accuracy(const Tensor& y_true, const Tensor& y_pred,
                                         std::int64_t k = 5);

// --- accuracy metrics ---------------------------------------------------------------------------
class Accuracy final : public MeanMetricWrapper {
 public:
  explicit Accuracy(std::string name = "accuracy");
  std::shared_ptr<Metric> clone() const override { return std::make_shared<Accuracy>(name()); }
  std::string class_name() const override { return "Accuracy"; }
};
struct BinaryAccuracyOptions {
  std::string name = "binary_accuracy";
  double threshold = 0.5;
};
class BinaryAccuracy final : public MeanMetricWrapper {
 public:
  explicit BinaryAccuracy(BinaryAccuracyOptions options = {});
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 && (KeywordFor<K, BinaryAccuracyOptions> &&
                                ...)) explicit BinaryAccuracy(const K&... keywords)
      : BinaryAccuracy(with_keywords<BinaryAccuracyOptions>(keywords...)) {}
  std::shared_ptr<Metric> clone() const override;
  std::string class_name() const override { return "BinaryAccuracy"; }
  keras::Config get_config() const override;

 private:
  double threshold_;
};
class CategoricalAccuracy final : public MeanMetricWrapper {
 public:
  explicit CategoricalAccuracy(std::string name = "categorical_accuracy");
  std::shared_ptr<Metric> clone() const override {
    return std::make_shared<CategoricalAccuracy>(name());
  }
  std::string class_name() const override { return "CategoricalAccuracy"; }
};
class SparseCategoricalAccuracy final : public MeanMetricWrapper {
 public:
  explicit SparseCategoricalAccuracy(std::string name = "sparse_categorical_accuracy");
  std::shared_ptr<Metric> clone() const override {
    return std::make_shared<SparseCategoricalAccuracy>(name());
  }
  std::string class_name() const override { return "SparseCategoricalAccuracy"; }
};
struct TopKOptions {
  std::int64_t k = 5;
  std::string name = "";
};
class TopKCategoricalAccuracy final : public MeanMetricWrapper {
 public:
  explicit TopKCategoricalAccuracy(TopKOptions options = {});
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 && (KeywordFor<K, TopKOptions> &&
                                ...)) explicit TopKCategoricalAccuracy(const K&... keywords)
      : TopKCategoricalAccuracy(with_keywords<TopKOptions>(keywords...)) {}
  std::shared_ptr<Metric> clone() const override;
  std::string class_name() const override { return "TopKCategoricalAccuracy"; }
  keras::Config get_config() const override;

 private:
  std::int64_t k_;
};
class SparseTopKCategoricalAccuracy final : public MeanMetricWrapper {
 public:
  explicit SparseTopKCategoricalAccuracy(TopKOptions options = {});
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 && (KeywordFor<K, TopKOptions> &&
                                ...)) explicit SparseTopKCategoricalAccuracy(const K&... keywords)
      : SparseTopKCategoricalAccuracy(with_keywords<TopKOptions>(keywords...)) {}
  std::shared_ptr<Metric> clone() const override;
  std::string class_name() const override { return "SparseTopKCategoricalAccuracy"; }
  keras::Config get_config() const override;

 private:
  std::int64_t k_;
};

// --- regression and loss metrics ---------------------------------------------------------------
class MeanSquaredError final : public MeanMetricWrapper {
 public:
  explicit MeanSquaredError(std::string name = "mean_squared_error");
  std::shared_ptr<Metric> clone() const override {
    return std::make_shared<MeanSquaredError>(name());
  }
  std::string class_name() const override { return "MeanSquaredError"; }
};
class MeanAbsoluteError final : public MeanMetricWrapper {
 public:
  explicit MeanAbsoluteError(std::string name = "mean_absolute_error");
  std::shared_ptr<Metric> clone() const override {
    return std::make_shared<MeanAbsoluteError>(name());
  }
  std::string class_name() const override { return "MeanAbsoluteError"; }
};
/// √(mean squared error) over everything seen.
class RootMeanSquaredError final : public Mean {
 public:
  explicit RootMeanSquaredError(std::string name = "root_mean_squared_error");
  void update_state(const Tensor& y_true, const Tensor& y_pred,
                    const Tensor& sample_weight = {}) override;
  Tensor result() const override;
  std::shared_ptr<Metric> clone() const override {
    return std::make_shared<RootMeanSquaredError>(name());
  }
  std::string class_name() const override { return "RootMeanSquaredError"; }
  Direction direction() const override { return Direction::down; }
};
/// The mean of a loss function as a metric ("categorical_crossentropy" in metrics).
class LossMetric final : public MeanMetricWrapper {
 public:
  /// `loss_name` is a Keras loss name (see losses::get).
  explicit LossMetric(const std::string& loss_name, std::string name = "");
  std::shared_ptr<Metric> clone() const override {
    return std::make_shared<LossMetric>(loss_name_, name());
  }
  std::string class_name() const override { return "LossMetric"; }

 private:
  std::string loss_name_;
};

// --- confusion-matrix metrics (confusion.cpp) -------------------------------------------
struct PrecisionRecallOptions {
  /// A prediction counts as positive when it is greater than the threshold; several thresholds
  /// give one result per threshold. Default 0.5 (or none with top_k).
  std::vector<double> thresholds = {};
  /// Only the k largest predictions of each row count as positive.
  std::optional<std::int64_t> top_k = std::nullopt;
  /// Only this class (column) is measured.
  std::optional<std::int64_t> class_id = std::nullopt;
  std::string name = "";
};

/// The counts behind Precision, Recall and AUC: true/false positives and negatives per threshold.
class ConfusionMatrixMetric : public Metric {
 public:
  void update_state(const Tensor& y_true, const Tensor& y_pred,
                    const Tensor& sample_weight = {}) override;

 protected:
  ConfusionMatrixMetric(std::string name, std::vector<double> thresholds,
                        std::optional<std::int64_t> top_k, std::optional<std::int64_t> class_id,
                        bool from_logits);
  /// The counts as float64 on the host (for result()).
  std::vector<double> read(const Variable& counts) const;
  std::vector<double> thresholds_;
  std::optional<std::int64_t> top_k_, class_id_;
  bool from_logits_;
  Variable true_positives_, false_positives_, true_negatives_, false_negatives_;
  Tensor thresholds_tensor_;  // [K, 1] on the device of the last batch
};

/// TP / (TP + FP) (0 when there are no positive predictions).
class Precision final : public ConfusionMatrixMetric {
 public:
  explicit Precision(PrecisionRecallOptions options = {});
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 &&
           (KeywordFor<K, PrecisionRecallOptions> && ...)) explicit Precision(const K&... keywords)
      : Precision(with_keywords<PrecisionRecallOptions>(keywords...)) {}
  Tensor result() const override;
  std::shared_ptr<Metric> clone() const override { return std::make_shared<Precision>(options_); }
  std::string class_name() const override { return "Precision"; }
  keras::Config get_config() const override;

 private:
  PrecisionRecallOptions options_;
};

/// TP / (TP + FN) (0 when there are no positives).
class Recall final : public ConfusionMatrixMetric {
 public:
  explicit Recall(PrecisionRecallOptions options = {});
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 &&
           (KeywordFor<K, PrecisionRecallOptions> && ...)) explicit Recall(const K&... keywords)
      : Recall(with_keywords<PrecisionRecallOptions>(keywords...)) {}
  Tensor result() const override;
  std::shared_ptr<Metric> clone() const override { return std::make_shared<Recall>(options_); }
  std::string class_name() const override { return "Recall"; }
  keras::Config get_config() const override;

 private:
  PrecisionRecallOptions options_;
};

struct AUCOptions {
  std::int64_t num_thresholds = 200;
  /// "ROC" or "PR".
  std::string curve = "ROC";
  /// "interpolation" (trapezoids for ROC, Davis & Goadrich's interpolation for PR), "minoring"
  /// or "majoring".
  std::string summation_method = "interpolation";
  std::string name = "auc";
  /// Predictions are logits: a sigmoid is applied first.
  bool from_logits = false;
};

/// The area under the ROC or precision-recall curve, from counts at num_thresholds thresholds
/// spread evenly over [0, 1] (Keras' AUC; labels and predictions are flattened).
class AUC final : public ConfusionMatrixMetric {
 public:
  explicit AUC(AUCOptions options = {});
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 &&
           (KeywordFor<K, AUCOptions> && ...)) explicit AUC(const K&... keywords)
      : AUC(with_keywords<AUCOptions>(keywords...)) {}
  Tensor result() const override;
  std::shared_ptr<Metric> clone() const override { return std::make_shared<AUC>(options_); }
  std::string class_name() const override { return "AUC"; }
  keras::Config get_config() const override;

 private:
  AUCOptions options_;
};

// --- lookup
// -----------------------------------------------------------------------------------------

/// The metric called `name`, fresh. "accuracy"/"acc" needs the shapes (see MetricRef) and here
/// means Accuracy. Unknown names are an error listing the known ones.
std::shared_ptr<Metric> get(const std::string& name);

/// What compile accepts as a metric: a name, a Metric object (by value or shared pointer), or a
/// per-sample function.
class MetricRef {
 public:
  MetricRef(const char* name);         // NOLINT: implicit, `.metrics = {"accuracy"}`
  MetricRef(const std::string& name);  // NOLINT
  template <class M>
  requires std::is_base_of_v<Metric, M> MetricRef(M metric)
      : metric_(std::make_shared<M>(std::move(metric))) {}  // NOLINT
  template <class M>
  requires std::is_base_of_v<Metric, M> MetricRef(std::shared_ptr<M> metric)
      : metric_(std::move(metric)) {}  // NOLINT
  MetricRef(Tensor (*function)(const Tensor&, const Tensor&), std::string name);
  MetricRef(MetricFunction function, std::string name);

  /// The metric for these targets and predictions: "accuracy" and "acc" become binary, sparse
  /// or categorical accuracy as Keras chooses from the shapes; names give fresh metrics; an
  /// object is itself the first time and a clone() after (for the next output).
  std::shared_ptr<Metric> resolve(const Shape& y_true, const Shape& y_pred) const;
  /// The name it was given by ("accuracy"; empty for an object or a function).
  const std::string& given_name() const { return name_; }
  /// The metric object given (null for a name).
  const std::shared_ptr<Metric>& object() const { return metric_; }

 private:
  std::shared_ptr<Metric> metric_;
  std::string name_;
  mutable bool handed_out_ = false;
};

}  // namespace ember::metrics
