#include "layers/metrics/metrics.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "core/autodiff/gradient_tape.h"
#include "core/error.h"
#include "core/ops.h"
#include "layers/engine/layer.h"
#include "layers/losses/loss_shapes.h"
#include "layers/losses/losses.h"

namespace ember::metrics {

using losses::detail::divide_no_nan;
using losses::detail::squeeze_or_expand_to_same_rank;

// --- Metric
// ------------------------------------------------------------------------------------------

Metric::Metric(std::string name) : name_(std::move(name)) {}

void Metric::update_state(const Tensor&, const Tensor&, const Tensor&) {
  throw Error(cat("metric '", name(), "' (", class_name(), ") does not take (y_true, y_pred): ",
                  "it takes update_state(values, sample_weight)"));
}

void Metric::reset_state() {
  const autodiff::PauseAll untaped;
  for (Variable& v : variables_) v.assign(zeros(v.shape(), v.dtype()));
}

const std::string& Metric::name() const {
  if (name_.empty()) name_ = keras::snake_case(class_name());
  return name_;
}

std::string Metric::class_name() const { return keras::class_name_of(typeid(*this)); }

keras::Config Metric::get_config() const { return {{"name", name()}, {"dtype", "float32"}}; }

std::shared_ptr<Metric> Metric::clone() const {
  throw Error(
      cat("metric '", name(), "' (", class_name(), ") cannot be copied for another output: give ",
          "metrics per output (a list of lists or a map by output name), or override clone()"));
}

Variable Metric::add_weight(const std::string& name, const Shape& shape,
                            const initializers::InitializerRef& initializer, DType dtype) {
  const autodiff::PauseAll untaped;
  Variable v(initializer(shape, dtype), {.name = this->name() + "/" + name, .trainable = false});
  variables_.push_back(v);
  return v;
}

// --- Mean and Sum
// ---------------------------------------------------------------------------------------

namespace {

/// Keras' reduce_to_samplewise_values: values weighted and averaged to one per sample, and the
/// weights with the same shape (undefined without weights).
std::pair<Tensor, Tensor> samplewise(const Tensor& values_in, const Tensor& sample_weight) {
  Tensor values = is_floating(values_in.dtype()) ? values_in : cast(values_in, float32);
  Tensor weights;
  if (sample_weight.defined()) {
    weights = sample_weight.dtype() == values.dtype() ? sample_weight
                                                      : cast(sample_weight, values.dtype());
    std::tie(values, weights) = squeeze_or_expand_to_same_rank(values, weights);
    if (values.rank() > weights.rank()) {
      std::vector<std::int64_t> axes;
      for (int a = weights.rank(); a < values.rank(); ++a) axes.push_back(a);
      values = reduce_mean(values, axes);
    }
    weights = broadcast_to(weights, values.shape());
    values = values * weights;
    if (weights.rank() > 1) {
      std::vector<std::int64_t> axes;
      for (int a = 1; a < weights.rank(); ++a) axes.push_back(a);
      weights = reduce_mean(weights, axes);
    }
  }
  if (values.rank() > 1) {
    std::vector<std::int64_t> axes;
    for (int a = 1; a < values.rank(); ++a) axes.push_back(a);
    values = reduce_mean(values, axes);
  }
  return {values, weights};
}

}  // namespace

Mean::Mean(std::string name) : Metric(std::move(name)) {
  total_ = add_weight("total");
  count_ = add_weight("count");
}

void Mean::update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  Metric::update_state(y_true, y_pred, sample_weight);
}

void Mean::update_state(const Tensor& values, const Tensor& sample_weight) {
  const autodiff::PauseAll untaped;
  auto [v, w] = samplewise(values, sample_weight);
  total_.assign_add(cast(reduce_sum(v), float32));
  if (w.defined())
    count_.assign_add(cast(reduce_sum(w), float32));
  else
    count_.assign_add(static_cast<double>(v.rank() >= 1 ? v.shape(0) : 1));
}

Tensor Mean::result() const { return divide_no_nan(total_.value(), count_.value()); }

Sum::Sum(std::string name) : Metric(std::move(name)) { total_ = add_weight("total"); }

void Sum::update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  Metric::update_state(y_true, y_pred, sample_weight);
}

void Sum::update_state(const Tensor& values, const Tensor& sample_weight) {
  const autodiff::PauseAll untaped;
  auto [v, w] = samplewise(values, sample_weight);
  total_.assign_add(cast(reduce_sum(v), float32));
}

Tensor Sum::result() const { return total_.value(); }

MeanMetricWrapper::MeanMetricWrapper(MetricFunction function, std::string name, Direction direction)
    : Mean(std::move(name)), function_(std::move(function)), direction_(direction) {
  if (!function_) throw Error(cat("MeanMetricWrapper '", this->name(), "': the function is empty"));
}

void MeanMetricWrapper::update_state(const Tensor& y_true, const Tensor& y_pred,
                                     const Tensor& sample_weight) {
  const autodiff::PauseAll untaped;
  auto [t, p] = squeeze_or_expand_to_same_rank(y_true, y_pred);
  Mean::update_state(function_(t, p), sample_weight);
}

std::shared_ptr<Metric> MeanMetricWrapper::clone() const {
  return std::make_shared<MeanMetricWrapper>(function_, name(), direction_);
}

// --- per-sample functions
// ----------------------------------------------------------------------------

namespace {
void check_same_shape(const char* op, const Tensor& t, const Tensor& p) {
  if (t.shape() != p.shape()) {
    throw ShapeError(
        cat(op, ": y_true has shape ", t.shape(), " and y_pred ", p.shape(), "; they must match"));
  }
}
}  // namespace

Tensor accuracy(const Tensor& y_true, const Tensor& y_pred) {
  auto [t, p] = squeeze_or_expand_to_same_rank(y_true, y_pred);
  check_same_shape("accuracy", t, p);
  if (t.dtype() != p.dtype()) t = cast(t, p.dtype());
  return cast(equal(t, p), float32);
}

Tensor binary_accuracy(const Tensor& y_true, const Tensor& y_pred, double threshold) {
  auto [t, p] = squeeze_or_expand_to_same_rank(y_true, y_pred);
  check_same_shape("binary_accuracy", t, p);
  const Tensor predicted = cast(greater(p, threshold), float32);
  const Tensor truth = t.dtype() == float32 ? t : cast(t, float32);
  return reduce_mean(cast(equal(truth, predicted), float32), {-1});
}

Tensor categorical_accuracy(const Tensor& y_true, const Tensor& y_pred) {
  if (y_true.shape() != y_pred.shape()) {
    throw ShapeError(cat(
        "categorical_accuracy: y_true has shape ", y_true.shape(), " and y_pred ", y_pred.shape(),
        "; one-hot targets must match the predictions (use sparse_categorical_accuracy for ",
        "class indices)"));
  }
  return cast(equal(argmax(y_true, -1), argmax(y_pred, -1)), float32);
}

Tensor sparse_categorical_accuracy(const Tensor& y_true, const Tensor& y_pred) {
  const Tensor labels =
      losses::detail::sparse_label_indices("sparse_categorical_accuracy", y_true, y_pred);
  return cast(equal(labels, argmax(y_pred, -1)), float32);
}

namespace {
/// 1 where fewer than k classes score strictly more than the true class (TensorFlow's in_top_k).
Tensor in_top_k(const Tensor& labels, const Tensor& y_pred, std::int64_t k, const char* op) {
  if (k <= 0) throw Error(cat(op, ": k must be positive, got ", k));
  const std::int64_t classes = y_pred.shape(-1);
  const Tensor true_score = reduce_sum(
      y_pred * one_hot(labels, classes, 1.0, 0.0, -1, y_pred.dtype()), {-1}, /*keepdims=*/true);
  const Tensor above = reduce_sum(cast(greater(y_pred, true_score), float32), {-1});
  return cast(less(above, static_cast<double>(k)), float32);
}
}  // namespace

Tensor top_k_categorical_accuracy(const Tensor& y_true, const Tensor& y_pred, std::int64_t k) {
  if (y_true.shape() != y_pred.shape()) {
    throw ShapeError(cat("top_k_categorical_accuracy: y_true has shape ", y_true.shape(),
                         " and y_pred ", y_pred.shape(), "; they must match"));
  }
  return in_top_k(argmax(y_true, -1), y_pred, k, "top_k_categorical_accuracy");
}

Tensor sparse_top_k_categorical_accuracy(const Tensor& y_true, const Tensor& y_pred,
                                         std::int64_t k) {
  const char* op = "sparse_top_k_categorical_accuracy";
  return in_top_k(losses::detail::sparse_label_indices(op, y_true, y_pred), y_pred, k, op);
}

// --- metric classes
// -------------------------------------------------------------------------------------

Accuracy::Accuracy(std::string name) : MeanMetricWrapper(accuracy, std::move(name)) {}

BinaryAccuracy::BinaryAccuracy(BinaryAccuracyOptions options)
    : MeanMetricWrapper([t = options.threshold](
                            const Tensor& a, const Tensor& b) { return binary_accuracy(a, b, t); },
                        options.name),
      threshold_(options.threshold) {}
std::shared_ptr<Metric> BinaryAccuracy::clone() const {
  return std::make_shared<BinaryAccuracy>(
      BinaryAccuracyOptions{.name = name(), .threshold = threshold_});
}
keras::Config BinaryAccuracy::get_config() const {
  keras::Config config = Metric::get_config();
  config["threshold"] = threshold_;
  return config;
}

CategoricalAccuracy::CategoricalAccuracy(std::string name)
    : MeanMetricWrapper(categorical_accuracy, std::move(name)) {}
SparseCategoricalAccuracy::SparseCategoricalAccuracy(std::string name)
    : MeanMetricWrapper(sparse_categorical_accuracy, std::move(name)) {}

TopKCategoricalAccuracy::TopKCategoricalAccuracy(TopKOptions options)
    : MeanMetricWrapper(
          [k = options.k](const Tensor& a, const Tensor& b) {
            return top_k_categorical_accuracy(a, b, k);
          },
          options.name.empty() ? "top_k_categorical_accuracy" : options.name),
      k_(options.k) {}
std::shared_ptr<Metric> TopKCategoricalAccuracy::clone() const {
  return std::make_shared<TopKCategoricalAccuracy>(TopKOptions{.k = k_, .name = name()});
}
keras::Config TopKCategoricalAccuracy::get_config() const {
  keras::Config config = Metric::get_config();
  config["k"] = k_;
  return config;
}

SparseTopKCategoricalAccuracy::SparseTopKCategoricalAccuracy(TopKOptions options)
    : MeanMetricWrapper(
          [k = options.k](const Tensor& a, const Tensor& b) {
            return sparse_top_k_categorical_accuracy(a, b, k);
          },
          options.name.empty() ? "sparse_top_k_categorical_accuracy" : options.name),
      k_(options.k) {}
std::shared_ptr<Metric> SparseTopKCategoricalAccuracy::clone() const {
  return std::make_shared<SparseTopKCategoricalAccuracy>(TopKOptions{.k = k_, .name = name()});
}
keras::Config SparseTopKCategoricalAccuracy::get_config() const {
  keras::Config config = Metric::get_config();
  config["k"] = k_;
  return config;
}

MeanSquaredError::MeanSquaredError(std::string name)
    : MeanMetricWrapper(losses::mean_squared_error, std::move(name), Direction::down) {}
MeanAbsoluteError::MeanAbsoluteError(std::string name)
    : MeanMetricWrapper(losses::mean_absolute_error, std::move(name), Direction::down) {}

RootMeanSquaredError::RootMeanSquaredError(std::string name) : Mean(std::move(name)) {}
void RootMeanSquaredError::update_state(const Tensor& y_true, const Tensor& y_pred,
                                        const Tensor& sample_weight) {
  const autodiff::PauseAll untaped;
  auto [t, p] = squeeze_or_expand_to_same_rank(y_true, y_pred);
  check_same_shape("root_mean_squared_error", t, p);
  if (t.dtype() != p.dtype()) t = cast(t, p.dtype());
  Mean::update_state(square(t - p), sample_weight);
}
Tensor RootMeanSquaredError::result() const { return sqrt(Mean::result()); }

LossMetric::LossMetric(const std::string& loss_name, std::string name)
    : MeanMetricWrapper([loss = losses::get(loss_name)](
                            const Tensor& a, const Tensor& b) { return loss->call(a, b); },
                        name.empty() ? loss_name : name, Direction::down),
      loss_name_(loss_name) {}

// --- lookup
// ---------------------------------------------------------------------------------------------

namespace {
std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}
}  // namespace

std::shared_ptr<Metric> get(const std::string& name) {
  using Maker = std::shared_ptr<Metric> (*)(const std::string&);
  static const std::map<std::string, Maker> known = {
      {"accuracy",
       [](const std::string& n) -> std::shared_ptr<Metric> {
         return std::make_shared<Accuracy>(n);
       }},
      {"binary_accuracy",
       [](const std::string& n) -> std::shared_ptr<Metric> {
         return std::make_shared<BinaryAccuracy>(BinaryAccuracyOptions{.name = n});
       }},
      {"categorical_accuracy",
       [](const std::string& n) -> std::shared_ptr<Metric> {
         return std::make_shared<CategoricalAccuracy>(n);
       }},
      {"sparse_categorical_accuracy",
       [](const std::string& n) -> std::shared_ptr<Metric> {
         return std::make_shared<SparseCategoricalAccuracy>(n);
       }},
      {"top_k_categorical_accuracy",
       [](const std::string& n) -> std::shared_ptr<Metric> {
         return std::make_shared<TopKCategoricalAccuracy>(TopKOptions{.name = n});
       }},
      {"sparse_top_k_categorical_accuracy",
       [](const std::string& n) -> std::shared_ptr<Metric> {
         return std::make_shared<SparseTopKCategoricalAccuracy>(TopKOptions{.name = n});
       }},
      {"mean_squared_error",
       [](const std::string& n) -> std::shared_ptr<Metric> {
         return std::make_shared<MeanSquaredError>(n);
       }},
      {"mean_absolute_error",
       [](const std::string& n) -> std::shared_ptr<Metric> {
         return std::make_shared<MeanAbsoluteError>(n);
       }},
      {"root_mean_squared_error",
       [](const std::string& n) -> std::shared_ptr<Metric> {
         return std::make_shared<RootMeanSquaredError>(n);
       }},
      {"precision",
       [](const std::string& n) -> std::shared_ptr<Metric> {
         return std::make_shared<Precision>(PrecisionRecallOptions{.name = n});
       }},
      {"recall",
       [](const std::string& n) -> std::shared_ptr<Metric> {
         return std::make_shared<Recall>(PrecisionRecallOptions{.name = n});
       }},
      {"auc",
       [](const std::string& n) -> std::shared_ptr<Metric> {
         return std::make_shared<AUC>(AUCOptions{.name = n});
       }},
  };
  static const std::map<std::string, std::string> aliases = {
      {"acc", "accuracy"},
      {"mse", "mean_squared_error"},
      {"mae", "mean_absolute_error"},
      {"rmse", "root_mean_squared_error"},
      {"top_k_accuracy", "top_k_categorical_accuracy"},
  };
  std::string key = name;
  if (!key.empty() && std::isupper(static_cast<unsigned char>(key[0])))
    key = keras::snake_case(key);
  key = lower(key);
  if (key == "a_u_c") key = "auc";
  if (auto alias = aliases.find(key); alias != aliases.end()) key = alias->second;
  if (auto it = known.find(key); it != known.end()) return it->second(name);
  for (const char* loss : {"categorical_crossentropy", "sparse_categorical_crossentropy",
                           "binary_crossentropy", "kl_divergence", "huber"}) {
    if (key == loss) return std::make_shared<LossMetric>(key, name);
  }
  std::string names;
  for (const auto& [known_name, maker] : known) names += (names.empty() ? "" : ", ") + known_name;
  throw Error(cat("metrics::get: unknown metric '", name, "'; known metrics: ", names,
                  ", the cross-entropy losses, and acc, mse, mae"));
}

MetricRef::MetricRef(const char* name) : MetricRef(std::string(name)) {}

MetricRef::MetricRef(const std::string& name) : name_(name) {
  const std::string key = lower(name);
  if (key != "accuracy" && key != "acc") get(name);  // unknown names fail at compile
}

MetricRef::MetricRef(Tensor (*function)(const Tensor&, const Tensor&), std::string name)
    : MetricRef(MetricFunction(function), std::move(name)) {}

MetricRef::MetricRef(MetricFunction function, std::string name)
    : metric_(std::make_shared<MeanMetricWrapper>(std::move(function), std::move(name))) {}

std::shared_ptr<Metric> MetricRef::resolve(const Shape& y_true, const Shape& y_pred) const {
  if (metric_) {
    if (!handed_out_) {
      handed_out_ = true;
      return metric_;
    }
    return metric_->clone();
  }
  const std::string key = lower(name_);
  if (key != "accuracy" && key != "acc") return get(name_);
  switch (losses::detail::label_kind(y_true, y_pred)) {
    case losses::detail::LabelKind::binary:
      return std::make_shared<BinaryAccuracy>(BinaryAccuracyOptions{.name = name_});
    case losses::detail::LabelKind::sparse:
      return std::make_shared<SparseCategoricalAccuracy>(name_);
    case losses::detail::LabelKind::categorical:
      return std::make_shared<CategoricalAccuracy>(name_);
  }
  return nullptr;
}

}  // namespace ember::metrics
