// Metrics against counts and formulas computed here in float64: accuracies (with weights), top-k
// with ties, Precision/Recall (thresholds, top_k, class_id), AUC (ROC and PR, against Keras'
// thresholds and the interpolation formula), reset, user metrics and bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "tests/test_support.h"

namespace ember {
namespace {

using testing::expect_close;
using testing::random_values;

double result(const metrics::Metric& m) { return cast(m.result(), float64).item<double>(); }

TEST(Metrics, MeanAndSumWithWeights) {
  metrics::Mean mean;
  mean.update_state(constant({1.0f, 2.0f, 3.0f}));
  mean.update_state(constant({4.0f}), constant({3.0f}));
  // (1 + 2 + 3 + 4·3) / (3 + 3)
  EXPECT_NEAR(result(mean), 18.0 / 6.0, 1e-6);
  // Per-sample values are averaged first: rows (1, 3) and (5, 7) give 2 and 6.
  metrics::Mean rows;
  rows.update_state(constant({{1.0f, 3.0f}, {5.0f, 7.0f}}), constant({1.0f, 0.0f}));
  EXPECT_NEAR(result(rows), 2.0, 1e-6);
  metrics::Sum sum;
  sum.update_state(constant({1.0f, 2.0f}), constant({2.0f, 0.5f}));
  EXPECT_NEAR(result(sum), 3.0, 1e-6);
  mean.reset_state();
  EXPECT_EQ(result(mean), 0.0) << "an empty mean is 0 (divide_no_nan)";
  EXPECT_THROW(mean.Metric::update_state(constant({1.0f}), constant({1.0f})), Error);
}

TEST(Metrics, Accuracies) {
  const Tensor one_hot =
      constant({{0.0f, 1.0f, 0.0f}, {1.0f, 0.0f, 0.0f}, {0.0f, 0.0f, 1.0f}, {0.0f, 1.0f, 0.0f}});
  const Tensor probs =
      constant({{0.1f, 0.8f, 0.1f}, {0.2f, 0.7f, 0.1f}, {0.3f, 0.3f, 0.4f}, {0.5f, 0.4f, 0.1f}});
  // argmax rows: 1, 1, 2, 0 against 1, 0, 2, 1 -> right, wrong, right, wrong.
  metrics::CategoricalAccuracy categorical;
  categorical.update_state(one_hot, probs);
  EXPECT_NEAR(result(categorical), 0.5, 1e-7);
  categorical.update_state(one_hot, probs, constant({1.0f, 0.0f, 1.0f, 0.0f}));
  EXPECT_NEAR(result(categorical), (2.0 + 2.0) / (4 + 2), 1e-6) << "weights count per sample";

  metrics::SparseCategoricalAccuracy sparse;
  sparse.update_state(constant(std::vector<std::int64_t>{1, 0, 2, 1}), probs);
  sparse.update_state(constant({{1.0f}, {1.0f}, {2.0f}, {0.0f}}), probs);  // (n, 1) float labels
  EXPECT_NEAR(result(sparse), (2.0 + 4.0) / 8, 1e-7);

  metrics::BinaryAccuracy binary;
  binary.update_state(constant({{1.0f}, {0.0f}, {1.0f}, {0.0f}}),
                      constant({{0.6f}, {0.5f}, {0.4f}, {0.9f}}));
  EXPECT_NEAR(result(binary), 0.5, 1e-7) << "0.5 is not above the threshold";
  metrics::BinaryAccuracy strict(_threshold = 0.95);
  strict.update_state(constant({{1.0f}, {0.0f}}), constant({{0.9f}, {0.9f}}));
  EXPECT_NEAR(result(strict), 0.5, 1e-7);

  metrics::Accuracy exact;
  exact.update_state(constant({1, 2, 3, 4}), constant({1, 2, 0, 4}));
  EXPECT_NEAR(result(exact), 0.75, 1e-7);
  EXPECT_THROW(categorical.update_state(one_hot, zeros({4, 2})), ShapeError);
}

TEST(Metrics, TopKCountsTiesAsIn) {
  // Row 0: true class 2 has the 2nd largest score; row 1: true class 0 ties with two others for
  // the largest; row 2: true class 3 is the smallest.
  const Tensor scores =
      constant({{0.1f, 0.5f, 0.3f, 0.1f}, {0.3f, 0.3f, 0.3f, 0.1f}, {0.4f, 0.3f, 0.2f, 0.1f}});
  const Tensor labels = constant(std::vector<std::int64_t>{2, 0, 3});
  metrics::SparseTopKCategoricalAccuracy top1(_k = 1), top2({.k = 2});
  top1.update_state(labels, scores);
  top2.update_state(labels, scores);
  EXPECT_NEAR(result(top1), 1.0 / 3, 1e-6) << "row 1 (a tie for first) counts";
  EXPECT_NEAR(result(top2), 2.0 / 3, 1e-6);
  metrics::TopKCategoricalAccuracy onehot(_k = 2);
  onehot.update_state(one_hot(labels, 4), scores);
  EXPECT_NEAR(result(onehot), 2.0 / 3, 1e-6);
  EXPECT_EQ(onehot.name(), "top_k_categorical_accuracy");
}

struct Confusion {
  double tp = 0, fp = 0, tn = 0, fn = 0;
};
Confusion count(const std::vector<double>& y, const std::vector<double>& p, double threshold,
                const std::vector<double>& w = {}) {
  Confusion c;
  for (std::size_t i = 0; i < y.size(); ++i) {
    const double weight = w.empty() ? 1.0 : w[i];
    const bool predicted = p[i] > threshold, positive = y[i] > 0;
    (predicted ? (positive ? c.tp : c.fp) : (positive ? c.fn : c.tn)) += weight;
  }
  return c;
}

TEST(Metrics, PrecisionAndRecall) {
  const auto scores = random_values(40, 0, 1, 11);
  std::vector<double> labels;
  for (std::size_t i = 0; i < scores.size(); ++i)
    labels.push_back((i % 3 == 0) != (scores[i] < 0.3) ? 1.0 : 0.0);
  const auto weights = random_values(40, 0, 2, 12);
  const Tensor y = constant(labels, {40}, float32), p = constant(scores, {40}, float32);
  const Tensor w = constant(weights, {40}, float32);
  metrics::Precision precision;
  metrics::Recall recall;
  precision.update_state(y, p, w);
  recall.update_state(y, p, w);
  const Confusion c = count(labels, scores, 0.5, weights);
  EXPECT_NEAR(result(precision), c.tp / (c.tp + c.fp), 1e-5);
  EXPECT_NEAR(result(recall), c.tp / (c.tp + c.fn), 1e-5);

  metrics::Precision several(_thresholds = {0.2, 0.7});
  several.update_state(y, p);
  const Confusion c2 = count(labels, scores, 0.2), c7 = count(labels, scores, 0.7);
  expect_close(testing::values_of(several.result()),
               {c2.tp / (c2.tp + c2.fp), c7.tp / (c7.tp + c7.fp)}, 1e-6);

  metrics::Precision nothing;
  nothing.update_state(constant({1.0f, 0.0f}), constant({0.1f, 0.2f}));
  EXPECT_EQ(result(nothing), 0.0) << "no positive predictions: 0, not NaN";
  EXPECT_THROW(metrics::Precision(_thresholds = {1.5}), Error);
}

TEST(Metrics, PrecisionTopKAndClassId) {
  const Tensor y = constant({{0.0f, 1.0f, 1.0f}, {1.0f, 0.0f, 0.0f}});
  const Tensor p = constant({{0.9f, 0.6f, 0.8f}, {0.2f, 0.4f, 0.3f}});
  // top_k = 1 keeps 0.9 (wrong) and 0.4 (wrong) above the threshold 0.5? only 0.9: TP 0, FP 1.
  metrics::Precision top1(_top_k = 1);
  top1.update_state(y, p);
  EXPECT_NEAR(result(top1), 0.0, 1e-7);
  metrics::Precision top2(_top_k = 2);
  top2.update_state(y, p);  // kept: 0.9, 0.8 | 0.4, 0.3 -> all are positive predictions: TP 1 of 4
  EXPECT_NEAR(result(top2), 0.25, 1e-7);
  metrics::Recall column(_class_id = 2);
  column.update_state(y, p);  // column 2: y (1, 0), p (0.8, 0.3): TP 1, FN 0
  EXPECT_NEAR(result(column), 1.0, 1e-7);
  EXPECT_THROW(metrics::Recall(_class_id = 5).update_state(y, p), Error);
}

/// Keras' AUC from float64 counts at its thresholds (the formula of metrics/confusion_metrics.py).
double reference_auc(const std::vector<double>& y, const std::vector<double>& p, bool pr) {
  const int n = 200;
  std::vector<double> thresholds{-1e-7};
  for (int i = 0; i < n - 2; ++i) thresholds.push_back(static_cast<float>((i + 1) / double(n - 1)));
  thresholds.push_back(1 + 1e-7);
  std::vector<Confusion> c;
  for (double t : thresholds) c.push_back(count(y, p, t));
  double area = 0;
  for (int i = 0; i + 1 < n; ++i) {
    if (!pr) {
      auto fpr = [&](int j) { return c[j].fp / (c[j].fp + c[j].tn); };
      auto tpr = [&](int j) { return c[j].tp / (c[j].tp + c[j].fn); };
      area += (fpr(i) - fpr(i + 1)) * (tpr(i) + tpr(i + 1)) / 2;
    } else {
      const double dtp = c[i].tp - c[i + 1].tp;
      const double p0 = c[i].tp + c[i].fp, p1 = c[i + 1].tp + c[i + 1].fp;
      const double dp = std::max(p0 - p1, 0.0);
      const double slope = dp == 0 ? 0 : dtp / dp;
      const double intercept = c[i + 1].tp - slope * p1;
      const double ratio = (p0 > 0 && p1 > 0) ? p0 / p1 : 1.0;
      const double denominator = std::max(c[i + 1].tp + c[i + 1].fn, 0.0);
      const double term = slope * (dtp + intercept * std::log(ratio));
      area += denominator == 0 ? 0 : term / denominator;
    }
  }
  return area;
}

TEST(Metrics, AUCMatchesKerasFormulaAndTheExactArea) {
  const auto scores = random_values(300, 0, 1, 31);
  std::vector<double> labels;
  for (std::size_t i = 0; i < scores.size(); ++i)
    labels.push_back(scores[i] + 0.4 * (random_values(1, -1, 1, 100 + i)[0]) > 0.5);
  std::vector<float> scores32(scores.begin(), scores.end());
  const std::vector<double> rounded(scores32.begin(), scores32.end());
  const Tensor y = constant(labels, {300}, float32), p = constant(scores, {300}, float32);
  metrics::AUC roc, pr({.curve = "PR"});
  // Two batches accumulate like one.
  roc.update_state(y.slice(0, 100), p.slice(0, 100));
  roc.update_state(y.slice(100, 300), p.slice(100, 300));
  pr.update_state(y, p);
  EXPECT_NEAR(result(roc), reference_auc(labels, rounded, false), 1e-5);
  EXPECT_NEAR(result(pr), reference_auc(labels, rounded, true), 1e-5);
  // The exact ROC AUC (Mann-Whitney) is within the discretisation error of 200 thresholds.
  double pairs = 0, wins = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    for (std::size_t j = 0; j < labels.size(); ++j) {
      if (labels[i] > 0 && labels[j] == 0) {
        ++pairs;
        wins += rounded[i] > rounded[j] ? 1 : rounded[i] == rounded[j] ? 0.5 : 0;
      }
    }
  }
  EXPECT_NEAR(result(roc), wins / pairs, 0.01);
  metrics::AUC perfect;
  perfect.update_state(constant({0.0f, 0.0f, 1.0f, 1.0f}), constant({0.0f, 0.2f, 0.7f, 1.0f}));
  EXPECT_NEAR(result(perfect), 1.0, 1e-6);
  roc.reset_state();
  EXPECT_EQ(result(roc), 0.0);
  EXPECT_THROW(metrics::AUC(_curve = "XY"), Error);
}

/// The lesson's CategoricalTruePositives (true positives averaged per batch).
struct CategoricalTruePositives : metrics::Metric {
  Variable true_positives, count;
  explicit CategoricalTruePositives(std::string name = "my_metric") : Metric(std::move(name)) {
    true_positives = add_weight("acc");
    count = add_weight("count");
  }
  void update_state(const Tensor& y_true, const Tensor& y_pred,
                    const Tensor& sample_weight = {}) override {
    Tensor values = cast(equal(argmax(y_true, 1), argmax(y_pred, 1)), float32);
    if (sample_weight.defined()) values = values * cast(sample_weight, float32);
    true_positives.assign_add(reduce_mean(values));
    count.assign_add(1.0);
  }
  Tensor result() const override { return true_positives.value() / count.value(); }
};

TEST(Metrics, UserMetricWithAddWeight) {
  CategoricalTruePositives m;
  const Tensor y = one_hot(constant(std::vector<std::int64_t>{0, 1, 2, 1}), 3);
  const Tensor p = one_hot(constant(std::vector<std::int64_t>{0, 1, 0, 0}), 3);
  m.update_state(y, p);                                      // 0.5
  m.update_state(y, y, constant({1.0f, 1.0f, 0.0f, 0.0f}));  // 0.5
  EXPECT_NEAR(result(m), 0.5, 1e-7);
  EXPECT_EQ(m.variables().size(), 2u);
  m.reset_state();
  m.update_state(y, y);
  EXPECT_NEAR(result(m), 1.0, 1e-7) << "reset_state zeroes the add_weight variables";
  EXPECT_THROW(m.clone(), Error) << "a user metric without clone() cannot be copied per output";
}

TEST(Metrics, LookupByNameAndShapes) {
  EXPECT_EQ(metrics::get("mse")->class_name(), "MeanSquaredError");
  EXPECT_EQ(metrics::get("AUC")->class_name(), "AUC");
  EXPECT_EQ(metrics::get("categorical_crossentropy")->direction(), metrics::Direction::down);
  EXPECT_THROW(metrics::get("acuracy"), Error);
  const metrics::MetricRef acc("accuracy");
  EXPECT_EQ(acc.resolve({8, 10}, {8, 10})->class_name(), "CategoricalAccuracy");
  EXPECT_EQ(acc.resolve({8}, {8, 10})->class_name(), "SparseCategoricalAccuracy");
  EXPECT_EQ(acc.resolve({8, 1}, {8, 10})->class_name(), "SparseCategoricalAccuracy");
  EXPECT_EQ(acc.resolve({8, 1}, {8, 1})->class_name(), "BinaryAccuracy");
  EXPECT_EQ(acc.resolve({8, 1}, {8, 1})->name(), "accuracy");
  // An object is itself once, then a fresh clone.
  auto shared = std::make_shared<metrics::CategoricalAccuracy>();
  const metrics::MetricRef ref(shared);
  EXPECT_EQ(ref.resolve({1, 2}, {1, 2}), shared);
  EXPECT_NE(ref.resolve({1, 2}, {1, 2}), shared);
}

}  // namespace
}  // namespace ember
