// Precision, Recall and AUC: counts of true/false positives/negatives per threshold, updated with
// tensor ops on the data's device; the ratios and areas are computed in float64 on the host
// from the (at most a few hundred) counts when result() is read.
#include <cmath>

#include "core/autodiff/gradient_tape.h"
#include "core/error.h"
#include "core/ops.h"
#include "layers/losses/loss_shapes.h"
#include "layers/losses/losses.h"
#include "layers/metrics/metrics.h"

namespace ember::metrics {

namespace {

std::vector<double> auc_thresholds(std::int64_t n) {
  if (n <= 1) throw Error(cat("AUC: num_thresholds must be > 1, got ", n));
  // Keras: 0 - eps, then (i + 1) / (n - 1) for the n - 2 inner ones, then 1 + eps, so that
  // predictions of exactly 0 and 1 fall inside.
  std::vector<double> t{0.0 - losses::kEpsilon};
  for (std::int64_t i = 0; i < n - 2; ++i)
    t.push_back(static_cast<double>(i + 1) / static_cast<double>(n - 1));
  t.push_back(1.0 + losses::kEpsilon);
  return t;
}

/// Keeps the k largest values of each row (the first of equal values winning, as tf.math.top_k)
/// and sets the others to -1e10 (Keras' _filter_top_k).
Tensor filter_top_k(const Tensor& x, std::int64_t k) {
  const std::int64_t classes = x.shape(-1);
  const DeviceScope on_device(x.device());
  const Tensor row = expand_dims(x, -1);  // [..., C, 1]: value i
  const Tensor col = expand_dims(x, -2);  // [..., 1, C]: value j
  // rank(i) = #{j : x_j > x_i} + #{j < i : x_j == x_i}
  const Tensor j_before_i = less(reshape(range(Scalar(classes)), {1, classes}),
                                 reshape(range(Scalar(classes)), {classes, 1}));
  const Tensor ahead = logical_or(greater(col, row), logical_and(equal(col, row), j_before_i));
  const Tensor rank = reduce_sum(cast(ahead, float32), {-1});
  return where(less(rank, static_cast<double>(k)), x, fill(x.shape(), Scalar(-1e10)));
}

}  // namespace

ConfusionMatrixMetric::ConfusionMatrixMetric(std::string name, std::vector<double> thresholds,
                                             std::optional<std::int64_t> top_k,
                                             std::optional<std::int64_t> class_id, bool from_logits)
    : Metric(std::move(name)),
      thresholds_(std::move(thresholds)),
      top_k_(top_k),
      class_id_(class_id),
      from_logits_(from_logits) {
  if (top_k_ && *top_k_ <= 0)
    throw Error(cat(this->name(), ": top_k must be positive, got ", *top_k_));
  const Shape shape{static_cast<std::int64_t>(thresholds_.size())};
  true_positives_ = add_weight("true_positives", shape);
  false_positives_ = add_weight("false_positives", shape);
  true_negatives_ = add_weight("true_negatives", shape);
  false_negatives_ = add_weight("false_negatives", shape);
}

void ConfusionMatrixMetric::update_state(const Tensor& y_true, const Tensor& y_pred,
                                         const Tensor& sample_weight) {
  const autodiff::PauseAll untaped;
  auto [labels, predictions] = losses::detail::squeeze_or_expand_to_same_rank(y_true, y_pred);
  if (labels.shape() != predictions.shape()) {
    throw ShapeError(cat(name(), ": y_true has shape ", y_true.shape(), " and y_pred ",
                         y_pred.shape(), "; they must match"));
  }
  predictions = cast(predictions, float32);
  if (from_logits_) predictions = sigmoid(predictions);
  Tensor truth = labels.dtype() == DType::bool_ ? labels : not_equal(labels, 0.0);
  Tensor weights = sample_weight.defined() ? cast(sample_weight, float32) : Tensor();
  if (weights.defined()) {
    std::tie(predictions, weights) =
        losses::detail::squeeze_or_expand_to_same_rank(predictions, weights);
    weights = broadcast_to(weights, predictions.shape());
  }
  if (top_k_) predictions = filter_top_k(predictions, *top_k_);
  if (class_id_) {
    const std::int64_t classes = predictions.shape(-1);
    if (*class_id_ < 0 || *class_id_ >= classes) {
      throw Error(cat(name(), ": class_id ", *class_id_, " is outside the ", classes, " classes"));
    }
    const std::vector<Index> pick = {Slice{}, Index(*class_id_)};
    const auto column = [&](const Tensor& t) { return reshape(t, {-1, classes}).index(pick); };
    predictions = column(predictions);
    truth = column(truth);
    if (weights.defined()) weights = column(weights);
  }
  const std::int64_t n = predictions.size();
  const auto k = static_cast<std::int64_t>(thresholds_.size());
  if (!thresholds_tensor_.defined() || thresholds_tensor_.device() != predictions.device()) {
    // Copied to the device once, not every batch.
    thresholds_tensor_ =
        reshape(constant(std::vector<float>(thresholds_.begin(), thresholds_.end())), {k, 1})
            .to(predictions.device());
  }
  const Tensor above = greater(reshape(predictions, {1, n}), thresholds_tensor_);  // [K, N]
  const Tensor positive = reshape(truth, {1, n});
  const DeviceScope on_device(predictions.device());
  const Tensor w = weights.defined() ? reshape(weights, {1, n}) : ones({1, n});
  const auto count = [&](const Tensor& mask) { return reduce_sum(cast(mask, float32) * w, {1}); };
  true_positives_.assign_add(count(logical_and(above, positive)));
  false_positives_.assign_add(count(logical_and(above, logical_not(positive))));
  true_negatives_.assign_add(count(logical_and(logical_not(above), logical_not(positive))));
  false_negatives_.assign_add(count(logical_and(logical_not(above), positive)));
}

std::vector<double> ConfusionMatrixMetric::read(const Variable& counts) const {
  const std::vector<float> values = counts.to_vector<float>();
  return {values.begin(), values.end()};
}

namespace {
double ratio(double a, double b) { return b == 0 ? 0.0 : a / b; }

Tensor per_threshold(const std::vector<double>& values) {
  if (values.size() == 1) return constant(static_cast<float>(values[0]));
  return constant(std::vector<float>(values.begin(), values.end()));
}

std::vector<double> default_thresholds(const PrecisionRecallOptions& o, const char* metric) {
  for (double t : o.thresholds) {
    if (!(t >= 0.0 && t <= 1.0))
      throw Error(cat(metric, ": thresholds must lie in [0, 1], got ", t));
  }
  if (!o.thresholds.empty()) return o.thresholds;
  // With top_k and no thresholds every kept prediction counts: Keras' threshold of -1e10 is
  // exactly the value the others are set to, so they fall below it.
  return {o.top_k ? -1e10 : 0.5};
}
}  // namespace

Precision::Precision(PrecisionRecallOptions options)
    : ConfusionMatrixMetric(options.name.empty() ? "precision" : options.name,
                            default_thresholds(options, "Precision"), options.top_k,
                            options.class_id, false),
      options_(std::move(options)) {}

Tensor Precision::result() const {
  const std::vector<double> tp = read(true_positives_), fp = read(false_positives_);
  std::vector<double> out(tp.size());
  for (std::size_t i = 0; i < tp.size(); ++i) out[i] = ratio(tp[i], tp[i] + fp[i]);
  return per_threshold(out);
}

Recall::Recall(PrecisionRecallOptions options)
    : ConfusionMatrixMetric(options.name.empty() ? "recall" : options.name,
                            default_thresholds(options, "Recall"), options.top_k, options.class_id,
                            false),
      options_(std::move(options)) {}

Tensor Recall::result() const {
  const std::vector<double> tp = read(true_positives_), fn = read(false_negatives_);
  std::vector<double> out(tp.size());
  for (std::size_t i = 0; i < tp.size(); ++i) out[i] = ratio(tp[i], tp[i] + fn[i]);
  return per_threshold(out);
}

AUC::AUC(AUCOptions options)
    : ConfusionMatrixMetric(options.name, auc_thresholds(options.num_thresholds), std::nullopt,
                            std::nullopt, options.from_logits),
      options_(std::move(options)) {
  if (options_.curve != "ROC" && options_.curve != "PR") {
    throw Error(cat("AUC: curve must be \"ROC\" or \"PR\", got \"", options_.curve, "\""));
  }
  const std::string& s = options_.summation_method;
  if (s != "interpolation" && s != "minoring" && s != "majoring") {
    throw Error(
        cat("AUC: summation_method must be interpolation, minoring or majoring, got \"", s, "\""));
  }
}

Tensor AUC::result() const {
  const std::vector<double> tp = read(true_positives_), fp = read(false_positives_);
  const std::vector<double> tn = read(true_negatives_), fn = read(false_negatives_);
  const std::size_t n = tp.size();
  double area = 0;
  if (options_.curve == "PR" && options_.summation_method == "interpolation") {
    // Davis & Goadrich (2006): precision interpolated between thresholds along the recall axis.
    for (std::size_t i = 0; i + 1 < n; ++i) {
      const double dtp = tp[i] - tp[i + 1];
      const double p0 = tp[i] + fp[i], p1 = tp[i + 1] + fp[i + 1];
      const double slope = ratio(dtp, std::max(p0 - p1, 0.0));
      const double intercept = tp[i + 1] - slope * p1;
      const double safe_ratio = (p0 > 0 && p1 > 0) ? ratio(p0, std::max(p1, 0.0)) : 1.0;
      area += ratio(slope * (dtp + intercept * std::log(safe_ratio)),
                    std::max(tp[i + 1] + fn[i + 1], 0.0));
    }
    return constant(static_cast<float>(area));
  }
  std::vector<double> x(n), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double recall = ratio(tp[i], tp[i] + fn[i]);
    if (options_.curve == "ROC") {
      x[i] = ratio(fp[i], fp[i] + tn[i]);
      y[i] = recall;
    } else {
      x[i] = recall;
      y[i] = ratio(tp[i], tp[i] + fp[i]);
    }
  }
  for (std::size_t i = 0; i + 1 < n; ++i) {
    double height;
    if (options_.summation_method == "interpolation")
      height = (y[i] + y[i + 1]) / 2;
    else if (options_.summation_method == "minoring")
      height = std::min(y[i], y[i + 1]);
    else
      height = std::max(y[i], y[i + 1]);
    area += (x[i] - x[i + 1]) * height;
  }
  return constant(static_cast<float>(area));
}

namespace {
keras::Config precision_recall_config(const keras::Config& base, const PrecisionRecallOptions& o) {
  keras::Config config = base;
  config["thresholds"] =
      o.thresholds.empty() ? keras::Config(nullptr) : keras::Config(o.thresholds);
  config["top_k"] = o.top_k ? keras::Config(*o.top_k) : keras::Config(nullptr);
  config["class_id"] = o.class_id ? keras::Config(*o.class_id) : keras::Config(nullptr);
  return config;
}
}  // namespace

keras::Config Precision::get_config() const {
  return precision_recall_config(Metric::get_config(), options_);
}
keras::Config Recall::get_config() const {
  return precision_recall_config(Metric::get_config(), options_);
}

keras::Config AUC::get_config() const {
  keras::Config config = Metric::get_config();
  config["num_thresholds"] = options_.num_thresholds;
  config["curve"] = options_.curve;
  config["summation_method"] = options_.summation_method;
  config["from_logits"] = options_.from_logits;
  return config;
}

}  // namespace ember::metrics
