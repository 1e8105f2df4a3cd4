// Losses against float64 formulas written here (Keras 3's definitions), including from_logits,
// probabilities of exactly 0 and 1, label smoothing, reductions and sample weights; gradients
// against finite differences; bad input.
#include <gtest/gtest.h>

#include <cmath>

#include "tests/gradient_check.h"
#include "tests/test_support.h"

namespace ember {
namespace {

using testing::expect_close;
using testing::random_values;
using testing::values_of;

constexpr double kEps = 1e-7;
constexpr int kRows = 5, kClasses = 4;

double clip(double p) { return std::min(std::max(p, kEps), 1.0 - kEps); }

/// Rows of probabilities (positive, normalised) and matching one-hot targets.
struct ClassData {
  std::vector<double> probs, logits, one_hot;
  std::vector<std::int64_t> labels;
};

ClassData class_data() {
  ClassData d;
  d.logits = random_values(kRows * kClasses, -3, 3, 5);
  for (int r = 0; r < kRows; ++r) {
    double sum = 0;
    for (int c = 0; c < kClasses; ++c) sum += std::exp(d.logits[r * kClasses + c]);
    for (int c = 0; c < kClasses; ++c)
      d.probs.push_back(std::exp(d.logits[r * kClasses + c]) / sum);
    d.labels.push_back((r * 3) % kClasses);
    for (int c = 0; c < kClasses; ++c) d.one_hot.push_back(c == d.labels.back() ? 1.0 : 0.0);
  }
  return d;
}

Tensor matrix(const std::vector<double>& v, DType dtype = float32) {
  return cast(constant(v, {kRows, kClasses}, float64), dtype);
}

std::vector<double> categorical_reference(const std::vector<double>& target,
                                          const std::vector<double>& probs) {
  std::vector<double> out;
  for (int r = 0; r < kRows; ++r) {
    double sum = 0, loss = 0;
    for (int c = 0; c < kClasses; ++c) sum += probs[r * kClasses + c];
    for (int c = 0; c < kClasses; ++c)
      loss -= target[r * kClasses + c] * std::log(clip(probs[r * kClasses + c] / sum));
    out.push_back(loss);
  }
  return out;
}

TEST(Losses, CategoricalCrossentropyFromProbabilitiesAndLogits) {
  const ClassData d = class_data();
  const auto expected = categorical_reference(d.one_hot, d.probs);
  expect_close(values_of(losses::categorical_crossentropy(matrix(d.one_hot), matrix(d.probs))),
               expected, 1e-5, "probabilities");
  // From logits: -Σ t·log_softmax(z), the same numbers without clipping.
  expect_close(
      values_of(losses::categorical_crossentropy(matrix(d.one_hot), matrix(d.logits), true)),
      expected, 1e-5, "logits");
  // Unnormalised probabilities are normalised first, as Keras does.
  std::vector<double> doubled = d.probs;
  for (double& p : doubled) p *= 2;
  expect_close(values_of(losses::categorical_crossentropy(matrix(d.one_hot), matrix(doubled))),
               expected, 1e-5, "unnormalised");
}

TEST(Losses, CrossentropyOfCertainPredictionsIsFinite) {
  // p = 1 for the true class and 0 elsewhere; and the opposite: Keras clips to [1e-7, 1 - 1e-7].
  const Tensor target = constant({{1.0f, 0.0f}, {0.0f, 1.0f}});
  const Tensor right = constant({{1.0f, 0.0f}, {0.0f, 1.0f}});
  const Tensor wrong = constant({{0.0f, 1.0f}, {1.0f, 0.0f}});
  // float32: clip(1 - 1e-7) rounds to 0.99999988; -log of it is ~1.19e-7.
  expect_close(values_of(losses::categorical_crossentropy(target, right)),
               {1.192093e-7, 1.192093e-7}, 1e-9, "right");
  expect_close(values_of(losses::categorical_crossentropy(target, wrong)),
               {-std::log(1e-7), -std::log(1e-7)}, 1e-5, "wrong");
  const Tensor bce =
      losses::binary_crossentropy(constant({{1.0f}, {0.0f}}), constant({{0.0f}, {1.0f}}));
  // In float32, 1 - 1e-7 rounds to 1 - 2^-23, so 1 - p is 2^-23 for the second row.
  expect_close(values_of(bce), {-std::log(1e-7), -std::log(std::ldexp(1.0, -23))}, 1e-5,
               "binary wrong");
  // Extreme logits stay finite and exact through the stable forms.
  const Tensor logits = constant({{1000.0f, -1000.0f}});
  expect_close(values_of(losses::categorical_crossentropy(constant({{0.0f, 1.0f}}), logits, true)),
               {2000.0}, 1e-6, "huge logits");
  expect_close(values_of(losses::binary_crossentropy(constant({{0.0f, 1.0f}}), logits, true)),
               {1000.0}, 1e-6, "huge binary logits");
}

TEST(Losses, SparseCategoricalCrossentropy) {
  const ClassData d = class_data();
  const auto expected = categorical_reference(d.one_hot, d.probs);
  const Tensor labels = constant(d.labels);
  expect_close(values_of(losses::sparse_categorical_crossentropy(labels, matrix(d.probs))),
               expected, 1e-5, "int64");
  expect_close(values_of(losses::sparse_categorical_crossentropy(reshape(labels, {kRows, 1}),
                                                                 matrix(d.logits), true)),
               expected, 1e-5, "(n, 1) labels, logits");
  expect_close(
      values_of(losses::sparse_categorical_crossentropy(cast(labels, float32), matrix(d.probs))),
      expected, 1e-5, "float labels");
  if (default_device()
          .is_cpu()) {  // the range check is the CPU's (losses.h); a GPU gives such rows 0
    EXPECT_THROW(losses::sparse_categorical_crossentropy(
                     constant(std::vector<std::int64_t>{0, 1, 2, 3, 4}), matrix(d.probs)),
                 Error);
    EXPECT_THROW(losses::sparse_categorical_crossentropy(
                     constant(std::vector<std::int64_t>{0, -1, 2, 3, 0}), matrix(d.probs)),
                 Error);
  }
  EXPECT_THROW(losses::sparse_categorical_crossentropy(constant(std::vector<std::int64_t>{0, 1}),
                                                       matrix(d.probs)),
               ShapeError);
}

TEST(Losses, BinaryCrossentropyHuberKlMseMae) {
  const auto t = random_values(kRows * kClasses, 0, 1, 7);
  const auto p = random_values(kRows * kClasses, 0.01, 0.99, 8);
  const auto z = random_values(kRows * kClasses, -4, 4, 9);
  std::vector<double> bce, bce_logits, huber, kld, mse, mae;
  for (int r = 0; r < kRows; ++r) {
    double b = 0, bl = 0, h = 0, k = 0, s = 0, a = 0;
    for (int c = 0; c < kClasses; ++c) {
      const int i = r * kClasses + c;
      b += -(t[i] * std::log(clip(p[i])) + (1 - t[i]) * std::log(1 - clip(p[i])));
      const double sig = 1 / (1 + std::exp(-z[i]));
      bl += -(t[i] * std::log(sig) + (1 - t[i]) * std::log(1 - sig));
      const double e = p[i] - t[i];
      h += std::fabs(e) <= 0.3 ? 0.5 * e * e : 0.3 * std::fabs(e) - 0.5 * 0.3 * 0.3;
      const double tc = std::min(std::max(t[i], kEps), 1.0),
                   pc = std::min(std::max(p[i], kEps), 1.0);
      k += tc * std::log(tc / pc);
      s += e * e;
      a += std::fabs(e);
    }
    bce.push_back(b / kClasses);
    bce_logits.push_back(bl / kClasses);
    huber.push_back(h / kClasses);
    kld.push_back(k);
    mse.push_back(s / kClasses);
    mae.push_back(a / kClasses);
  }
  expect_close(values_of(losses::binary_crossentropy(matrix(t), matrix(p))), bce, 1e-5, "bce");
  expect_close(values_of(losses::binary_crossentropy(matrix(t), matrix(z), true)), bce_logits, 1e-5,
               "bce logits");
  expect_close(values_of(losses::huber(matrix(t), matrix(p), 0.3)), huber, 1e-6, "huber");
  expect_close(values_of(losses::kl_divergence(matrix(t), matrix(p))), kld, 1e-5, "kld");
  expect_close(values_of(losses::mean_squared_error(matrix(t), matrix(p))), mse, 1e-6, "mse");
  expect_close(values_of(losses::mean_absolute_error(matrix(t), matrix(p))), mae, 1e-6, "mae");
}

TEST(Losses, LabelSmoothing) {
  const ClassData d = class_data();
  std::vector<double> smoothed = d.one_hot;
  for (double& v : smoothed) v = v * 0.8 + 0.2 / kClasses;
  expect_close(
      values_of(losses::categorical_crossentropy(matrix(d.one_hot), matrix(d.probs), false, 0.2)),
      categorical_reference(smoothed, d.probs), 1e-5, "categorical");
  // Binary: y·(1 - ls) + ls/2.
  const double y = 1 * 0.9 + 0.05, p = 0.7;
  const double expected = -(y * std::log(p) + (1 - y) * std::log(1 - p));
  expect_close(
      values_of(losses::binary_crossentropy(constant({{1.0f}}), constant({{0.7f}}), false, 0.1)),
      {expected}, 1e-6);
}

TEST(Losses, ReductionsAndSampleWeights) {
  const auto t = random_values(6, -1, 1, 3), p = random_values(6, -1, 1, 4);
  const Tensor y_true = constant(t, {3, 2}, float64), y_pred = constant(p, {3, 2}, float64);
  const std::vector<double> w = {0.5, 2.0, 0.0};
  std::vector<double> per_sample;
  for (int r = 0; r < 3; ++r) {
    per_sample.push_back(((t[2 * r] - p[2 * r]) * (t[2 * r] - p[2 * r]) +
                          (t[2 * r + 1] - p[2 * r + 1]) * (t[2 * r + 1] - p[2 * r + 1])) /
                         2);
  }
  const Tensor weights = constant(w);
  double weighted_sum = 0;
  for (int r = 0; r < 3; ++r) weighted_sum += per_sample[r] * w[r];
  const double plain_sum = per_sample[0] + per_sample[1] + per_sample[2];

  expect_close(values_of(losses::MeanSquaredError()(y_true, y_pred)), {plain_sum / 3}, 1e-12,
               "sum_over_batch_size");
  expect_close(values_of(losses::MeanSquaredError()(y_true, y_pred, weights)), {weighted_sum / 3},
               1e-12, "weighted: divided by the count, not the weights");
  expect_close(values_of(losses::MeanSquaredError(_reduction = "sum")(y_true, y_pred, weights)),
               {weighted_sum}, 1e-12, "sum");
  expect_close(values_of(losses::MeanSquaredError(_reduction = "mean_with_sample_weight")(
                   y_true, y_pred, weights)),
               {weighted_sum / 2.5}, 1e-12, "mean_with_sample_weight");
  expect_close(values_of(losses::MeanSquaredError(_reduction = "none")(y_true, y_pred, weights)),
               {per_sample[0] * w[0], per_sample[1] * w[1], 0.0}, 1e-12, "none");
  // (n, 1) weights line up with (n,) losses.
  expect_close(values_of(losses::MeanSquaredError()(y_true, y_pred, reshape(weights, {3, 1}))),
               {weighted_sum / 3}, 1e-12, "column weights");
  EXPECT_THROW(losses::MeanSquaredError(_reduction = "average"), Error);
  EXPECT_THROW(losses::MeanSquaredError()(y_true, y_pred, constant({1.0, 2.0})), ShapeError);
}

TEST(Losses, ShapesMustMatch) {
  EXPECT_THROW(losses::mean_squared_error(zeros({4, 3}), zeros({4, 2})), ShapeError);
  EXPECT_THROW(losses::categorical_crossentropy(zeros({4, 3}), zeros({4, 2})), ShapeError);
  // (n,) targets against (n, 1) predictions line up (Keras' squeeze_or_expand_to_same_rank).
  expect_close(
      values_of(losses::mean_squared_error(constant({1.0f, 2.0f}), constant({{1.5f}, {2.0f}}))),
      {0.25, 0.0}, 1e-7);
  EXPECT_THROW(losses::binary_crossentropy(constant({{1}, {0}}), constant({{1}, {0}})), DTypeError);
}

struct MyLoss : losses::Loss {
  double alpha, beta;
  MyLoss(double alpha, double beta) : Loss({.name = "my_loss"}), alpha(alpha), beta(beta) {}
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override {
    return reduce_mean(square(alpha * y_true - beta * y_pred), {-1});
  }
};

TEST(Losses, UserLossClassAndFunctions) {
  const Tensor t = constant({{1.0, 2.0}, {3.0, 4.0}}), p = constant({{0.5, 1.0}, {1.0, 0.0}});
  const MyLoss loss(0.4, 0.5);
  double expected = 0;
  const double tv[] = {1, 2, 3, 4}, pv[] = {0.5, 1, 1, 0};
  for (int i = 0; i < 4; ++i) expected += (0.4 * tv[i] - 0.5 * pv[i]) * (0.4 * tv[i] - 0.5 * pv[i]);
  expect_close(values_of(loss(t, p)), {expected / 4}, 1e-6, "MyLoss");
  EXPECT_EQ(loss.name(), "my_loss");
  EXPECT_EQ(losses::get("mse")->class_name(), "MeanSquaredError");
  EXPECT_EQ(losses::get("CategoricalCrossentropy")->class_name(), "CategoricalCrossentropy");
  EXPECT_THROW(losses::get("mean_squared_err"), Error);
  // "crossentropy" picks by shape, as Keras does.
  const losses::LossRef ce("crossentropy");
  EXPECT_EQ(ce.resolve({8}, {8, 10})->class_name(), "SparseCategoricalCrossentropy");
  EXPECT_EQ(ce.resolve({8, 10}, {8, 10})->class_name(), "CategoricalCrossentropy");
  EXPECT_EQ(ce.resolve({8, 1}, {8, 1})->class_name(), "BinaryCrossentropy");
}

TEST(Losses, GradientsMatchFiniteDifferences) {
  using testing::check_gradient;
  using testing::random_tensor;
  const Tensor target = random_tensor({3, 4}, 0, 1, 21);
  const Tensor probs = random_tensor({3, 4}, 0.05, 0.95, 22);
  const Tensor logits = random_tensor({3, 4}, -2, 2, 23);
  const Tensor labels = constant(std::vector<std::int64_t>{2, 0, 3});
  check_gradient("categorical_crossentropy",
                 [&](const auto& x) { return losses::categorical_crossentropy(target, x[0]); },
                 {probs});
  check_gradient(
      "categorical_crossentropy logits",
      [&](const auto& x) { return losses::categorical_crossentropy(target, x[0], true); },
      {logits});
  check_gradient(
      "sparse_categorical_crossentropy logits",
      [&](const auto& x) { return losses::sparse_categorical_crossentropy(labels, x[0], true); },
      {logits});
  check_gradient("binary_crossentropy",
                 [&](const auto& x) { return losses::binary_crossentropy(target, x[0]); }, {probs});
  check_gradient("binary_crossentropy logits",
                 [&](const auto& x) { return losses::binary_crossentropy(target, x[0], true); },
                 {logits});
  check_gradient("huber", [&](const auto& x) { return losses::huber(target, x[0], 0.2); },
                 {logits});
  check_gradient("kl_divergence",
                 [&](const auto& x) { return losses::kl_divergence(target, x[0]); }, {probs});
  check_gradient("mean_squared_error",
                 [&](const auto& x) { return losses::mean_squared_error(x[0], x[1]); },
                 {target, logits});
  // The fused ops: gradients for labels and logits, and through the backward pass.
  check_gradient("softmax_cross_entropy_with_logits",
                 [&](const auto& x) { return softmax_cross_entropy_with_logits(x[0], x[1]); },
                 {target, logits});
  check_gradient("softmax_cross_entropy_with_logits axis 0",
                 [&](const auto& x) { return softmax_cross_entropy_with_logits(x[0], x[1], 0); },
                 {target, logits});
  check_gradient(
      "sparse_softmax_cross_entropy_with_logits",
      [&](const auto& x) { return sparse_softmax_cross_entropy_with_logits(labels, x[0]); },
      {logits});
  testing::check_second_gradient(
      "softmax_cross_entropy_with_logits",
      [&](const auto& x) { return softmax_cross_entropy_with_logits(target, x[0]); }, {logits});
  testing::check_second_gradient(
      "sparse_softmax_cross_entropy_with_logits",
      [&](const auto& x) { return sparse_softmax_cross_entropy_with_logits(labels, x[0]); },
      {logits});
  EXPECT_THROW(softmax_cross_entropy_with_logits(target, zeros({3, 5}, float64)), ShapeError);
  EXPECT_THROW(sparse_softmax_cross_entropy_with_logits(cast(labels, float64), logits), DTypeError);
}

// Keras 3 on TensorFlow computes the cross-entropies of a softmax or sigmoid activation's output
// from its logits (backend.nn._get_logits), not from clipped probabilities: for logits
// [100, 0, 0] and true class 1 the loss is 100 (log Σ exp − 0) and the gradient softmax − y, where
// clipping would give −log(1e-7) = 16.118 and no gradient at all.
TEST(Losses, CrossEntropiesAfterASoftmaxOrSigmoidUseItsLogits) {
  const DeviceScope cpu(Device::cpu());
  const Tensor logits = constant({{100.0, 0.0, 0.0}}, float64);
  const Tensor y = constant({{0.0, 1.0, 0.0}}, float64);
  const double expected = 100.0 + std::log1p(2 * std::exp(-100.0));
  GradientTape tape;
  tape.watch(logits);
  const Tensor p = activations::get("softmax")(logits);
  const Tensor loss = losses::categorical_crossentropy(y, p);
  EXPECT_NEAR(loss.item<double>(), expected, 1e-12);
  expect_close(values_of(*tape.gradient(loss, logits)), {1.0, -1.0, 0.0}, 1e-12, "softmax - y");
  EXPECT_NEAR(losses::sparse_categorical_crossentropy(constant({1}), p).item<double>(), expected,
              1e-12);
  // Another op in between drops the logits, as any TensorFlow op drops _keras_logits.
  EXPECT_NEAR(losses::categorical_crossentropy(y, p * 1.0).item<double>(), -std::log(kEps), 1e-9);
  const Tensor z = constant({{100.0}}, float64);
  const Tensor q = activations::get("sigmoid")(z);
  // softplus(100) − 0·100 for target 0.
  EXPECT_NEAR(losses::binary_crossentropy(constant({{0.0}}, float64), q).item<double>(),
              100.0 + std::log1p(std::exp(-100.0)), 1e-12);
}

// The same through compile and fit: Dense(3, softmax) with kernel [[1, 0, 0]] on x = [[100]]
// takes a kernel gradient x·(softmax − y) = [100, −100, 0]; one SGD step of 1e-3 moves the kernel
// by [−0.1, 0.1, 0] (with clipped probabilities it would not move).
TEST(Losses, AConfidentlyWrongSoftmaxModelStillLearns) {
  const DeviceScope cpu(Device::cpu());
  keras::clear_session();
  keras::Sequential model({keras::Input({1}), layers::Dense(3, _activation = "softmax")});
  model.set_weights({constant({{1.f, 0.f, 0.f}}), zeros({3})});
  model.compile(_optimizer = optim::SGD(_learning_rate = 1e-3), _loss = "categorical_crossentropy");
  const keras::Logs logs = model.train_on_batch(constant({{100.f}}), constant({{0.f, 1.f, 0.f}}));
  EXPECT_NEAR(logs["loss"], 100.0, 1e-4);
  expect_close(values_of(model.get_weights()[0]), {0.9, 0.1, 0.0}, 1e-6, "kernel after one step");
  model.compile(_optimizer = optim::SGD(_learning_rate = 1e-3),
                _loss = "sparse_categorical_crossentropy");
  model.set_weights({constant({{1.f, 0.f, 0.f}}), zeros({3})});
  model.train_on_batch(constant({{100.f}}), constant({1}));
  expect_close(values_of(model.get_weights()[0]), {0.9, 0.1, 0.0}, 1e-6, "sparse");
  keras::Sequential binary({keras::Input({1}), layers::Dense(1, _activation = "sigmoid")});
  binary.set_weights({constant({{1.f}}), zeros({1})});
  binary.compile(_optimizer = optim::SGD(_learning_rate = 1e-3), _loss = "binary_crossentropy");
  const keras::Logs b = binary.train_on_batch(constant({{100.f}}), constant({{0.f}}));
  EXPECT_NEAR(b["loss"], 100.0, 1e-4);
  // d/dkernel = x·(sigmoid(100) − 0) = 100: one step of 1e-3 takes 0.1 off.
  expect_close(values_of(binary.get_weights()[0]), {0.9}, 1e-6, "binary kernel");
}

}  // namespace
}  // namespace ember
