// Losses (keras.losses): the functions, which give one value per sample, and the Loss classes,
// which also weight the values by sample and reduce them to the scalar training minimises.
//
//   Tensor per_sample = losses::categorical_crossentropy(y_true, y_pred);   // shape (batch,)
//   losses::CategoricalCrossentropy cce({.from_logits = true});
//   Tensor loss = cce(y_true, logits);                                      // a scalar
//
// A user loss derives from Loss and overrides call() (the lesson's MyLoss):
//
//   struct MyLoss : losses::Loss {
//     double alpha, beta;
//     MyLoss(double alpha, double beta) : Loss({.name = "my_loss"}), alpha(alpha), beta(beta) {}
//     Tensor call(const Tensor& y_true, const Tensor& y_pred) const override {
//       return reduce_mean(square(alpha * y_true - beta * y_pred), -1);
//     }
//   };
//
// The formulas, defaults and edge cases are Keras 3's: probabilities are clipped to
// [1e-7, 1 - 1e-7] before the logarithm, so predictions of exactly 0 or 1 give finite losses;
// the from_logits paths use log-softmax and the stable sigmoid form instead.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <type_traits>

#include "core/tensor.h"
#include "layers/engine/config.h"
#include "layers/keywords.h"

namespace ember::losses {

/// Keras' backend epsilon: probabilities are clipped to [kEpsilon, 1 - kEpsilon].
inline constexpr double kEpsilon = 1e-7;

// --- per-sample loss functions: the last axis is reduced, the batch axes stay ----------------
Tensor mean_squared_error(const Tensor& y_true, const Tensor& y_pred);
Tensor mean_absolute_error(const Tensor& y_true, const Tensor& y_pred);
/// -Σ y_true·log(p) over `axis`; p = y_pred / Σ y_pred, clipped, or softmax(y_pred) from logits.
Tensor categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred,
                                bool from_logits = false, double label_smoothing = 0.0,
                                std::int64_t axis = -1);
/// Like categorical_crossentropy with integer class labels (shape (batch,) or (batch, 1)).
/// Labels outside [0, classes) are an error (checked on the CPU; the GPU gives a loss of 0).
Tensor sparse_categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred,
                                       bool from_logits = false, std::int64_t axis = -1);
/// Mean over the last axis of -(y·log p + (1 - y)·log(1 - p)).
Tensor binary_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits = false,
                           double label_smoothing = 0.0);
/// Mean over the last axis of ½e² where |e| <= delta, else delta·(|e| - ½delta); e = y_pred -
/// y_true.
Tensor huber(const Tensor& y_true, const Tensor& y_pred, double delta = 1.0);
/// Σ y_true·log(y_true / y_pred) over the last axis, both clipped to [1e-7, 1].
Tensor kl_divergence(const Tensor& y_true, const Tensor& y_pred);

/// A per-sample loss function: (y_true, y_pred) -> losses.
using LossFunction = std::function<Tensor(const Tensor& y_true, const Tensor& y_pred)>;

struct LossOptions {
  /// The name in logs; the snake_case class name when empty.
  std::string name = "";
  /// "sum_over_batch_size" (the default: Σ weighted values / their count), "sum", "mean" (the
  /// same as sum_over_batch_size), "mean_with_sample_weight" (Σ weighted values / Σ weights) or
  /// "none" (the weighted values themselves).
  std::string reduction = "sum_over_batch_size";
};

/// Weights `values` by `sample_weight` (broadcast over trailing axes; an undefined tensor means
/// 1) and reduces them as `reduction` says. Keras' reduce_weighted_values.
Tensor reduce_weighted_values(const Tensor& values, const Tensor& sample_weight,
                              const std::string& reduction);

class Loss {
 public:
  explicit Loss(LossOptions options = {});
  virtual ~Loss() = default;

  /// The reduced, weighted loss. y_true is cast to y_pred's dtype (integer labels stay integer
  /// for the sparse losses); sample_weight has the batch shape, or is undefined.
  Tensor operator()(const Tensor& y_true, const Tensor& y_pred,
                    const Tensor& sample_weight = {}) const;
  /// The per-sample values (what subclasses define).
  virtual Tensor call(const Tensor& y_true, const Tensor& y_pred) const = 0;

  const std::string& name() const;
  const std::string& reduction() const { return reduction_; }
  /// Keras' class name ("CategoricalCrossentropy"); the C++ class name by default.
  virtual std::string class_name() const;
  virtual keras::Config get_config() const;

 protected:
  /// Whether call() wants integer labels as they are (the sparse losses) rather than cast.
  virtual bool keeps_label_dtype() const { return false; }

 private:
  mutable std::string name_;
  std::string reduction_;
};

/// A loss from a per-sample function (what compile makes of `loss = my_function`). Like Keras,
/// it first squeezes or expands y_true's last axis of size 1 to match y_pred's rank.
class LossFunctionWrapper : public Loss {
 public:
  LossFunctionWrapper(LossFunction function, LossOptions options);
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
  std::string class_name() const override { return "LossFunctionWrapper"; }

 private:
  LossFunction function_;
};

struct CrossentropyOptions {
  bool from_logits = false;
  double label_smoothing = 0.0;
  std::int64_t axis = -1;
  std::string name = "";
  std::string reduction = "sum_over_batch_size";
};
struct SparseCrossentropyOptions {
  bool from_logits = false;
  std::int64_t axis = -1;
  std::string name = "";
  std::string reduction = "sum_over_batch_size";
};
struct HuberOptions {
  double delta = 1.0;
  std::string name = "";
  std::string reduction = "sum_over_batch_size";
};

class MeanSquaredError final : public Loss {
 public:
  explicit MeanSquaredError(LossOptions options = {}) : Loss(std::move(options)) {}
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 &&
           (KeywordFor<K, LossOptions> && ...)) explicit MeanSquaredError(const K&... keywords)
      : MeanSquaredError(with_keywords<LossOptions>(keywords...)) {}
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
  std::string class_name() const override { return "MeanSquaredError"; }
};
class MeanAbsoluteError final : public Loss {
 public:
  explicit MeanAbsoluteError(LossOptions options = {}) : Loss(std::move(options)) {}
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 &&
           (KeywordFor<K, LossOptions> && ...)) explicit MeanAbsoluteError(const K&... keywords)
      : MeanAbsoluteError(with_keywords<LossOptions>(keywords...)) {}
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
  std::string class_name() const override { return "MeanAbsoluteError"; }
};
class CategoricalCrossentropy final : public Loss {
 public:
  explicit CategoricalCrossentropy(CrossentropyOptions options = {});
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 && (KeywordFor<K, CrossentropyOptions> &&
                                ...)) explicit CategoricalCrossentropy(const K&... keywords)
      : CategoricalCrossentropy(with_keywords<CrossentropyOptions>(keywords...)) {}
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
  std::string class_name() const override { return "CategoricalCrossentropy"; }
  keras::Config get_config() const override;

 private:
  CrossentropyOptions options_;
};
class SparseCategoricalCrossentropy final : public Loss {
 public:
  explicit SparseCategoricalCrossentropy(SparseCrossentropyOptions options = {});
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 && (KeywordFor<K, SparseCrossentropyOptions> &&
                                ...)) explicit SparseCategoricalCrossentropy(const K&... keywords)
      : SparseCategoricalCrossentropy(with_keywords<SparseCrossentropyOptions>(keywords...)) {}
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
  std::string class_name() const override { return "SparseCategoricalCrossentropy"; }
  keras::Config get_config() const override;

 protected:
  bool keeps_label_dtype() const override { return true; }

 private:
  SparseCrossentropyOptions options_;
};
class BinaryCrossentropy final : public Loss {
 public:
  explicit BinaryCrossentropy(CrossentropyOptions options = {});
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 && (KeywordFor<K, CrossentropyOptions> &&
                                ...)) explicit BinaryCrossentropy(const K&... keywords)
      : BinaryCrossentropy(with_keywords<CrossentropyOptions>(keywords...)) {}
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
  std::string class_name() const override { return "BinaryCrossentropy"; }
  keras::Config get_config() const override;

 private:
  CrossentropyOptions options_;
};
class Huber final : public Loss {
 public:
  explicit Huber(HuberOptions options = {});
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 &&
           (KeywordFor<K, HuberOptions> && ...)) explicit Huber(const K&... keywords)
      : Huber(with_keywords<HuberOptions>(keywords...)) {}
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
  std::string class_name() const override { return "Huber"; }
  keras::Config get_config() const override;

 private:
  HuberOptions options_;
};
class KLDivergence final : public Loss {
 public:
  explicit KLDivergence(LossOptions options = {}) : Loss(std::move(options)) {}
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 &&
           (KeywordFor<K, LossOptions> && ...)) explicit KLDivergence(const K&... keywords)
      : KLDivergence(with_keywords<LossOptions>(keywords...)) {}
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
  std::string class_name() const override { return "KLDivergence"; }
};

/// The loss called `name` with Keras' defaults: "mean_squared_error" ("mse"),
/// "mean_absolute_error" ("mae"), "categorical_crossentropy", "sparse_categorical_crossentropy",
/// "binary_crossentropy", "huber", "kl_divergence" ("kld"), or a class name
/// ("CategoricalCrossentropy"). Unknown names are an error listing the known ones.
std::shared_ptr<const Loss> get(const std::string& name);

/// What compile accepts as a loss: a name, a Loss object (held by value or shared pointer), or a
/// per-sample function. Empty means "no loss" (for an output that is not trained).
class LossRef {
 public:
  LossRef() = default;
  LossRef(std::nullptr_t) {}         // NOLINT: an output without a loss, like Keras' None
  LossRef(const char* name);         // NOLINT: implicit, `.loss = "mse"`
  LossRef(const std::string& name);  // NOLINT
  template <class L>
  requires std::is_base_of_v<Loss, L> LossRef(L loss)
      : loss_(std::make_shared<L>(std::move(loss))) {}  // NOLINT
  template <class L>
  requires std::is_base_of_v<Loss, L> LossRef(std::shared_ptr<L> loss)
      : loss_(std::move(loss)) {}  // NOLINT
  /// A function `(y_true, y_pred) -> per-sample losses`, named `name` in logs.
  LossRef(Tensor (*function)(const Tensor&, const Tensor&), std::string name = "loss");  // NOLINT
  LossRef(LossFunction function, std::string name = "loss");                             // NOLINT

  explicit operator bool() const { return loss_ != nullptr || !name_.empty(); }
  /// The name it was given by ("mse"; empty for an object or a function).
  const std::string& given_name() const { return name_; }
  /// The loss object (for a name: the loss it stands for, unless it needs the shapes).
  const std::shared_ptr<const Loss>& object() const { return loss_; }
  /// The loss; a name is resolved for these targets and predictions ("crossentropy" or "ce"
  /// picks binary, sparse or categorical cross-entropy from the shapes, as Keras does).
  std::shared_ptr<const Loss> resolve(const Shape& y_true, const Shape& y_pred) const;

 private:
  std::shared_ptr<const Loss> loss_;
  std::string name_;
};

}  // namespace ember::losses
