// Callbacks against the rules of Keras 3, driven by scripted losses (a callback ahead of the one
// under test writes the value it monitors): EarlyStopping (patience, min_delta, baseline,
// restore_best_weights, mode), TerminateOnNaN, ReduceLROnPlateau, LearningRateScheduler,
// ModelCheckpoint (names, best-only, atomic files), CSVLogger; the progress bar's lines; weight
// files and their corruption.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "tests/test_support.h"

namespace ember {
namespace {

using testing::expect_close;
using testing::values_of;

/// Sets logs[key] at the end of epoch i to values[i] (placed before the callback under test).
struct Script : callbacks::Callback {
  std::string key;
  std::vector<double> values;
  Script(std::string key, std::vector<double> values)
      : key(std::move(key)), values(std::move(values)) {}
  void on_epoch_end(int epoch, keras::Logs& logs) override {
    logs.set(key, values.at(static_cast<std::size_t>(epoch)));
  }
};

struct Fixture {
  keras::Sequential model{{keras::Input({2}), layers::Dense(1)}};
  Tensor x = random::uniform({16, 2}), y = random::uniform({16, 1});
  Fixture() {
    keras::clear_session();
    model.compile(_optimizer = optim::SGD(_learning_rate = 0.01), _loss = "mse");
  }
  int epochs_run(const std::vector<callbacks::CallbackRef>& cbs, int epochs) {
    return static_cast<int>(
        model.fit(x, y, _epochs = epochs, _verbose = 0, _callbacks = cbs).epoch.size());
  }
};

/// Counts the hooks fit calls.
struct Counter : callbacks::Callback {
  int epochs = 0, batches = 0;
  void on_epoch_end(int /*epoch*/, keras::Logs& /*logs*/) override { ++epochs; }
  void on_train_batch_end(std::int64_t /*batch*/, keras::Logs& /*logs*/) override { ++batches; }
};

TEST(Callbacks, ANamedCallbackIsTheOneFitCalls) {
  // In Python `fit(callbacks=[c])` calls c itself: what it counts is in c afterwards.
  Fixture f;
  Counter counter;
  f.model.fit(f.x, f.y, _epochs = 3, _batch_size = 8, _verbose = 0, _callbacks = {counter});
  EXPECT_EQ(counter.epochs, 3);
  EXPECT_EQ(counter.batches, 6);
  callbacks::EarlyStopping stop(_monitor = "val_loss", _patience = 0);
  EXPECT_EQ(f.epochs_run({Script("val_loss", {1.0, 1.1, 0.5}), stop}, 3), 2);
  EXPECT_EQ(stop.stopped_epoch(), 1);
  // A temporary is moved into fit, a const one is copied (its hooks change it).
  EXPECT_EQ(f.epochs_run({Counter()}, 2), 2);
  const Counter untouched;
  EXPECT_EQ(f.epochs_run({untouched}, 2), 2);
  EXPECT_EQ(untouched.epochs, 0);
}

TEST(Callbacks, EarlyStoppingStopsWhereTheRuleSays) {
  Fixture f;
  // Improvements at epochs 0 and 1; no improvement at 2 and 3: patience 2 stops after epoch 3.
  auto stop = std::make_shared<callbacks::EarlyStopping>(_monitor = "val_loss", _patience = 2);
  EXPECT_EQ(f.epochs_run({Script("val_loss", {1.0, 0.9, 0.95, 0.92, 0.5, 0.4}), stop}, 6), 4);
  EXPECT_EQ(stop->stopped_epoch(), 3);
  EXPECT_EQ(stop->best_epoch(), 1);
  // min_delta: 1.0 -> 0.97 is not an improvement of more than 0.05.
  auto delta = std::make_shared<callbacks::EarlyStopping>(_monitor = "val_loss", _min_delta = 0.05,
                                                          _patience = 1);
  EXPECT_EQ(f.epochs_run({Script("val_loss", {1.0, 0.97, 0.5, 0.4}), delta}, 4), 2);
  // patience 0 stops at the first epoch without improvement (never at epoch 0).
  EXPECT_EQ(f.epochs_run({Script("val_loss", {1.0, 1.1, 0.5}), callbacks::EarlyStopping()}, 3), 2);
  // mode auto maximises accuracy-like metrics.
  f.model.compile(_optimizer = optim::SGD(_learning_rate = 0.01), _loss = "mse",
                  _metrics = {"mae"});
  EXPECT_EQ(f.epochs_run({Script("val_accuracy", {0.5, 0.6, 0.55, 0.7}),
                          callbacks::EarlyStopping(_monitor = "val_accuracy", _mode = "max")},
                         4),
            3);
  EXPECT_EQ(
      f.epochs_run({Script("mae", {0.5, 0.6, 0.4}), callbacks::EarlyStopping(_monitor = "mae")}, 3),
      2)
      << "mae is an error: smaller is better";
  // baseline: epoch 0 does not beat 0.5, so its wait is not reset: stop one epoch earlier.
  EXPECT_EQ(f.epochs_run({Script("val_loss", {0.9, 0.95, 0.97, 0.99}),
                          callbacks::EarlyStopping(_patience = 2)},
                         4),
            3);
  EXPECT_EQ(f.epochs_run({Script("val_loss", {0.9, 0.95, 0.97, 0.99}),
                          callbacks::EarlyStopping(_patience = 2, _baseline = 0.5)},
                         4),
            2);
  EXPECT_THROW(callbacks::EarlyStopping(_mode = "largest"), Error);
}

TEST(Callbacks, EarlyStoppingRestoresTheBestWeights) {
  Fixture f;
  std::vector<std::vector<double>> kernels;
  auto record = callbacks::LambdaCallback({.on_epoch_end = [&](int, keras::Logs&) {
    kernels.push_back(values_of(f.model.get_weights()[0]));
  }});
  f.epochs_run({record, Script("val_loss", {1.0, 0.5, 0.7, 0.8, 0.9}),
                callbacks::EarlyStopping(_patience = 2, _restore_best_weights = true)},
               5);
  ASSERT_EQ(kernels.size(), 4u);
  expect_close(values_of(f.model.get_weights()[0]), kernels[1], 0, "weights of epoch 1");
}

TEST(Callbacks, TerminateOnNaNStopsAtTheFirstNaNBatch) {
  Fixture f;
  std::vector<float> xs(32, 0.5f);
  xs[2 * 9] = std::nanf("");  // row 9 is in batch 2 of 4 rows each
  const Tensor x = constant(xs, {16, 2});
  std::int64_t batches = 0;
  auto count = callbacks::LambdaCallback(
      {.on_train_batch_end = [&](std::int64_t, keras::Logs&) { ++batches; }});
  const keras::History h =
      f.model.fit(x, f.y, _batch_size = 4, _epochs = 3, _verbose = 0,
                  _callbacks = {count, callbacks::TerminateOnNaN()}, _shuffle = false);
  EXPECT_EQ(batches, 3) << "batches 0, 1 and 2 (the NaN one), then stop";
  EXPECT_EQ(h.epoch.size(), 1u);
  EXPECT_TRUE(std::isnan(h["loss"][0]));
  EXPECT_THROW(f.model.fit(x, f.y, _batch_size = 4, _verbose = 0,
                           _callbacks = {callbacks::TerminateOnNaN(true)}, _shuffle = false),
               Error);
}

// Lesson 14: with a learning rate of 1e6 the loss overflows within a few batches (no gradient is
// skipped, as in Keras) and TerminateOnNaN stops the fit in its first epoch, as it stops
// TensorFlow's; NaN targets make NaN weights.
TEST(Callbacks, TerminateOnNaNStopsADivergingFitInItsFirstEpoch) {
  Fixture f;
  f.model.compile(_optimizer = optim::SGD(_learning_rate = 1e6), _loss = "mse");
  const Tensor x = random::uniform({64, 2}, _minval = 1.0, _maxval = 10.0);
  const Tensor y = random::uniform({64, 1}, _minval = 1.0, _maxval = 10.0);
  const keras::History h = f.model.fit(x, y, _batch_size = 8, _epochs = 5, _verbose = 0,
                                       _callbacks = {callbacks::TerminateOnNaN()});
  EXPECT_EQ(h.epoch.size(), 1u);
  EXPECT_FALSE(std::isfinite(h["loss"][0]));
  Fixture g;
  std::vector<float> ys(16, 0.5f);
  ys[3] = std::nanf("");
  g.model.fit(g.x, constant(ys, {16, 1}), _batch_size = 16, _epochs = 1, _verbose = 0);
  for (const Tensor& w : g.model.get_weights()) {
    for (double v : values_of(w)) EXPECT_TRUE(std::isnan(v));
  }
}

TEST(Callbacks, LearningRateSchedulerAndReduceLROnPlateau) {
  Fixture f;
  const keras::History h =
      f.model.fit(f.x, f.y, _epochs = 3, _verbose = 0,
                  _callbacks = {callbacks::LearningRateScheduler(
                      [](int epoch, double lr) { return epoch == 0 ? 0.1 : lr / 2; })});
  expect_close(h["learning_rate"], {0.1, 0.05, 0.025}, 1e-12);
  EXPECT_DOUBLE_EQ(f.model.optimizer().learning_rate(), 0.025);

  // patience 2: no improvement at epochs 1 and 2 -> reduce at epoch 2. Cooldown 1: epoch 3 ends the
  // cooldown and (as in Keras) already counts as a first epoch without improvement, so epoch 4
  // reduces again.
  f.model.compile(_optimizer = optim::SGD(_learning_rate = 1.0), _loss = "mse");
  const keras::History r = f.model.fit(
      f.x, f.y, _epochs = 6, _verbose = 0,
      _callbacks = {Script("val_loss", {1, 1, 1, 1, 1, 1}),
                    callbacks::ReduceLROnPlateau(_factor = 0.5, _patience = 2, _cooldown = 1)});
  expect_close(r["learning_rate"], {1.0, 1.0, 1.0, 0.5, 0.5, 0.25}, 1e-12,
               "logged before the reduction of the same epoch, as Keras");
  EXPECT_DOUBLE_EQ(f.model.optimizer().learning_rate(), 0.25);
  EXPECT_THROW(callbacks::ReduceLROnPlateau(_factor = 1.5), Error);
}

std::filesystem::path fresh_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("ember_test_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

TEST(Callbacks, ModelCheckpointNamesFilesAndKeepsTheBest) {
  Fixture f;
  const auto dir = fresh_dir("checkpoint");
  const std::string pattern = (dir / "w.{epoch:02d}-{val_loss:.2f}.safetensors").string();
  f.epochs_run(
      {Script("val_loss", {0.5, 0.25, 0.75}),
       callbacks::ModelCheckpoint(pattern, _save_best_only = true, _save_weights_only = true)},
      3);
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    files.push_back(entry.path().filename().string());
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files, (std::vector<std::string>{"w.01-0.50.safetensors", "w.02-0.25.safetensors"}))
      << "epoch 3 did not improve; no temporary files are left";

  // The last save holds the weights and the optimizer state; loading restores both.
  auto every = std::make_shared<callbacks::ModelCheckpoint>((dir / "last.safetensors").string(),
                                                            _monitor = "loss");
  f.epochs_run({every}, 2);
  const auto weights = f.model.get_weights();
  const std::int64_t iterations = f.model.optimizer().iterations();
  keras::clear_session();
  keras::Sequential other({keras::Input({2}), layers::Dense(1)});
  other.compile(_optimizer = optim::SGD(_learning_rate = 0.01), _loss = "mse");
  other.load_weights(every->last_saved());
  for (std::size_t i = 0; i < weights.size(); ++i)
    expect_close(values_of(other.get_weights()[i]), values_of(weights[i]), 0);
  EXPECT_EQ(other.optimizer().iterations(), iterations);

  // A path without .safetensors: whole saved models, which load_model reads back compiled.
  auto whole = std::make_shared<callbacks::ModelCheckpoint>((dir / "model-{epoch}").string(),
                                                            _monitor = "loss");
  f.epochs_run({whole}, 2);
  EXPECT_EQ(whole->last_saved(), (dir / "model-2").string());
  EXPECT_TRUE(std::filesystem::exists(dir / "model-1" / "config.json"));
  auto loaded = keras::load_model(whole->last_saved());
  ASSERT_TRUE(loaded->compiled());
  EXPECT_EQ(loaded->optimizer().iterations(), f.model.optimizer().iterations());
  for (std::size_t i = 0; i < weights.size(); ++i) {
    expect_close(values_of(loaded->get_weights()[i]), values_of(f.model.get_weights()[i]), 0);
  }
  std::filesystem::remove_all(dir);
}

TEST(Callbacks, FormatPathFollowsPythonFormatSpecs) {
  const std::map<std::string, double> values{{"val_loss", 0.123456}, {"accuracy", 0.9}};
  EXPECT_EQ(callbacks::format_path("w.{epoch:02d}-{val_loss:.2f}.h5", values, {{"epoch", 3}}),
            "w.03-0.12.h5");
  EXPECT_EQ(
      callbacks::format_path("{epoch}_{accuracy:.1%}_{val_loss:>8.3f}", values, {{"epoch", 12}}),
      "12_90.0%_   0.123");
  EXPECT_EQ(callbacks::format_path("{{literal}}", values, {}), "{literal}");
  EXPECT_THROW(callbacks::format_path("{val_acc}", values, {}), Error);
  EXPECT_THROW(callbacks::format_path("{epoch:q}", values, {{"epoch", 1}}), Error);
}

TEST(Callbacks, CSVLoggerWritesOneRowPerEpoch) {
  Fixture f;
  const auto dir = fresh_dir("csv");
  const std::string file = (dir / "log.csv").string();
  f.epochs_run({callbacks::CSVLogger(file)}, 2);
  std::ifstream in(file);
  std::string header, row0, row1, extra;
  std::getline(in, header);
  std::getline(in, row0);
  std::getline(in, row1);
  EXPECT_EQ(header, "epoch,loss,val_loss");
  EXPECT_TRUE(row0.starts_with("0,") && row0.ends_with(",NA")) << row0;
  EXPECT_TRUE(row1.starts_with("1,")) << row1;
  EXPECT_FALSE(std::getline(in, extra));
  std::filesystem::remove_all(dir);
}

TEST(Callbacks, ProgbarLinesLookLikeKeras) {
  std::ostringstream two, one;
  keras::Progbar semi(5, 2, &two, false);
  for (int i = 1; i <= 5; ++i) semi.update(i, keras::Logs{{"accuracy", 0.425}, {"loss", 0.76314}});
  EXPECT_TRUE(std::regex_match(
      two.str(),
      std::regex("5/5 - \\d+s - \\d+(us|ms|s)/step - accuracy: 0\\.4250 - loss: 0\\.7631\n")))
      << two.str();
  keras::Progbar bar(12, 1, &one, false);
  bar.update(12, keras::Logs{{"loss", 0.0001234}});
  EXPECT_TRUE(std::regex_match(
      one.str(), std::regex("12/12 (━){20} \\d+s \\d+(us|ms|s)/step - loss: 1\\.2340e-04\n")))
      << one.str();
  std::ostringstream terminal;
  keras::Progbar live(4, 1, &terminal, true);
  live.update(1, keras::Logs{{"loss", 1.0}});
  EXPECT_TRUE(terminal.str().starts_with(
      "\r\x1b[1m1/4\x1b[0m \x1b[32m━━━━━\x1b[0m\x1b[37m━━━━━━━━━━━━━━━\x1b[0m"))
      << terminal.str();
}

TEST(Callbacks, WeightFilesRoundTripAndCorruptionIsReported) {
  Fixture f;
  const auto dir = fresh_dir("weights");
  const std::string file = (dir / "model.safetensors").string();
  f.model.save_weights(file);
  keras::Sequential other({keras::Input({2}), layers::Dense(1)});
  other.load_weights(file);
  expect_close(values_of(other.get_weights()[0]), values_of(f.model.get_weights()[0]), 0);
  keras::Sequential wider({keras::Input({3}), layers::Dense(1)});
  EXPECT_THROW(wider.load_weights(file), ShapeError);
  EXPECT_THROW(other.set_weights({zeros({2, 1})}), Error) << "2 weights expected";

  const auto size = std::filesystem::file_size(file);
  std::filesystem::copy_file(file, dir / "short.safetensors");
  std::filesystem::resize_file(dir / "short.safetensors", size - 3);
  EXPECT_THROW(other.load_weights((dir / "short.safetensors").string()), IoError);
  {
    std::ofstream garbage(dir / "garbage.safetensors", std::ios::binary);
    const std::string bytes("\x10\0\0\0\0\0\0\0{not json at all", 24);
    garbage.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  EXPECT_THROW(other.load_weights((dir / "garbage.safetensors").string()), IoError);
  EXPECT_THROW(other.load_weights((dir / "missing.safetensors").string()), IoError);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ember
