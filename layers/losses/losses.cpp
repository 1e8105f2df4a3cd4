#include "layers/losses/losses.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "core/error.h"
#include "core/ops.h"
#include "core/tensor_impl.h"
#include "layers/engine/layer.h"
#include "layers/losses/loss_shapes.h"

namespace ember::losses {

namespace {

/// y_true as floats of y_pred's dtype, its rank matched to y_pred's (Keras'
/// squeeze_or_expand_to_same_rank), and then the same shape as y_pred.
std::pair<Tensor, Tensor> matched(const char* op, const Tensor& y_true, const Tensor& y_pred) {
  auto [t, p] = detail::squeeze_or_expand_to_same_rank(y_true, y_pred);
  if (t.shape() != p.shape()) {
    throw ShapeError(cat(op, ": y_true has shape ", y_true.shape(), " and y_pred ", y_pred.shape(),
                         "; they must match"));
  }
  if (!is_floating(p.dtype())) {
    throw DTypeError(cat(op, ": y_pred must be floating point, got ", dtype_name(p.dtype())));
  }
  if (t.dtype() != p.dtype()) t = cast(t, p.dtype());
  return {t, p};
}

/// Keras 3 on TensorFlow (backend.nn._get_logits): probabilities a softmax or sigmoid activation
/// made carry their logits, and the cross-entropy computes from those, as if from_logits were
/// true: the loss of a confident mistake is not clipped, and its gradient does not vanish.
/// `activation` names the one the loss expects ("Softmax", "Sigmoid") in Keras' warning.
Tensor logits_if_cached(const char* op, const char* activation, const Tensor& y_pred,
                        bool& from_logits) {
  const std::optional<Tensor> cached = ember::detail::keras_logits(y_pred);
  if (!cached) return y_pred;
  if (from_logits) {
    static bool warned = false;  // once, as Python's warnings do, not at every batch
    if (!warned) {
      warned = true;
      warn(cat("`", op, "` received `from_logits=True`, but the `output` argument was produced by ",
               "a ", activation,
               " activation and thus does not represent logits. Was this intended?"));
    }
  }
  from_logits = true;
  return *cached;
}

std::int64_t normalized_axis(const char* op, std::int64_t axis, int rank) {
  if (axis < -rank || axis >= rank) {
    throw Error(cat(op, ": axis ", axis, " is out of range for rank ", rank));
  }
  return axis < 0 ? axis + rank : axis;
}

}  // namespace

Tensor mean_squared_error(const Tensor& y_true, const Tensor& y_pred) {
  auto [t, p] = matched("mean_squared_error", y_true, y_pred);
  return reduce_mean(square(t - p), {-1});
}

Tensor mean_absolute_error(const Tensor& y_true, const Tensor& y_pred) {
  auto [t, p] = matched("mean_absolute_error", y_true, y_pred);
  return reduce_mean(abs(t - p), {-1});
}

Tensor categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred_in, bool from_logits,
                                double label_smoothing, std::int64_t axis) {
  const Tensor y_pred =
      logits_if_cached("categorical_crossentropy", "Softmax", y_pred_in, from_logits);
  auto [t, p] = matched("categorical_crossentropy", y_true, y_pred);
  axis = normalized_axis("categorical_crossentropy", axis, p.rank());
  if (label_smoothing > 0) {
    const double classes = static_cast<double>(p.shape(static_cast<int>(axis)));
    t = t * (1.0 - label_smoothing) + label_smoothing / classes;
  }
  if (from_logits) return softmax_cross_entropy_with_logits(t, p, axis);
  // Keras normalises the probabilities first, then clips them away from 0 and 1.
  Tensor normalized = p / reduce_sum(p, {axis}, /*keepdims=*/true);
  normalized = clip_by_value(normalized, kEpsilon, 1.0 - kEpsilon);
  return negative(reduce_sum(t * log(normalized), {axis}));
}

Tensor sparse_categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred_in,
                                       bool from_logits, std::int64_t axis) {
  const char* op = "sparse_categorical_crossentropy";
  const Tensor y_pred = logits_if_cached(op, "Softmax", y_pred_in, from_logits);
  if (!is_floating(y_pred.dtype()))
    throw DTypeError(cat(op, ": y_pred must be floating point, got ", dtype_name(y_pred.dtype())));
  axis = normalized_axis(op, axis, y_pred.rank());
  if (axis != y_pred.rank() - 1) {
    throw Error(cat(op, ": only the last axis can hold the classes, got axis ", axis, " of rank ",
                    y_pred.rank()));
  }
  const Tensor labels = detail::sparse_labels(op, y_true, y_pred);
  if (from_logits) return sparse_softmax_cross_entropy_with_logits(labels, y_pred);
  const std::int64_t classes = y_pred.shape(-1);
  const Tensor picked = one_hot(labels, classes, 1.0, 0.0, -1, y_pred.dtype());
  Tensor normalized = y_pred / reduce_sum(y_pred, {axis}, /*keepdims=*/true);
  normalized = clip_by_value(normalized, kEpsilon, 1.0 - kEpsilon);
  return negative(reduce_sum(picked * log(normalized), {axis}));
}

Tensor binary_crossentropy(const Tensor& y_true, const Tensor& y_pred_in, bool from_logits,
                           double label_smoothing) {
  const Tensor y_pred = logits_if_cached("binary_crossentropy", "Sigmoid", y_pred_in, from_logits);
  auto [t, p] = matched("binary_crossentropy", y_true, y_pred);
  if (label_smoothing > 0) t = t * (1.0 - label_smoothing) + 0.5 * label_smoothing;
  Tensor elementwise;
  if (from_logits) {
    // max(x, 0) - x·z + log(1 + exp(-|x|)): no overflow for any logit.
    elementwise = relu(p) - p * t + log1p(exp(negative(abs(p))));
  } else {
    const Tensor clipped = clip_by_value(p, kEpsilon, 1.0 - kEpsilon);
    elementwise = negative(t * log(clipped) + (1.0 - t) * log(1.0 - clipped));
  }
  return reduce_mean(elementwise, {-1});
}

Tensor huber(const Tensor& y_true, const Tensor& y_pred, double delta) {
  if (!(delta > 0)) throw Error(cat("huber: delta must be positive, got ", delta));
  auto [t, p] = matched("huber", y_true, y_pred);
  const Tensor error = p - t;
  const Tensor abs_error = abs(error);
  const Tensor quadratic = 0.5 * square(error);
  const Tensor linear = delta * abs_error - 0.5 * delta * delta;
  return reduce_mean(where(abs_error <= delta, quadratic, linear), {-1});
}

Tensor kl_divergence(const Tensor& y_true, const Tensor& y_pred) {
  auto [t, p] = matched("kl_divergence", y_true, y_pred);
  t = clip_by_value(t, kEpsilon, 1.0);
  p = clip_by_value(p, kEpsilon, 1.0);
  return reduce_sum(t * log(t / p), {-1});
}

// --- reduction ---------------------------------------------------------------------------------

Tensor reduce_weighted_values(const Tensor& values, const Tensor& sample_weight,
                              const std::string& reduction) {
  Tensor weighted = values;
  Tensor weights = sample_weight;
  if (weights.defined()) {
    if (weights.dtype() != values.dtype()) weights = cast(weights, values.dtype());
    auto [v, w] = detail::squeeze_or_expand_to_same_rank(values, weights);
    weighted = v * w;
    weights = w;
  }
  if (reduction == "none" || weighted.rank() == 0) return weighted;
  const Tensor total = reduce_sum(weighted);
  if (reduction == "sum") return total;
  if (reduction == "mean_with_sample_weight" && weights.defined()) {
    const Tensor weight_sum = reduce_sum(broadcast_to(weights, weighted.shape()));
    return detail::divide_no_nan(total, weight_sum);
  }
  // sum_over_batch_size, mean, and mean_with_sample_weight without weights: divide by the count
  // of values; an empty batch gives 0 (Keras' divide_no_nan).
  const std::int64_t count = weighted.size();
  return count == 0 ? zeros_like(total) : total / static_cast<double>(count);
}

// --- Loss ----------------------------------------------------------------------------------------

namespace {
const char* const kReductions[] = {"sum_over_batch_size", "sum", "mean", "mean_with_sample_weight",
                                   "none"};
}

Loss::Loss(LossOptions options)
    : name_(std::move(options.name)), reduction_(std::move(options.reduction)) {
  if (std::find(std::begin(kReductions), std::end(kReductions), reduction_) ==
      std::end(kReductions)) {
    throw Error(cat("Loss: unknown reduction '", reduction_,
                    "'; expected sum_over_batch_size, sum, mean, mean_with_sample_weight or none"));
  }
}

const std::string& Loss::name() const {
  if (name_.empty()) name_ = keras::snake_case(class_name());
  return name_;
}

std::string Loss::class_name() const { return keras::class_name_of(typeid(*this)); }

keras::Config Loss::get_config() const { return {{"name", name()}, {"reduction", reduction_}}; }

Tensor Loss::operator()(const Tensor& y_true, const Tensor& y_pred,
                        const Tensor& sample_weight) const {
  if (!y_true.defined() || !y_pred.defined())
    throw Error(cat(name(), ": y_true and y_pred must be defined tensors"));
  // Keras computes a loss in float32: 16-bit predictions (a mixed-precision model without a
  // float32 output layer) are widened first.
  const Tensor predicted = is_half(y_pred.dtype()) ? cast(y_pred, float32) : y_pred;
  Tensor labels = y_true;
  const bool integer_labels = keeps_label_dtype() && !is_floating(labels.dtype());
  if (!integer_labels && labels.dtype() != predicted.dtype() && is_floating(predicted.dtype())) {
    labels = cast(labels, predicted.dtype());
  }
  Tensor values = call(labels, predicted);
  if (sample_weight.defined() && sample_weight.rank() > 0 && values.rank() > 0 &&
      sample_weight.shape(0) != values.shape(0)) {
    throw ShapeError(cat(name(), ": sample_weight has ", sample_weight.shape(0),
                         " rows but the batch has ", values.shape(0)));
  }
  return reduce_weighted_values(values, sample_weight, reduction_);
}

LossFunctionWrapper::LossFunctionWrapper(LossFunction function, LossOptions options)
    : Loss(std::move(options)), function_(std::move(function)) {
  if (!function_) throw Error("LossFunctionWrapper: the function is empty");
}

Tensor LossFunctionWrapper::call(const Tensor& y_true, const Tensor& y_pred) const {
  auto [t, p] = detail::squeeze_or_expand_to_same_rank(y_true, y_pred);
  return function_(t, p);
}

Tensor MeanSquaredError::call(const Tensor& y_true, const Tensor& y_pred) const {
  return mean_squared_error(y_true, y_pred);
}
Tensor MeanAbsoluteError::call(const Tensor& y_true, const Tensor& y_pred) const {
  return mean_absolute_error(y_true, y_pred);
}

CategoricalCrossentropy::CategoricalCrossentropy(CrossentropyOptions options)
    : Loss({.name = options.name, .reduction = options.reduction}), options_(std::move(options)) {}
Tensor CategoricalCrossentropy::call(const Tensor& y_true, const Tensor& y_pred) const {
  return categorical_crossentropy(y_true, y_pred, options_.from_logits, options_.label_smoothing,
                                  options_.axis);
}
keras::Config CategoricalCrossentropy::get_config() const {
  keras::Config config = Loss::get_config();
  config["from_logits"] = options_.from_logits;
  config["label_smoothing"] = options_.label_smoothing;
  config["axis"] = options_.axis;
  return config;
}

SparseCategoricalCrossentropy::SparseCategoricalCrossentropy(SparseCrossentropyOptions options)
    : Loss({.name = options.name, .reduction = options.reduction}), options_(std::move(options)) {}
Tensor SparseCategoricalCrossentropy::call(const Tensor& y_true, const Tensor& y_pred) const {
  return sparse_categorical_crossentropy(y_true, y_pred, options_.from_logits, options_.axis);
}
keras::Config SparseCategoricalCrossentropy::get_config() const {
  keras::Config config = Loss::get_config();
  config["from_logits"] = options_.from_logits;
  return config;
}

BinaryCrossentropy::BinaryCrossentropy(CrossentropyOptions options)
    : Loss({.name = options.name, .reduction = options.reduction}), options_(std::move(options)) {}
Tensor BinaryCrossentropy::call(const Tensor& y_true, const Tensor& y_pred) const {
  return binary_crossentropy(y_true, y_pred, options_.from_logits, options_.label_smoothing);
}
keras::Config BinaryCrossentropy::get_config() const {
  keras::Config config = Loss::get_config();
  config["from_logits"] = options_.from_logits;
  config["label_smoothing"] = options_.label_smoothing;
  return config;
}

Huber::Huber(HuberOptions options)
    : Loss({.name = options.name.empty() ? "huber_loss" : options.name,
            .reduction = options.reduction}),
      options_(std::move(options)) {}
Tensor Huber::call(const Tensor& y_true, const Tensor& y_pred) const {
  return huber(y_true, y_pred, options_.delta);
}
keras::Config Huber::get_config() const {
  keras::Config config = Loss::get_config();
  config["delta"] = options_.delta;
  return config;
}

Tensor KLDivergence::call(const Tensor& y_true, const Tensor& y_pred) const {
  return kl_divergence(y_true, y_pred);
}

// --- lookup
// ----------------------------------------------------------------------------------------

std::shared_ptr<const Loss> get(const std::string& name) {
  using Maker = std::shared_ptr<const Loss> (*)(const std::string&);
  static const std::map<std::string, Maker> known = {
      {"mean_squared_error",
       [](const std::string& n) -> std::shared_ptr<const Loss> {
         return std::make_shared<MeanSquaredError>(LossOptions{.name = n});
       }},
      {"mean_absolute_error",
       [](const std::string& n) -> std::shared_ptr<const Loss> {
         return std::make_shared<MeanAbsoluteError>(LossOptions{.name = n});
       }},
      {"categorical_crossentropy",
       [](const std::string& n) -> std::shared_ptr<const Loss> {
         return std::make_shared<CategoricalCrossentropy>(CrossentropyOptions{.name = n});
       }},
      {"sparse_categorical_crossentropy",
       [](const std::string& n) -> std::shared_ptr<const Loss> {
         return std::make_shared<SparseCategoricalCrossentropy>(
             SparseCrossentropyOptions{.name = n});
       }},
      {"binary_crossentropy",
       [](const std::string& n) -> std::shared_ptr<const Loss> {
         return std::make_shared<BinaryCrossentropy>(CrossentropyOptions{.name = n});
       }},
      {"huber",
       [](const std::string& n) -> std::shared_ptr<const Loss> {
         return std::make_shared<Huber>(HuberOptions{.name = n});
       }},
      {"kl_divergence",
       [](const std::string& n) -> std::shared_ptr<const Loss> {
         return std::make_shared<KLDivergence>(LossOptions{.name = n});
       }},
  };
  static const std::map<std::string, std::string> aliases = {
      {"mse", "mean_squared_error"},
      {"mae", "mean_absolute_error"},
      {"kld", "kl_divergence"},
      {"huber_loss", "huber"},
      {"kullback_leibler_divergence", "kl_divergence"},
  };
  std::string key = name;
  if (key.find('_') == std::string::npos && !key.empty() &&
      std::isupper(static_cast<unsigned char>(key[0]))) {
    key = keras::snake_case(key);  // a class name: "CategoricalCrossentropy"
    if (key == "k_l_divergence" || key == "kl_divergence") key = "kl_divergence";
  }
  std::transform(key.begin(), key.end(), key.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (auto alias = aliases.find(key); alias != aliases.end()) key = alias->second;
  if (auto it = known.find(key); it != known.end()) return it->second(name);
  std::string names;
  for (const auto& [known_name, maker] : known) names += (names.empty() ? "" : ", ") + known_name;
  throw Error(
      cat("losses::get: unknown loss '", name, "'; known losses: ", names, " (and mse, mae, kld)"));
}

LossRef::LossRef(const char* name) : LossRef(std::string(name)) {}

LossRef::LossRef(const std::string& name) : name_(name) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (lower != "crossentropy" && lower != "ce")
    loss_ = get(name);  // unknown names fail here, at compile
}

LossRef::LossRef(Tensor (*function)(const Tensor&, const Tensor&), std::string name)
    : LossRef(LossFunction(function), std::move(name)) {}

LossRef::LossRef(LossFunction function, std::string name)
    : loss_(std::make_shared<LossFunctionWrapper>(std::move(function),
                                                  LossOptions{.name = std::move(name)})) {}

std::shared_ptr<const Loss> LossRef::resolve(const Shape& y_true, const Shape& y_pred) const {
  if (loss_) return loss_;
  if (name_.empty()) return nullptr;
  const detail::LabelKind kind = detail::label_kind(y_true, y_pred);
  if (kind == detail::LabelKind::binary)
    return std::make_shared<BinaryCrossentropy>(CrossentropyOptions{.name = name_});
  if (kind == detail::LabelKind::sparse) {
    return std::make_shared<SparseCategoricalCrossentropy>(
        SparseCrossentropyOptions{.name = name_});
  }
  return std::make_shared<CategoricalCrossentropy>(CrossentropyOptions{.name = name_});
}

}  // namespace ember::losses
