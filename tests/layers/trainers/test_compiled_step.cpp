// The compiled step (layers/trainers/step_function.h): fit, evaluate and predict trace their
// steps into graphs and replay them unless the model runs eagerly. The reference is always the
// same model, data and seed run with run_eagerly = true: the replayed steps must give the same
// weights, optimizer state, logs and predictions (bitwise where the ops are deterministic), with
// dropout, batch normalization, class weights, validation, schedules, a short last batch and
// steps_per_execution; a step's C++ code runs only while tracing; a host read falls back to
// eager with one warning; the options are saved as Keras saves them.
#include <gtest/gtest.h>

#include <random>

#include "tests/test_support.h"

namespace ember {
namespace {

using testing::expect_close;
using testing::expect_error;
using testing::values_of;

class CompiledStep : public testing::OnDevice {
 protected:
  void SetUp() override {
    OnDevice::SetUp();
    keras::clear_session();
  }
};
INSTANTIATE_TEST_SUITE_P(Devices, CompiledStep, ::testing::ValuesIn(testing::all_devices()),
                         testing::device_name);

/// Rows of uniform features (std::mt19937, not ember's generator) and labels among `classes`.
struct Data {
  Tensor x, labels;
};
Data data(std::int64_t rows, std::int64_t features, std::int64_t classes, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> x(static_cast<std::size_t>(rows * features));
  for (float& v : x) v = u(rng);
  std::vector<std::int64_t> labels;
  for (std::int64_t i = 0; i < rows; ++i)
    labels.push_back(static_cast<std::int64_t>(rng() % classes));
  return {constant(x, {rows, features}), constant(labels)};
}

/// Dense, batch normalization (moving statistics), dropout (a fresh mask every step), softmax.
std::shared_ptr<keras::Sequential> mlp() {
  return std::make_shared<keras::Sequential>(std::vector<keras::SequentialItem>{
      keras::Input({6}), layers::Dense(16, _activation = "relu"), layers::BatchNormalization(),
      layers::Dropout(0.3), layers::Dense(3, _activation = "softmax")});
}

/// Lesson 13's toy ResNet, shrunk to 12x12 images: convolutions, pooling, two shortcuts, global
/// pooling, dropout.
std::shared_ptr<keras::Model> toy_resnet() {
  auto inputs = keras::Input({12, 12, 3});
  auto h = layers::Conv2D(8, 3, _activation = "relu")(inputs);
  h = layers::Conv2D(8, 3, _activation = "relu")(h);
  auto block_1 = layers::MaxPooling2D(2)(h);
  h = layers::Conv2D(8, 3, _activation = "relu", _padding = "same")(block_1);
  h = layers::Conv2D(8, 3, _activation = "relu", _padding = "same")(h);
  auto block_2 = layers::add({h, block_1});
  h = layers::GlobalAveragePooling2D()(block_2);
  h = layers::Dense(16, _activation = "relu")(h);
  h = layers::Dropout(0.5)(h);
  return std::make_shared<keras::Model>(inputs, layers::Dense(4, _activation = "softmax")(h));
}

/// Lesson 9's network: a subclassed model of custom layers that make their weights in build()
/// and add a loss and a metric in call().
struct CustomDense : keras::Layer {
  explicit CustomDense(std::int64_t units) : units(units) {}
  void build(const Shape& input_shape) override {
    w = add_weight("w", {input_shape[-1], units}, "random_normal");
    b = add_weight("b", {units}, "zeros");
  }
  Tensor call(const Tensor& inputs) override {
    const Tensor regular = 0.01 * reduce_mean(square(w));
    add_loss(regular);
    add_metric(regular, "mean square error");
    return matmul(inputs, w) + b;
  }
  std::int64_t units;
  Variable w, b;
};
struct Lesson9Network : keras::Model {
  CustomDense layer_1{12};
  CustomDense layer_2{3};
  Tensor call(const Tensor& inputs) override { return softmax(layer_2(relu(layer_1(inputs)))); }
};

std::vector<std::vector<double>> weights_of(const keras::Model& model) {
  std::vector<std::vector<double>> out;
  for (const Tensor& w : model.get_weights()) out.push_back(values_of(w));
  return out;
}

void expect_same_weights(const keras::Model& traced, const keras::Model& eager, double tol) {
  const auto a = weights_of(traced), b = weights_of(eager);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (tol == 0)
      EXPECT_EQ(a[i], b[i]) << "weight " << i;
    else
      expect_close(a[i], b[i], tol, cat("weight ", i));
  }
}

void expect_same_history(const keras::History& a, const keras::History& b) {
  ASSERT_EQ(a.history.size(), b.history.size());
  for (const auto& [key, values] : a.history) expect_close(values, b[key], 1e-6, key);
}

/// fit on the MLP, traced or eager, from the same seed: 70 rows in batches of 16 (a short last
/// batch), class weights, a validation split, shuffling.
struct MlpRun {
  std::shared_ptr<keras::Sequential> model = mlp();
  keras::History history;
};
MlpRun fit_mlp(bool eagerly, std::int64_t steps_per_execution) {
  random::set_seed(11);
  MlpRun run;
  run.model->compile(_optimizer = optim::Adam(_learning_rate = 0.01),
                     _loss = "sparse_categorical_crossentropy", _metrics = {"accuracy"},
                     _run_eagerly = eagerly, _steps_per_execution = steps_per_execution);
  const Data d = data(88, 6, 3, 5);
  run.history =
      run.model->fit(d.x, d.labels, _batch_size = 16, _epochs = 3, _verbose = 0,
                     _validation_split = 0.2, _class_weight = {{0, 1.0}, {1, 2.0}, {2, 0.5}});
  return run;
}

TEST_P(CompiledStep, TracedFitEqualsEagerFit) {
  const MlpRun eager = fit_mlp(true, 1);
  const MlpRun traced = fit_mlp(false, 1);
  EXPECT_FALSE(traced.model->run_eagerly());
  EXPECT_EQ(eager.model->step_tracing_count(), 0);
  // train: a full batch and the short last one; validation: the same two.
  EXPECT_EQ(traced.model->step_tracing_count(), 4);
  expect_same_weights(*traced.model, *eager.model, device().is_cpu() ? 0.0 : 1e-6);
  expect_same_history(traced.history, eager.history);
  EXPECT_EQ(traced.model->optimizer().iterations(), eager.model->optimizer().iterations());
  EXPECT_EQ(traced.model->optimizer().iterations(), 3 * 5);
}

TEST_P(CompiledStep, StepsPerExecutionRunsBatchesInGroups) {
  const MlpRun eager = fit_mlp(true, 1);
  const MlpRun grouped = fit_mlp(false, 3);
  EXPECT_EQ(grouped.model->steps_per_execution(), 3);
  expect_same_weights(*grouped.model, *eager.model, device().is_cpu() ? 0.0 : 1e-6);
  expect_same_history(grouped.history, eager.history);

  // Callbacks see each execution once: begin at its first step, end at its last (Keras 3).
  random::set_seed(3);
  auto model = mlp();
  model->compile(_optimizer = "sgd", _loss = "sparse_categorical_crossentropy",
                 _steps_per_execution = 3);
  const Data d = data(80, 6, 3, 6);
  std::vector<std::int64_t> begins, ends;
  callbacks::LambdaCallback hooks({
      .on_train_batch_begin = [&](std::int64_t step, keras::Logs&) { begins.push_back(step); },
      .on_train_batch_end = [&](std::int64_t step, keras::Logs&) { ends.push_back(step); },
  });
  model->fit(d.x, d.labels, _batch_size = 8, _epochs = 1, _verbose = 0, _callbacks = {hooks});
  EXPECT_EQ(begins, (std::vector<std::int64_t>{0, 3, 6, 9}));
  EXPECT_EQ(ends, (std::vector<std::int64_t>{2, 5, 8, 9}));
  EXPECT_EQ(model->optimizer().iterations(), 10);
}

TEST_P(CompiledStep, ToyResNetAndLesson9ModelTrainAsEagerly) {
  const Data d = data(40, 12 * 12 * 3, 4, 8);
  const Tensor images = reshape(d.x, {40, 12, 12, 3});
  const auto fit_resnet = [&](bool eagerly) {
    random::set_seed(21);
    auto model = toy_resnet();
    model->compile(_optimizer = "adam", _loss = "sparse_categorical_crossentropy",
                   _metrics = {"accuracy"}, _run_eagerly = eagerly);
    model->fit(images, d.labels, _batch_size = 16, _epochs = 2, _verbose = 0);
    return model;
  };
  const auto resnet_eager = fit_resnet(true), resnet_traced = fit_resnet(false);
  expect_same_weights(*resnet_traced, *resnet_eager, 1e-6);

  const Data m = data(64, 6, 3, 9);
  const auto fit_lesson9 = [&](bool eagerly) {
    random::set_seed(22);
    auto model = std::make_shared<Lesson9Network>();
    model->compile(_optimizer = "adam", _loss = "sparse_categorical_crossentropy",
                   _metrics = {"accuracy"}, _run_eagerly = eagerly);
    model->fit(m.x, m.labels, _batch_size = 8, _epochs = 2, _verbose = 0);
    return model;
  };
  const auto lesson9_eager = fit_lesson9(true), lesson9_traced = fit_lesson9(false);
  expect_same_weights(*lesson9_traced, *lesson9_eager, device().is_cpu() ? 0.0 : 1e-6);
  EXPECT_GT(lesson9_traced->step_tracing_count(), 0);
}

/// The step's state moves on in the graph: a schedule's learning rate, Adam's bias corrections
/// and the dropout generator's counter are those of step N+1 on replay N+1.
TEST_P(CompiledStep, AHundredReplaysEqualAHundredEagerSteps) {
  const Data d = data(24, 6, 3, 12);
  const auto train = [&](bool eagerly) {
    random::set_seed(5);
    auto model = mlp();
    model->compile(_optimizer = optim::Adam(
                       _learning_rate = optim::ExponentialDecay(
                           {.initial_learning_rate = 0.02, .decay_steps = 10, .decay_rate = 0.5})),
                   _loss = "sparse_categorical_crossentropy", _run_eagerly = eagerly);
    for (int i = 0; i < 100; ++i) model->train_on_batch(d.x, d.labels);
    return model;
  };
  const auto eager = train(true), traced = train(false);
  EXPECT_EQ(traced->optimizer().iterations(), 100);
  EXPECT_EQ(traced->step_tracing_count(), 1);
  expect_same_weights(*traced, *eager, device().is_cpu() ? 0.0 : 1e-6);
}

/// A train_step override that counts how often its C++ code runs.
struct CountingModel : keras::Model {
  Tensor call(const Tensor& x) override { return dense(x); }
  void train_step(const keras::Batch& batch) override {
    ++runs;
    if (read_on_host) (void)reduce_sum(batch.x[0]).item<float>();
    keras::Model::train_step(batch);
  }
  keras::Handle<layers::DenseLayer> dense = layers::Dense(2);
  int runs = 0;
  bool read_on_host = false;
};

TEST_P(CompiledStep, AStepsCodeRunsOnlyWhileTracing) {
  const Data d = data(32, 3, 2, 13);
  const Tensor y = one_hot(d.labels, 2);
  auto model = std::make_shared<CountingModel>();
  model->compile(_optimizer = "sgd", _loss = "mse");
  model->fit(d.x, y, _batch_size = 8, _epochs = 5, _verbose = 0);
  // The first step runs eagerly (the layers make their weights), the second is traced; the
  // other 18 replay the graph.
  EXPECT_EQ(model->runs, 2);
  EXPECT_EQ(model->optimizer().iterations(), 20);

  model->set_run_eagerly(true);
  model->fit(d.x, y, _batch_size = 8, _epochs = 1, _verbose = 0);
  EXPECT_EQ(model->runs, 2 + 4);
}

TEST_P(CompiledStep, AHostReadInTrainStepFallsBackToEagerWithOneWarning) {
  const Data d = data(32, 3, 2, 14);
  const Tensor y = one_hot(d.labels, 2);
  const auto train = [&](bool eagerly) {
    random::set_seed(6);
    auto model = std::make_shared<CountingModel>();
    model->read_on_host = true;
    model->compile(_optimizer = "sgd", _loss = "mse", _run_eagerly = eagerly);
    model->fit(d.x, y, _batch_size = 8, _epochs = 3, _verbose = 0);
    return model;
  };
  ::testing::internal::CaptureStderr();
  const auto traced = train(false);
  const std::string log = ::testing::internal::GetCapturedStderr();
  const auto eager = train(true);
  EXPECT_EQ(traced->runs, 12) << "every step ran its C++ code";
  expect_same_weights(*traced, *eager, 0.0);
  const auto warnings = [&log] {
    int n = 0;
    for (std::size_t at = log.find("WARNING"); at != std::string::npos;
         at = log.find("WARNING", at + 1))
      ++n;
    return n;
  }();
  EXPECT_EQ(warnings, 1) << log;
  EXPECT_NE(log.find("fit: train_step reads a traced tensor's value on the host (item)"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("running it eagerly"), std::string::npos) << log;
}

TEST_P(CompiledStep, EvaluateAndPredictReplayAsEagerly) {
  const Data d = data(45, 6, 3, 15);
  const auto run = [&](bool eagerly) {
    random::set_seed(8);
    auto model = mlp();
    model->compile(_optimizer = "adam", _loss = "sparse_categorical_crossentropy",
                   _metrics = {"accuracy"}, _run_eagerly = eagerly, _steps_per_execution = 2);
    model->fit(d.x, d.labels, _batch_size = 10, _epochs = 1, _verbose = 0);
    const keras::Logs logs = model->evaluate(d.x, d.labels, _batch_size = 10, _verbose = 0);
    const Tensor p = model->predict(d.x, _batch_size = 10, _verbose = 0);
    return std::make_tuple(logs["loss"], logs["accuracy"], values_of(p),
                           values_of(model->predict_on_batch(d.x)[0]));
  };
  const auto [loss_e, accuracy_e, p_e, pb_e] = run(true);
  const auto [loss_t, accuracy_t, p_t, pb_t] = run(false);
  EXPECT_NEAR(loss_t, loss_e, 1e-6);
  EXPECT_EQ(accuracy_t, accuracy_e);
  expect_close(p_t, p_e, 1e-6, "predict");
  expect_close(pb_t, pb_e, 1e-6, "predict_on_batch");
  ASSERT_EQ(p_t.size(), 45u * 3);
}

TEST_P(CompiledStep, FreezingALayerOrAddingOneMakesTheStepAgain) {
  const Data d = data(32, 6, 3, 16);
  random::set_seed(9);
  keras::Sequential model({keras::Input({6}), layers::Dense(8, _activation = "relu"),
                           layers::Dense(3, _activation = "softmax")});
  model.compile(_optimizer = "adam", _loss = "sparse_categorical_crossentropy");
  model.fit(d.x, d.labels, _batch_size = 8, _epochs = 2, _verbose = 0);
  const std::vector<double> first = values_of(model.layers()[0]->get_weights()[0]);
  model.layers()[0]->set_trainable(false);
  model.fit(d.x, d.labels, _batch_size = 8, _epochs = 2, _verbose = 0);
  EXPECT_EQ(values_of(model.layers()[0]->get_weights()[0]), first)
      << "a frozen layer's weights must not change in a replayed step";

  // A callback that unfreezes the layer and predicts mid-epoch: new step functions while the
  // epoch's are running.
  int predictions = 0;
  callbacks::LambdaCallback unfreeze({.on_train_batch_end = [&](std::int64_t step, keras::Logs&) {
    if (step != 1) return;
    model.layers()[0]->set_trainable(true);
    predictions += model.predict(d.x, _verbose = 0).shape(0) == 32;
  }});
  model.fit(d.x, d.labels, _batch_size = 8, _epochs = 2, _verbose = 0, _callbacks = {unfreeze});
  EXPECT_EQ(predictions, 2);
  EXPECT_NE(values_of(model.layers()[0]->get_weights()[0]), first)
      << "unfrozen at the first epoch's second step, trained from the next epoch";

  EXPECT_EQ(model.predict(d.x, _verbose = 0).shape(), Shape({32, 3}));
  model.add(layers::Dense(5));
  EXPECT_EQ(model.predict(d.x, _verbose = 0).shape(), Shape({32, 5}));
}

TEST_P(CompiledStep, CompileOptionsAreCheckedResolvedAndSavedAsKerasDoes) {
  keras::Sequential model({keras::Input({6}), layers::Dense(3)});
  model.compile(_optimizer = "sgd", _loss = "mse");
  EXPECT_FALSE(model.run_eagerly());
  EXPECT_TRUE(model.jit_compile()) << "\"auto\" is on when the step is traced";
  EXPECT_EQ(model.steps_per_execution(), 1);

  ::testing::internal::CaptureStderr();
  model.compile(_optimizer = "sgd", _loss = "mse", _run_eagerly = true, _jit_compile = true);
  EXPECT_NE(::testing::internal::GetCapturedStderr().find("disabling jit_compile"),
            std::string::npos);
  EXPECT_FALSE(model.jit_compile());

  expect_error<Error>([&] { model.compile(_loss = "mse", _steps_per_execution = 0); },
                      {"steps_per_execution must be >= 1, got 0"});
  expect_error<Error>([&] { model.compile(_loss = "mse", _jit_compile = "yes"); },
                      {"jit_compile must be true, false or \"auto\", got \"yes\""});
  expect_error<Error>([&] { model.set_steps_per_execution(-2); }, {"got -2"});

  model.compile(_optimizer = "sgd", _loss = "mse", _steps_per_execution = 4, _jit_compile = false);
  const testing::TempDir dir;
  model.save(dir / "model.keras");
  model.save(dir / "model");
  for (const char* saved : {"model.keras", "model"}) {
    const keras::Handle<keras::Model> loaded = keras::load_model(dir / saved);
    EXPECT_FALSE(loaded->run_eagerly()) << saved;
    EXPECT_FALSE(loaded->jit_compile()) << saved;
    EXPECT_EQ(loaded->steps_per_execution(), 4) << saved;
  }
  model.compile(_optimizer = "sgd", _loss = "mse", _run_eagerly = true);
  model.save(dir / "eager.keras");
  EXPECT_TRUE(keras::load_model(dir / "eager.keras")->run_eagerly());
}

/// Lesson 13's toy ResNet as the sample builds it (32x32x3 images, 10 classes).
std::shared_ptr<keras::Model> lesson13_resnet() {
  auto inputs = keras::Input({32, 32, 3});
  auto h = layers::Conv2D(32, 3, _activation = "relu")(inputs);
  h = layers::Conv2D(64, 3, _activation = "relu")(h);
  auto block_1 = layers::MaxPooling2D(3)(h);
  h = layers::Conv2D(64, 3, _activation = "relu", _padding = "same")(block_1);
  h = layers::Conv2D(64, 3, _activation = "relu", _padding = "same")(h);
  auto block_2 = layers::add({h, block_1});
  h = layers::Conv2D(64, 3, _activation = "relu", _padding = "same")(block_2);
  h = layers::Conv2D(64, 3, _activation = "relu", _padding = "same")(h);
  auto block_3 = layers::add({h, block_2});
  h = layers::Conv2D(64, 3, _activation = "relu")(block_3);
  h = layers::GlobalAveragePooling2D()(h);
  h = layers::Dense(256, _activation = "relu")(h);
  h = layers::Dropout(0.5)(h);
  return std::make_shared<keras::Model>(inputs, layers::Dense(10, _activation = "softmax")(h));
}

/// What a replayed training step of lesson 13's model costs (the counters between a step's
/// batch hooks: the step alone, not the batch's slicing).
TEST_P(CompiledStep, AReplayedStepReadsAndWritesNothingOnTheHost) {
  random::set_seed(4);
  auto model = lesson13_resnet();
  model->compile(_optimizer = "adam", _loss = "sparse_categorical_crossentropy",
                 _metrics = {"accuracy"});
  const Data d = data(5 * 4, 32 * 32 * 3, 10, 17);
  std::vector<debug::Counters> steps;
  callbacks::LambdaCallback counting({
      .on_train_batch_begin = [](std::int64_t, keras::Logs&) { debug::reset_counters(); },
      .on_train_batch_end =
          [&](std::int64_t, keras::Logs&) {
            synchronize(default_device());
            steps.push_back(debug::counters());
          },
  });
  model->fit(reshape(d.x, {20, 32, 32, 3}), d.labels, _batch_size = 4, _epochs = 1, _verbose = 0,
             _callbacks = {counting});
  ASSERT_EQ(steps.size(), 5u);
  for (std::size_t i = 2; i < steps.size(); ++i) {  // 0: eager, 1: traced, then replays
    EXPECT_EQ(steps[i].host_reads, 0) << "step " << i;
    EXPECT_EQ(steps[i].host_writes, 0) << "step " << i;
    // 7 convolutions (forward, bias, relu; backward data, filter, bias, relu), pooling, two
    // shortcuts, two dense layers, dropout, the loss, the metrics and one Adam update.
    EXPECT_LE(steps[i].kernels, 106) << "step " << i;
  }
  std::printf("replayed step of lesson 13's model: %lld kernels, %lld allocations\n",
              static_cast<long long>(steps[3].kernels),
              static_cast<long long>(steps[3].allocations));
}

TEST(CompiledStepFunction, RetracingMoreThanFiveTimesWarnsOnce) {
  auto twice = function([](const Tensor& x) { return x * 2.0; }, _name = "twice");
  ::testing::internal::CaptureStderr();
  for (std::int64_t n = 1; n <= 8; ++n) twice(zeros({n}));
  for (std::int64_t n = 1; n <= 8; ++n) twice(zeros({n}));  // replays
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(twice.tracing_count(), 8);
  EXPECT_NE(log.find("function 'twice' has been traced 6 times"), std::string::npos) << log;
  EXPECT_EQ(log.find("WARNING"), log.rfind("WARNING")) << "one warning: " << log;
}

}  // namespace
}  // namespace ember
