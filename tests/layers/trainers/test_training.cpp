// compile / fit / evaluate / predict with Keras' semantics: an end-to-end fit reaching a known
// accuracy, History keys, validation_split taking the last rows, sample and class weights,
// steps_per_epoch across epochs, Sequence hooks, multi-output models, add_loss/add_metric, the
// *_on_batch methods, and bad input. Runs on the CPU and, where present, the GPU.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "tests/test_support.h"

namespace ember {
namespace {

using testing::expect_close;
using testing::expect_error;
using testing::values_of;

class Training : public testing::OnDevice {
 protected:
  void SetUp() override {
    OnDevice::SetUp();
    keras::clear_session();
    random::set_seed(7);
  }
};
INSTANTIATE_TEST_SUITE_P(Devices, Training, ::testing::ValuesIn(testing::all_devices()),
                         testing::device_name);

/// Three Gaussian blobs in the plane (std::mt19937, not ember's generator): separable classes.
struct Blobs {
  Tensor x, labels, one_hot;
};
Blobs blobs(int n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0.0f, 0.5f);
  const float centers[3][2] = {{0, 2}, {2, -1}, {-2, -1}};
  std::vector<float> x;
  std::vector<std::int64_t> labels;
  for (int i = 0; i < n; ++i) {
    const int c = i % 3;
    x.push_back(centers[c][0] + noise(rng));
    x.push_back(centers[c][1] + noise(rng));
    labels.push_back(c);
  }
  Blobs b;
  b.x = constant(x, {n, 2});
  b.labels = constant(labels);
  b.one_hot = one_hot(b.labels, 3);
  return b;
}

keras::Sequential classifier() {
  return keras::Sequential({keras::Input({2}), layers::Dense(16, _activation = "relu"),
                            layers::Dense(3, _activation = "softmax")});
}

TEST_P(Training, FitReachesAKnownAccuracy) {
  const Blobs train = blobs(300, 1), test = blobs(150, 2);
  keras::Sequential model = classifier();
  model.compile(_optimizer = optim::Adam(_learning_rate = 0.01), _loss = "categorical_crossentropy",
                _metrics = {"accuracy"});
  const keras::History history =
      model.fit(train.x, train.one_hot, _batch_size = 32, _epochs = 15, _verbose = 0);
  ASSERT_EQ(history["loss"].size(), 15u);
  EXPECT_LT(history["loss"].back(), history["loss"].front());
  const keras::Logs result = model.evaluate(test.x, test.one_hot, _verbose = 0);
  EXPECT_GE(result["accuracy"], 0.97) << "the blobs are separable";
  EXPECT_EQ(result.keys(), (std::vector<std::string>{"loss", "accuracy"}));
  // evaluate's loss is the mean cross-entropy over the test set, computed here from predict.
  const Tensor probs = model.predict(test.x, _verbose = 0);
  const std::vector<double> p = values_of(probs);
  const std::vector<std::int64_t> labels = test.labels.to_vector<std::int64_t>();
  double loss = 0, right = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    loss -= std::log(std::clamp(p[i * 3 + labels[i]], 1e-7, 1 - 1e-7));
    const auto row = p.begin() + static_cast<std::ptrdiff_t>(i * 3);
    right += (std::max_element(row, row + 3) - row) == labels[i];
  }
  EXPECT_NEAR(result["loss"], loss / labels.size(), 1e-4);
  EXPECT_NEAR(result["accuracy"], right / labels.size(), 1e-6);
}

TEST_P(Training, AnOptimizerGivenToCompileIsTheSameObject) {
  // As in Python: compile keeps the optimizer itself, so its step count and slots are the ones
  // the training moved (a copy shares them).
  const Blobs train = blobs(60, 3);
  keras::Sequential model = classifier();
  optim::Adam opt(_learning_rate = 0.01);
  model.compile(_optimizer = opt, _loss = "categorical_crossentropy");
  model.fit(train.x, train.one_hot, _batch_size = 20, _epochs = 2, _verbose = 0);
  EXPECT_EQ(opt.iterations(), 6);
  optim::Adam copy = opt;
  copy.set_learning_rate(0.5);
  EXPECT_DOUBLE_EQ(opt.learning_rate(), 0.5);
  EXPECT_EQ(opt.get_state().size(), copy.get_state().size());
}

TEST_P(Training, SparseLabelsAndHistoryKeysWithValidation) {
  const Blobs train = blobs(120, 3), val = blobs(60, 4);
  keras::Sequential model = classifier();
  model.compile(_optimizer = "adam", _loss = "sparse_categorical_crossentropy", _metrics = {"acc"});
  const keras::History h = model.fit(train.x, train.labels, _epochs = 3, _verbose = 0,
                                     _validation_data = {val.x, val.labels});
  std::vector<std::string> keys;
  for (const auto& [key, values] : h.history) {
    keys.push_back(key);
    EXPECT_EQ(values.size(), 3u) << key;
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"acc", "loss", "val_acc", "val_loss"}));
  EXPECT_EQ(h.epoch, (std::vector<int>{0, 1, 2}));
}

/// Mean squared error of the linear model y = x·w + b over rows [from, to), in float64.
double linear_mse(const std::vector<double>& x, const std::vector<double>& y, double w, double b,
                  int from, int to, const std::vector<double>& weights = {}) {
  double sum = 0;
  for (int i = from; i < to; ++i) {
    const double e = x[i] * w + b - y[i];
    sum += e * e * (weights.empty() ? 1.0 : weights[i]);
  }
  return sum / (to - from);
}

TEST_P(Training, ValidationSplitTakesTheLastRowsBeforeShuffling) {
  const int n = 10;
  std::vector<double> xs, ys;
  for (int i = 0; i < n; ++i) {
    xs.push_back(i);
    ys.push_back(i < 7 ? 0.0 : 100.0 * i);  // the last rows differ wildly
  }
  keras::Sequential model({keras::Input({1}), layers::Dense(1)});
  model.compile(_optimizer = optim::SGD(_learning_rate = 0.0), _loss = "mse");
  const auto w = model.get_weights();
  const double kernel = values_of(w[0])[0], bias = values_of(w[1])[0];
  const Tensor x = constant(xs, {n, 1}, float32), y = constant(ys, {n, 1}, float32);
  const keras::History h =
      model.fit(x, y, _batch_size = 4, _epochs = 2, _verbose = 0, _validation_split = 0.3);
  EXPECT_NEAR(h["val_loss"][0], linear_mse(xs, ys, kernel, bias, 7, 10),
              1e-3 * linear_mse(xs, ys, kernel, bias, 7, 10));
  EXPECT_NEAR(h["loss"][1], linear_mse(xs, ys, kernel, bias, 0, 7), 1e-5);
  EXPECT_THROW(model.fit(x, y, _verbose = 0, _validation_split = 1.0), Error);
  EXPECT_THROW(model.fit(x, y, _verbose = 0, _validation_split = 0.95), Error)
      << "no training rows";
}

TEST_P(Training, SampleAndClassWeightsScaleThePerSampleLoss) {
  const std::vector<double> xs = {1, 2, 3, 4}, ys = {1, 0, 1, 2}, sw = {0.5, 2.0, 1.0, 0.0};
  keras::Sequential model({keras::Input({1}), layers::Dense(1)});
  model.compile(_optimizer = optim::SGD(_learning_rate = 0.0), _loss = "mse");
  const auto w = model.get_weights();
  const double kernel = values_of(w[0])[0], bias = values_of(w[1])[0];
  const Tensor x = constant(xs, {4, 1}, float32), y = constant(ys, {4, 1}, float32);
  const keras::Logs logs = model.test_on_batch(x, y, constant(sw, {4}, float32));
  EXPECT_NEAR(logs["loss"], linear_mse(xs, ys, kernel, bias, 0, 4, sw), 1e-5)
      << "Σ w·l / n (not / Σ w)";
  // class_weight: labels 1, 0, 1, 2 weigh 3, 1 (missing class), 3, 0.5.
  const std::vector<double> cw = {3.0, 1.0, 3.0, 0.5};
  const keras::History h =
      model.fit(x, y, _batch_size = 4, _verbose = 0, _class_weight = {{1, 3.0}, {2, 0.5}});
  EXPECT_NEAR(h["loss"][0], linear_mse(xs, ys, kernel, bias, 0, 4, cw), 1e-5);
  EXPECT_THROW(model.fit(x, y, _verbose = 0, _class_weight = {{1, 3.0}},
                         _sample_weight = constant(sw, {4}, float32)),
               Error);
}

/// A Sequence that records the batches fit asks for and counts epochs.
struct Recorder : Sequence {
  Tensor x, y;
  std::int64_t batch_size;
  std::vector<std::int64_t> requested;
  int epochs_ended = 0;
  Recorder(Tensor x, Tensor y, std::int64_t batch_size)
      : x(std::move(x)), y(std::move(y)), batch_size(batch_size) {}
  std::int64_t size() const override { return (x.shape(0) + batch_size - 1) / batch_size; }
  std::vector<Tensor> get(std::int64_t i) override {
    requested.push_back(i);
    const std::int64_t end = std::min(x.shape(0), (i + 1) * batch_size);
    return {x.slice(i * batch_size, end), y.slice(i * batch_size, end)};
  }
  void on_epoch_end() override { ++epochs_ended; }
};

TEST_P(Training, SequenceAndStepsPerEpochDrawBatchesInTurn) {
  const Blobs data = blobs(40, 5);
  keras::Sequential model = classifier();
  model.compile(_optimizer = "sgd", _loss = "categorical_crossentropy");
  Recorder sequence(data.x, data.one_hot, 4);  // 10 batches
  model.fit(sequence, _epochs = 3, _verbose = 0, _shuffle = false);
  // Keras 3.15 (tests/golden/lesson_semantics.py): once after each epoch and once before the
  // first (its EpochIterator.reset()); evaluate: once before and once after; predict: after.
  EXPECT_EQ(sequence.epochs_ended, 4);
  EXPECT_EQ(sequence.requested.size(), 30u);
  Recorder evaluated(data.x, data.one_hot, 4), predicted(data.x, data.one_hot, 4);
  model.evaluate(evaluated, _verbose = 0);
  EXPECT_EQ(evaluated.epochs_ended, 2);
  model.predict(predicted, _verbose = 0);
  EXPECT_EQ(predicted.epochs_ended, 1);

  Recorder limited(data.x, data.one_hot, 4);
  std::vector<std::int64_t> steps_per_epoch;
  auto counter = callbacks::LambdaCallback(
      {.on_epoch_begin = [&](int, keras::Logs&) { steps_per_epoch.push_back(0); },
       .on_train_batch_end = [&](std::int64_t, keras::Logs&) { ++steps_per_epoch.back(); }});
  // 4 + 4 + 2 (the pass runs out: a warning and a short epoch), then a new pass: 4.
  model.fit(limited, _epochs = 4, _verbose = 0, _callbacks = {counter}, _shuffle = false,
            _steps_per_epoch = 4);
  EXPECT_EQ(steps_per_epoch, (std::vector<std::int64_t>{4, 4, 2, 4}));
  EXPECT_EQ(limited.requested,
            (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3}));

  Recorder shuffled(data.x, data.one_hot, 4);
  model.fit(shuffled, _epochs = 1, _verbose = 0, _shuffle = true);
  std::vector<std::int64_t> sorted = shuffled.requested;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}))
      << "a permutation of the batches";
}

TEST_P(Training, DatasetsTrainEvaluateAndPredict) {
  const Blobs data = blobs(90, 6);
  keras::Sequential model = classifier();
  model.compile(_optimizer = optim::Adam(_learning_rate = 0.02), _loss = "categorical_crossentropy",
                _metrics = {"accuracy"});
  const Dataset train =
      Dataset::from_tensor_slices({data.x, data.one_hot}).shuffle(90, 3).batch(16);
  const keras::History h = model.fit(train, _epochs = 10, _verbose = 0, _validation_data = train);
  EXPECT_GT(h["val_accuracy"].back(), 0.9);
  const keras::Logs logs =
      model.evaluate(Dataset::from_tensor_slices({data.x, data.one_hot}).batch(32), _verbose = 0);
  const keras::Logs same = model.evaluate(data.x, data.one_hot, _verbose = 0);
  EXPECT_NEAR(logs["loss"], same["loss"], 1e-5);
  const std::vector<Tensor> predicted =
      model.predict(Dataset::from_tensor_slices(data.x).batch(7), _verbose = 0);
  expect_close(values_of(predicted[0]), values_of(model(data.x)), 1e-6, "predict over a Dataset");
  // Steps over an endless dataset.
  const keras::History endless =
      model.fit(train.repeat(), _epochs = 2, _verbose = 0, _steps_per_epoch = 3);
  EXPECT_EQ(endless["loss"].size(), 2u);
  EXPECT_THROW(model.fit(train, _verbose = 0, _validation_split = 0.2), Error);
  const Dataset three =
      Dataset::from_tensor_slices({data.x, data.one_hot, data.x, data.x}).batch(8);
  EXPECT_THROW(model.fit(three, _verbose = 0), Error)
      << "4 tensors per batch for 1 input and 1 output";
}

TEST_P(Training, MultiOutputLossesByNameWeightsAndHistoryKeys) {
  auto input = keras::Input({4});
  auto hidden = layers::Dense(3, _name = "h")(input);
  auto decoded = layers::Dense(4, _activation = "sigmoid", _name = "dec_output")(hidden);
  auto classes = layers::Dense(3, _activation = "softmax", _name = "class_output")(hidden);
  keras::Model model(input, {decoded, classes});
  model.compile(_optimizer = "adam",
                _loss = {{"dec_output", "mse"}, {"class_output", "categorical_crossentropy"}},
                _loss_weights = {0.5, 1.4},
                _metrics = {{"dec_output", {}}, {"class_output", {"acc"}}});
  const Blobs b = blobs(20, 8);
  const Tensor x = random::uniform({20, 4});
  const keras::History h =
      model.fit(x, {x, b.one_hot}, _epochs = 2, _verbose = 0, _validation_split = 0.25);
  std::vector<std::string> keys;
  for (const auto& [key, values] : h.history) keys.push_back(key);
  // Keras 3's keys for the lesson's model (checked with TF 2.21).
  EXPECT_EQ(keys,
            (std::vector<std::string>{"class_output_acc", "class_output_loss", "dec_output_loss",
                                      "loss", "val_class_output_acc", "val_class_output_loss",
                                      "val_dec_output_loss", "val_loss"}));
  const keras::Logs logs =
      model.evaluate(x, {{"dec_output", x}, {"class_output", b.one_hot}}, _verbose = 0);
  EXPECT_EQ(logs.keys(), (std::vector<std::string>{"loss", "dec_output_loss", "class_output_loss",
                                                   "class_output_acc"}));
  EXPECT_NEAR(logs["loss"], 0.5 * logs["dec_output_loss"] + 1.4 * logs["class_output_loss"], 1e-5);
  // Each output's loss against predict, in float64.
  const std::vector<Tensor> out = model.predict(std::vector<Tensor>{x}, _verbose = 0);
  const std::vector<double> dec = values_of(out[0]), xv = values_of(x);
  double mse = 0;
  for (std::size_t i = 0; i < dec.size(); ++i) mse += (dec[i] - xv[i]) * (dec[i] - xv[i]);
  EXPECT_NEAR(logs["dec_output_loss"], mse / dec.size(), 1e-5);

  // A list of losses; a flat metric list for two outputs is refused as Keras 3 refuses it
  // (tests/golden/lesson_semantics.py), unless it has one entry per output.
  model.compile(_optimizer = "adam", _loss = {"mse", "categorical_crossentropy"},
                _metrics = {metrics::CategoricalAccuracy()});
  testing::expect_error<Error>(
      [&] {
        model.fit(x, {x, b.one_hot}, _verbose = 0);
      },
      {"Invalid `metrics`", "['dec_output', 'class_output']", "['X', 'X']",
       "Received: metrics=['categorical_accuracy']"});
  model.compile(_optimizer = "adam", _loss = {"mse", "categorical_crossentropy"},
                _metrics = {"mae", "accuracy"});
  const keras::History both = model.fit(x, {x, b.one_hot}, _verbose = 0);
  std::string both_keys;
  for (const auto& [key, values] : both.history) both_keys += key + " ";
  EXPECT_EQ(both_keys,
            "class_output_accuracy class_output_loss dec_output_loss dec_output_mae loss ");

  model.compile(_optimizer = "adam", _loss = {"mse"});
  EXPECT_THROW(model.fit(x, {x, b.one_hot}, _verbose = 0), Error)
      << "one loss listed for two outputs";
  model.compile(_optimizer = "adam", _loss = {{"decoder", "mse"}});
  EXPECT_THROW(model.fit(x, {x, b.one_hot}, _verbose = 0), Error) << "no output is named 'decoder'";
  EXPECT_THROW(model.fit(x, {{"dec_output", x}}, _verbose = 0), Error)
      << "targets missing for class_output";
}

/// The lesson's Dense layer that adds a regularisation loss and reports it as a metric.
struct RegularizedDense : keras::Layer {
  std::int64_t units;
  Variable w, b;
  explicit RegularizedDense(std::int64_t units) : units(units) {}
  void build(const Shape& in) override {
    w = add_weight("w", {in[-1], units}, "random_normal");
    b = add_weight("b", {units}, "zeros");
  }
  Tensor call(const Tensor& x) override {
    const Tensor regular = reduce_mean(square(w));
    add_loss(regular);
    add_metric(regular, "mean square error");
    return matmul(x, w) + b;
  }
};

struct TwoLayers : keras::Model {
  keras::Handle<RegularizedDense> first = track(keras::make<RegularizedDense>(8));
  keras::Handle<RegularizedDense> second = track(keras::make<RegularizedDense>(3));
  Tensor call(const Tensor& x) override { return softmax(second(relu(first(x)))); }
};

TEST_P(Training, AddLossJoinsTheTrainingLossAndAddMetricIsLogged) {
  TwoLayers model;
  model.compile(_optimizer = optim::SGD(_learning_rate = 0.0), _loss = "categorical_crossentropy");
  const Blobs b = blobs(12, 9);
  const keras::Logs logs = model.test_on_batch(b.x, b.one_hot);
  double regular = 0;
  for (const Tensor& w : {model.first->w.value(), model.second->w.value()}) {
    const std::vector<double> v = values_of(w);
    double s = 0;
    for (double e : v) s += e * e;
    regular += s / v.size();
  }
  const double cross_entropy =
      values_of(losses::CategoricalCrossentropy()(b.one_hot, model(b.x)))[0];
  EXPECT_NEAR(logs["loss"], cross_entropy + regular, 1e-5);
  EXPECT_TRUE(logs.contains("mean square error"));
  const keras::History h = model.fit(b.x, b.one_hot, _epochs = 2, _verbose = 0);
  EXPECT_EQ(h["mean square error"].size(), 2u);
}

TEST_P(Training, OnBatchMethodsAndPredict) {
  const Blobs b = blobs(30, 10);
  keras::Sequential model = classifier();
  model.compile(_optimizer = optim::SGD(_learning_rate = 0.1), _loss = "categorical_crossentropy",
                _metrics = {"accuracy"});
  const double before = model.test_on_batch(b.x, b.one_hot)["loss"];
  for (int i = 0; i < 20; ++i) model.train_on_batch(b.x, b.one_hot);
  EXPECT_LT(model.test_on_batch(b.x, b.one_hot)["loss"], before);
  EXPECT_EQ(model.optimizer().iterations(), 20);
  expect_close(values_of(model.predict_on_batch(b.x)[0]), values_of(model(b.x)), 1e-6);
  expect_close(values_of(model.predict(b.x, _batch_size = 7, _verbose = 0)), values_of(model(b.x)),
               1e-6);
}

/// Keras 3's own fit on the same network, data and initial weights (tests/golden/training.py):
/// the epoch averages of loss and accuracy (batch-size weighted, a short last batch), the
/// validation split, momentum SGD, sample weights and the final weights must all agree.
TEST_P(Training, FitMatchesKeras) {
  const char* dir = std::getenv("EMBER_TEST_DATA");  // set by CTest
  const std::string data = std::string(dir ? dir : "tests/data") + "/training/";
  const auto load = [&](const std::string& name) {
    return io::load_npy(data + name + ".npy").to(device());
  };
  for (const std::string run : {"plain", "weighted"}) {
    keras::clear_session();
    keras::Sequential model({keras::Input({4}), layers::Dense(5, _activation = "relu"),
                             layers::Dense(3, _activation = "softmax")});
    model.set_weights({load("initial_0"), load("initial_1"), load("initial_2"), load("initial_3")});
    model.compile(_optimizer = optim::SGD(_learning_rate = 0.1, _momentum = 0.9),
                  _loss = "categorical_crossentropy", _metrics = {"accuracy"});
    const keras::History h = model.fit(
        load("x"), load("y"), _batch_size = 5, _epochs = 3, _verbose = 0, _validation_split = 0.25,
        _shuffle = false, _sample_weight = run == "weighted" ? load("sample_weight") : Tensor());
    const std::vector<double> keras_history =
        io::load_npy(data + run + "_history.npy").to_vector<double>();
    const char* keys[] = {"loss", "accuracy", "val_loss", "val_accuracy"};
    for (int k = 0; k < 4; ++k) {
      expect_close(
          h[keys[k]],
          std::vector<double>(keras_history.begin() + 3 * k, keras_history.begin() + 3 * k + 3),
          1e-5, run + " " + keys[k]);
    }
    const std::vector<Tensor> weights = model.get_weights();
    for (int i = 0; i < 4; ++i) {
      expect_close(values_of(weights[i]), values_of(load(run + "_final_" + std::to_string(i))),
                   1e-5, run + " final weight " + std::to_string(i));
    }
  }
}

TEST_P(Training, BadInputIsAnErrorNamingIt) {
  keras::Sequential model = classifier();
  const Blobs b = blobs(12, 11);
  EXPECT_THROW(model.fit(b.x, b.one_hot, _verbose = 0), Error) << "not compiled";
  model.compile(_optimizer = "adam", _loss = "categorical_crossentropy");
  EXPECT_THROW(model.fit(b.x, b.one_hot.slice(0, 10), _verbose = 0), ShapeError);
  EXPECT_THROW(model.fit(b.x, b.one_hot, _batch_size = 0, _verbose = 0), Error);
  EXPECT_THROW(model.fit(b.x, b.one_hot, _verbose = 0, _sample_weight = ones({5})), ShapeError);
  EXPECT_THROW(model.fit(b.x, zeros({12, 5}), _verbose = 0), ShapeError)
      << "5 classes for 3 outputs";
  EXPECT_THROW(model.fit(zeros({12, 3}), b.one_hot, _verbose = 0), ShapeError)
      << "3 features for an input of 2";
  EXPECT_THROW(model.compile(_optimizer = "adamm"), Error);
  EXPECT_THROW(model.compile(_loss = "cross_entropy"), Error);
  keras::Sequential no_loss = classifier();
  no_loss.compile(_optimizer = "adam");
  EXPECT_THROW(no_loss.fit(b.x, b.one_hot, _verbose = 0), Error) << "nothing to minimise";
  try {
    model.fit(b.x, b.one_hot.slice(0, 10), _verbose = 0);
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("12 rows"), std::string::npos) << e.what();
  }
  // Empty data and a sample without its batch axis (#18): errors, not silent results (Keras 3
  // fails inside its own loop on both).
  expect_error<Error>(
      [&] {
        model.predict(zeros({0, 2}), _verbose = 0);
      },
      {"predict", "the data is empty", "0 rows"});
  expect_error<Error>(
      [&] {
        model.fit(zeros({0, 2}), zeros({0, 3}), _verbose = 0);
      },
      {"fit", "the data is empty"});
  expect_error<Error>(
      [&] {
        model.evaluate(zeros({0, 2}), zeros({0, 3}), _verbose = 0);
      },
      {"evaluate", "the data is empty"});
  expect_error<ShapeError>(
      [&] {
        model.predict(constant({0.5f, 1.0f}), _verbose = 0);
      },
      {"predict", "input 0 has shape (2,)", "expects rank 2 (batch, (2,))", "expand_dims"});
  // A Dataset that yields nothing (here taken to nothing): fit used to log loss 0 every epoch.
  const Dataset empty = Dataset::from_tensor_slices({b.x, b.one_hot}).take(0).batch(4);
  expect_error<Error>([&] { model.fit(empty, _epochs = 2, _verbose = 0); },
                      {"fit", "no batches in epoch 1"});
  expect_error<Error>([&] { model.evaluate(empty, _verbose = 0); }, {"evaluate", "no batches"});
  expect_error<Error>(
      [&] { model.predict(Dataset::from_tensor_slices(b.x).take(0).batch(4), _verbose = 0); },
      {"predict", "no batches"});
  const Dataset train = Dataset::from_tensor_slices({b.x, b.one_hot}).batch(4);
  expect_error<Error>(
      [&] { model.fit(train, _epochs = 1, _verbose = 0, _validation_data = empty); },
      {"validate on", "no batches"});
}

}  // namespace
}  // namespace ember
