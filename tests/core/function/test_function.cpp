// Graph functions (lesson 8): ember::function traces once per input signature and replays; the
// replay must give what eager execution gives — values, variable updates, random draws,
// optimizer steps, gradients through it — and keep only what matters (pruning, merging,
// constant folding).
#include <set>

#include "tests/test_support.h"

using namespace ember;
using ember::testing::expect_close;
using ember::testing::values_of;

namespace {

class Functions : public ember::testing::OnDevice {};

/// The lesson's function_tf: s = 0 + x·y, then ten times s = s + (s·y) ∘ x.
Tensor lesson_function(const Tensor& x, const Tensor& y) {
  Tensor s = zeros_like(x);
  s = s + matmul(x, y);
  for (int n = 0; n < 10; ++n) s = s + matmul(s, y) * x;
  return s;
}

/// The same in float64 loops (n×n matrices, row-major).
std::vector<double> lesson_reference(const std::vector<double>& x, const std::vector<double>& y,
                                     int n) {
  auto mm = [n](const std::vector<double>& a, const std::vector<double>& b) {
    std::vector<double> c(static_cast<std::size_t>(n * n), 0.0);
    for (int i = 0; i < n; ++i)
      for (int k = 0; k < n; ++k)
        for (int j = 0; j < n; ++j) c[i * n + j] += a[i * n + k] * b[k * n + j];
    return c;
  };
  std::vector<double> s = mm(x, y);
  for (int step = 0; step < 10; ++step) {
    const std::vector<double> sy = mm(s, y);
    for (std::size_t i = 0; i < s.size(); ++i) s[i] += sy[i] * x[i];
  }
  return s;
}

}  // namespace

TEST_P(Functions, ReplayGivesTheEagerValuesAndTracesOncePerSignature) {
  int host_runs = 0;
  auto traced = function([&](const Tensor& x, const Tensor& y) {
    ++host_runs;  // C++ code runs while tracing only, like print() in the lesson
    return lesson_function(x, y);
  });
  for (unsigned seed : {1u, 2u, 3u}) {
    const std::vector<double> xv = ember::testing::random_values(16, -0.3, 0.3, seed);
    const std::vector<double> yv = ember::testing::random_values(16, -0.3, 0.3, seed + 10);
    const Tensor x = constant(xv, {4, 4}, float64), y = constant(yv, {4, 4}, float64);
    expect_close(values_of(traced(x, y)), lesson_reference(xv, yv, 4), 1e-12);
  }
  EXPECT_EQ(traced.tracing_count(), 1);
  EXPECT_EQ(host_runs, 1);
  // A new shape or dtype is a new signature: traced again.
  (void)traced(ones({2, 2}), ones({2, 2}));
  EXPECT_EQ(traced.tracing_count(), 2);
  (void)traced(ones({2, 2}, float64), ones({2, 2}, float64));
  EXPECT_EQ(traced.tracing_count(), 3);
  (void)traced(ones({2, 2}), zeros({2, 2}));
  EXPECT_EQ(traced.tracing_count(), 3);
  EXPECT_EQ(host_runs, 3);
}

TEST_P(Functions, PrunesMergesAndFoldsConstants) {
  auto traced = function([](const Tensor& x) {
    const Tensor unused = exp(x) * 3.0f;                    // reaches no output: pruned
    const Tensor a = x * 2.0f + 1.0f, b = x * 2.0f + 1.0f;  // the same twice: merged
    const Tensor c = reduce_sum(ones({3, 3}));  // no traced input: computed once, a constant
    (void)unused;
    return a + b + c;
  });
  const Tensor x = constant({1.0f, -2.0f, 0.5f});
  expect_close(values_of(traced(x)), {15.0, 3.0, 13.0}, 1e-6);  // 2(2x + 1) + 9
  const TraceStats stats = traced.last_trace();
  EXPECT_EQ(stats.recorded,
            8u);  // exp, ×3, ×2, +1, ×2, +1, a+b, +c; nothing for ones and reduce_sum
  EXPECT_EQ(stats.merged, 2u);     // the second ×2 and +1
  EXPECT_EQ(stats.kept, 4u);       // ×2, +1, a+b, +c: exp and ×3 pruned
  EXPECT_EQ(stats.constants, 1u);  // c
  expect_close(values_of(traced(constant({0.0f, 1.0f, 2.0f}))), {11.0, 15.0, 19.0}, 1e-6);
}

TEST_P(Functions, VariablesAreReadAndWrittenOnEveryCall) {
  Variable counter(0.0f), total(constant({0.0f, 0.0f}));
  auto step = function([&](const Tensor& x) {
    counter.assign_add(1.0f);
    total.assign(total + x * counter);  // reads the counter after the write
    return total * 2.0f;
  });
  const Tensor x = constant({1.0f, 10.0f});
  expect_close(values_of(step(x)), {2.0, 20.0}, 0);    // counter 1: total = x
  expect_close(values_of(step(x)), {6.0, 60.0}, 0);    // counter 2: total = 3x
  expect_close(values_of(step(x)), {12.0, 120.0}, 0);  // counter 3: total = 6x
  EXPECT_EQ(counter.item<float>(), 3.0f);
  EXPECT_EQ(step.tracing_count(), 1);
  // A value read before a write keeps the old value, as in eager execution.
  Variable v(constant({1.0f}));
  auto read_then_write = function([&](const Tensor& x) {
    const Tensor before = v.value();
    v.assign(x);
    return before + v;
  });
  expect_close(values_of(read_then_write(constant({5.0f}))), {6.0}, 0);
  expect_close(values_of(read_then_write(constant({7.0f}))), {12.0}, 0);
}

TEST_P(Functions, RandomOpsDrawAfreshOnEveryCall) {
  auto noisy = function([](const Tensor& x) { return x + random::uniform(x.shape()); });
  const Tensor x = zeros({1000});
  const std::vector<double> a = values_of(noisy(x)), b = values_of(noisy(x)),
                            c = values_of(noisy(x));
  EXPECT_NE(a, b);
  EXPECT_NE(b, c);
  double mean = 0;
  for (double v : c) mean += v / 1000;
  EXPECT_NEAR(mean, 0.5, 0.05);
}

TEST_P(Functions, ImageAugmentationDrawsAfreshOnEveryCall) {
  // The flips and crops are drawn on the host; a trace must still redraw them on every call.
  const Tensor images = reshape(cast(range(2 * 4 * 4), float32), {2, 4, 4, 1});
  auto augment = function([](const Tensor& x) {
    return image::random_crop_with_padding(image::random_flip_left_right(x), 1);
  });
  std::set<std::vector<double>> seen;
  for (int i = 0; i < 12; ++i) seen.insert(values_of(augment(images)));
  EXPECT_GT(seen.size(), 3u) << "12 calls gave at most 3 different augmentations";
  EXPECT_EQ(augment.tracing_count(), 1);
}

TEST_P(Functions, TrainingStepsMatchEagerSteps) {
  // The lesson's train_batch: a tape, a loss, Adam — ten steps traced and ten steps eager from the
  // same weights must land on the same weights.
  auto make = [] {
    keras::clear_session();
    random::set_seed(11);
    return keras::make<keras::Sequential>(std::vector<keras::SequentialItem>{
        keras::Input({6}), layers::Dense(8, _activation = "relu"), layers::Dropout(0.0),
        layers::Dense(3, _activation = "softmax")});
  };
  auto eager_model = make();
  auto traced_model = make();
  traced_model->set_weights(eager_model->get_weights());
  optim::Adam eager_opt(_learning_rate = 0.01), traced_opt(_learning_rate = 0.01);
  auto cross_entropy = [](const Tensor& y, const Tensor& p) {
    return reduce_mean(losses::categorical_crossentropy(y, p));
  };
  auto step = [&](keras::Model& model, optim::Optimizer& opt, const Tensor& x, const Tensor& y) {
    GradientTape tape;
    const Tensor loss = cross_entropy(y, model(x, true));
    opt.apply_gradients(tape.gradient(loss, model.trainable_variables()),
                        model.trainable_variables());
    return loss;
  };
  auto train_batch = function(
      [&](const Tensor& x, const Tensor& y) { return step(*traced_model, traced_opt, x, y); });
  random::Generator data(5);
  for (int i = 0; i < 10; ++i) {
    const Tensor x = data.normal({16, 6});
    const Tensor y = one_hot(data.uniform({16}, _minval = 0, _maxval = 3, _dtype = int32), 3);
    const Tensor eager_loss = step(*eager_model, eager_opt, x, y);
    const Tensor traced_loss = train_batch(x, y);
    expect_close(values_of(traced_loss), values_of(eager_loss), 1e-6, "loss " + std::to_string(i));
  }
  EXPECT_EQ(train_batch.tracing_count(), 1);
  EXPECT_EQ(traced_opt.iterations(), 10);
  const auto we = eager_model->get_weights(), wt = traced_model->get_weights();
  for (std::size_t i = 0; i < we.size(); ++i)
    expect_close(values_of(wt[i]), values_of(we[i]), 1e-6);
}

TEST_P(Functions, ConvolutionalTrainingStepsMatchEagerSteps) {
  // Convolution, batch normalization, pooling, a residual add and their gradients, traced.
  auto make = [] {
    keras::clear_session();
    random::set_seed(3);
    auto inputs = keras::Input({8, 8, 2});
    auto h = layers::Conv2D(4, 3, _padding = "same")(inputs);
    h = layers::BatchNormalization()(h);
    h = layers::Activation("relu")(h);
    auto skip = layers::Conv2D(4, 1)(inputs);
    h = layers::add({h, skip});
    h = layers::MaxPooling2D(2)(h);
    h = layers::AveragePooling2D(2)(h);
    h = layers::GlobalAveragePooling2D()(h);
    return keras::make<keras::Model>(inputs, layers::Dense(3, _activation = "softmax")(h));
  };
  auto eager_model = make();
  auto traced_model = make();
  traced_model->set_weights(eager_model->get_weights());
  optim::SGD eager_opt(_learning_rate = 0.1, _momentum = 0.9),
      traced_opt(_learning_rate = 0.1, _momentum = 0.9);
  auto step = [](keras::Model& model, optim::Optimizer& opt, const Tensor& x, const Tensor& y) {
    GradientTape tape;
    const Tensor loss = reduce_mean(losses::sparse_categorical_crossentropy(y, model(x, true)));
    opt.apply_gradients(tape.gradient(loss, model.trainable_variables()),
                        model.trainable_variables());
    return loss;
  };
  auto traced_step = function(
      [&](const Tensor& x, const Tensor& y) { return step(*traced_model, traced_opt, x, y); });
  random::Generator data(9);
  for (int i = 0; i < 4; ++i) {
    const Tensor x = data.normal({6, 8, 8, 2});
    const Tensor y = data.uniform({6}, _minval = 0, _maxval = 3, _dtype = int32);
    expect_close(values_of(traced_step(x, y)), values_of(step(*eager_model, eager_opt, x, y)), 1e-5,
                 "loss " + std::to_string(i));
  }
  EXPECT_EQ(traced_step.tracing_count(), 1);
  const auto we = eager_model->get_weights(),
             wt = traced_model->get_weights();  // BN statistics too
  for (std::size_t i = 0; i < we.size(); ++i)
    expect_close(values_of(wt[i]), values_of(we[i]), 1e-5);
}

TEST_P(Functions, GradientsThroughCompositeOpsReplayExactly) {
  // Ops made of other ops and ops whose gradients need values from the forward pass: a vector
  // and a batch-broadcast matmul, clip_by_value, a depthwise convolution, sparse cross-entropy
  // from logits. Each call's gradients must be that call's, not the trace's.
  random::Generator g(21);
  Variable w(g.normal({4, 3}, _dtype = float64)), v(g.normal({4}, _dtype = float64));
  Variable k(g.normal({3, 3, 2, 2}, _dtype = float64)), b(g.normal({3, 4, 3}, _dtype = float64));
  auto body = [&](const Tensor& x, const Tensor& image,
                  const Tensor& labels) -> std::vector<Tensor> {
    GradientTape tape;
    const Tensor logits = clip_by_value(matmul(x, w), -0.8, 0.8) + expand_dims(matmul(x, v), -1);
    const Tensor batched = matmul(reshape(x, {1, 1, 5, 4}), b);  // (1,1,5,4) x (3,4,3) -> (1,3,5,3)
    const Tensor features = depthwise_conv2d(image, k, _padding = "same");
    const Tensor loss = reduce_mean(sparse_softmax_cross_entropy_with_logits(labels, logits)) +
                        reduce_mean(square(batched)) + reduce_mean(features * features);
    std::vector<Tensor> out{loss};
    for (const auto& grad : tape.gradient(loss, std::vector<Variable>{w, v, k, b}))
      out.push_back(*grad);
    return out;
  };
  auto traced = function([&](const Tensor& x, const Tensor& image, const Tensor& labels) {
    return body(x, image, labels);
  });
  for (int call = 0; call < 3; ++call) {
    const Tensor x = g.normal({5, 4}, _dtype = float64);
    const Tensor image = g.normal({2, 5, 5, 2}, _dtype = float64);
    const Tensor labels = g.uniform({5}, _minval = 0, _maxval = 3, _dtype = int32);
    const std::vector<Tensor> replayed = traced(x, image, labels), eager = body(x, image, labels);
    ASSERT_EQ(replayed.size(), eager.size());
    for (std::size_t i = 0; i < eager.size(); ++i) {
      expect_close(values_of(replayed[i]), values_of(eager[i]), 1e-12,
                   cat("call ", call, " value ", i));
    }
  }
  EXPECT_EQ(traced.tracing_count(), 1);
}

TEST_P(Functions, DropoutMasksAndTheirGradientsAreDrawnAfresh) {
  // y = dropout(x·w) with x > 0: every kept element is 2·x·w, so d(sum y)/dw = sum(y) / w, with
  // whatever mask this call drew.
  Variable w(constant({1.5}, float64));
  auto step = function([&](const Tensor& x) -> std::vector<Tensor> {
    GradientTape tape;
    const Tensor y = reduce_sum(dropout(x * w, 0.5));
    return {y, *tape.gradient(y, w)};
  });
  const Tensor x =
      random::Generator(4).uniform({200}, _minval = 0.5, _maxval = 1.0, _dtype = float64);
  std::set<double> sums;
  for (int call = 0; call < 4; ++call) {
    const std::vector<Tensor> out = step(x);
    const double sum = out[0].item<double>();
    sums.insert(sum);
    EXPECT_NEAR(out[1].item<double>(), sum / 1.5, 1e-9) << "call " << call;
  }
  EXPECT_EQ(sums.size(), 4u) << "each call draws its own mask";
}

TEST_P(Functions, GradientsFlowThroughAReplay) {
  auto f = function([](const Tensor& x) { return reduce_sum(sin(x) * x); });
  const Tensor x0 = constant({0.5, 1.0, -2.0}, float64);
  (void)f(x0);  // trace
  GradientTape tape;
  const Tensor x = constant({0.3, -1.2, 2.5}, float64);
  tape.watch(x);
  const Tensor y = f(x);  // replay, under the tape
  const auto g = tape.gradient(y, x);
  ASSERT_TRUE(g.has_value());
  const std::vector<double> xs = {0.3, -1.2, 2.5};
  std::vector<double> expected;
  for (double v : xs) expected.push_back(std::cos(v) * v + std::sin(v));  // d/dx x·sin x
  expect_close(values_of(*g), expected, 1e-12);
  // And through variables the function reads.
  Variable w(constant({2.0, 3.0}, float64));
  auto g_fn = function([&](const Tensor& in) { return reduce_sum(w * in); });
  (void)g_fn(constant({1.0, 1.0}, float64));
  GradientTape tape2;
  const Tensor out = g_fn(constant({4.0, 5.0}, float64));
  expect_close(values_of(*tape2.gradient(out, w)), {4.0, 5.0}, 0);
}

TEST_P(Functions, NestedFunctionsJoinTheOuterTraceAndErrorsLeaveNoGraph) {
  auto inner = function([](const Tensor& x) { return x * 3.0f; });
  auto outer = function([&](const Tensor& x) { return inner(x) + 1.0f; });
  expect_close(values_of(outer(constant({1.0f, 2.0f}))), {4.0, 7.0}, 0);
  expect_close(values_of(outer(constant({3.0f, 4.0f}))), {10.0, 13.0}, 0);
  EXPECT_EQ(inner.tracing_count(), 0);  // inlined into outer's trace

  bool fail = true;
  auto flaky = function([&](const Tensor& x) {
    if (fail) throw Error("not yet");
    return x + 1.0f;
  });
  EXPECT_THROW(flaky(constant({1.0f})), Error);
  EXPECT_EQ(flaky.tracing_count(), 0);
  fail = false;
  expect_close(values_of(flaky(constant({1.0f}))), {2.0}, 0);
  EXPECT_EQ(flaky.tracing_count(), 1);
  EXPECT_THROW(flaky(Tensor()), Error);  // an undefined argument names itself
  // Shape errors surface while tracing, with the op's message.
  auto bad = function([](const Tensor& a) { return matmul(a, a); });
  EXPECT_THROW(bad(ones({2, 3})), ShapeError);
}

TEST_P(Functions, HostReadsAreFrozenAtTraceTime) {
  // Like tf.function, C++ control flow on a value is decided while tracing.
  auto branchy = function([](const Tensor& x) {
    return reduce_sum(x).item<float>() > 0 ? x * 2.0f : x * -1.0f;  // warns: a host read
  });
  expect_close(values_of(branchy(constant({1.0f, 2.0f}))), {2.0, 4.0}, 0);
  expect_close(values_of(branchy(constant({-1.0f, -2.0f}))), {-2.0, -4.0}, 0);  // the traced branch
}

TEST_P(Functions, KerasLayersAndVoidFunctions) {
  keras::clear_session();
  auto model = keras::make<keras::Sequential>(
      std::vector<keras::SequentialItem>{keras::Input({4}), layers::Dense(5, _activation = "tanh"),
                                         layers::BatchNormalization(), layers::Dense(2)});
  auto predict = function([&](const Tensor& x) { return (*model)(x); });
  auto train_mode =
      function([&](const Tensor& x) { (void)(*model)(x, true); });  // updates BN statistics
  random::Generator g(3);
  const Tensor x = g.normal({8, 4});
  expect_close(values_of(predict(x)), values_of((*model)(x)), 1e-6);
  const std::vector<Tensor> before = model->get_weights();
  train_mode(x);
  train_mode(x);
  keras::clear_session();
  auto eager = keras::make<keras::Sequential>(
      std::vector<keras::SequentialItem>{keras::Input({4}), layers::Dense(5, _activation = "tanh"),
                                         layers::BatchNormalization(), layers::Dense(2)});
  eager->set_weights(before);
  (void)(*eager)(x, true);
  (void)(*eager)(x, true);
  const auto wa = model->get_weights(), wb = eager->get_weights();
  for (std::size_t i = 0; i < wa.size(); ++i)
    expect_close(values_of(wa[i]), values_of(wb[i]), 1e-6);
  const Tensor x2 = g.normal({8, 4});
  expect_close(values_of(predict(x2)), values_of((*model)(x2)), 1e-6);
}

INSTANTIATE_TEST_SUITE_P(Devices, Functions, ::testing::ValuesIn(ember::testing::all_devices()),
                         ember::testing::device_name);
