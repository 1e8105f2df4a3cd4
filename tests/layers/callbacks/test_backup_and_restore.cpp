// BackupAndRestore (Keras 3's rules): an interrupted fit restarted with the callback resumes at
// the epoch after the last backup and ends with the weights of a fit that was never interrupted;
// batch-frequency backups restart their epoch; the backup goes when fit ends normally; bad
// backups are errors naming the file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "tests/test_support.h"

namespace ember {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::values_of;

/// Stands for a killed job: throws at the end of epoch `epoch` (or of batch `batch` in it).
struct Interrupt : callbacks::Callback {
  int epoch;
  std::optional<std::int64_t> batch;
  int current = 0;
  explicit Interrupt(int epoch, std::optional<std::int64_t> batch = std::nullopt)
      : epoch(epoch), batch(batch) {}
  void on_epoch_begin(int e, keras::Logs&) override { current = e; }
  void on_train_batch_end(std::int64_t b, keras::Logs&) override {
    if (batch && current == epoch && b == *batch) throw std::runtime_error("interrupted");
  }
  void on_epoch_end(int e, keras::Logs&) override {
    if (!batch && e == epoch) throw std::runtime_error("interrupted");
  }
};

struct Data {
  Tensor x = constant(std::vector<float>{0.1f, -0.4f, 0.7f, 0.2f, 0.9f, -0.3f, 0.5f, -0.8f, 0.3f,
                                         0.6f, -0.2f, 0.4f, -0.6f, 0.8f, 0.0f, 0.35f},
                      {8, 2});
  Tensor y =
      constant(std::vector<float>{0.5f, -0.1f, 0.3f, 0.8f, -0.4f, 0.2f, 0.6f, -0.7f}, {8, 1});
};

/// A model whose weights all start at `start` (different starts show the backup is loaded).
keras::Handle<keras::Sequential> fresh_model(float start) {
  auto handle = keras::make<keras::Sequential>(std::vector<keras::SequentialItem>{
      keras::Input({2}), layers::Dense(3, _activation = "tanh"), layers::Dense(1)});
  keras::Sequential& model = *handle;
  model.compile(_optimizer = "adam", _loss = "mse");
  std::vector<Tensor> values;
  for (const Variable& weight : model.weights()) {
    std::vector<float> v(static_cast<std::size_t>(weight.shape().num_elements()));
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = start + 0.05f * static_cast<float>(i);
    values.push_back(constant(v, weight.shape()));
  }
  model.set_weights(values);
  return handle;
}

std::vector<std::vector<double>> weights_of(const keras::Model& model) {
  std::vector<std::vector<double>> all;
  for (const Variable& weight : model.weights()) all.push_back(values_of(weight.value()));
  return all;
}

TEST(BackupAndRestore, ResumesAfterTheLastBackupAndEndsAsAnUninterruptedFit) {
  const Data data;
  auto reference = fresh_model(0.1f);
  reference->fit(data.x, data.y, _epochs = 5, _batch_size = 4, _shuffle = false, _verbose = 0);

  TempDir dir;
  const std::string backup = dir / "backup";
  {
    auto interrupted = fresh_model(0.1f);
    EXPECT_THROW(interrupted->fit(data.x, data.y, _epochs = 5, _batch_size = 4, _shuffle = false,
                                  _verbose = 0,
                                  _callbacks = {callbacks::BackupAndRestore(backup), Interrupt(2)}),
                 std::runtime_error);
  }
  EXPECT_TRUE(fs::exists(fs::path(backup) / "latest"));

  // A restarted job: a new model (other weights), the same fit call.
  auto restarted = fresh_model(-0.3f);
  callbacks::BackupAndRestore restore(backup);
  const keras::History history =
      restarted->fit(data.x, data.y, _epochs = 5, _batch_size = 4, _shuffle = false, _verbose = 0,
                     _callbacks = {restore});
  EXPECT_EQ(restore.resumed_epoch(), 3);
  EXPECT_EQ(history.epoch, (std::vector<int>{3, 4}));
  const auto expected = weights_of(*reference), actual = weights_of(*restarted);
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i)
    testing::expect_close(actual[i], expected[i], 1e-6);
  EXPECT_FALSE(fs::exists(backup)) << "delete_checkpoint removes the backup at the end";
}

TEST(BackupAndRestore, BatchBackupsRestartTheirEpoch) {
  const Data data;
  TempDir dir;
  const std::string backup = dir / "backup";
  auto interrupted = fresh_model(0.1f);
  // A backup after every batch (two per epoch); killed at the end of epoch 1's last batch,
  // after its backup, before the epoch's end.
  EXPECT_THROW(
      interrupted->fit(
          data.x, data.y, _epochs = 4, _batch_size = 4, _shuffle = false, _verbose = 0,
          _callbacks = {callbacks::BackupAndRestore(backup, _save_freq = 1), Interrupt(1, 1)}),
      std::runtime_error);
  const auto at_kill = weights_of(*interrupted);

  auto restarted = fresh_model(0.7f);
  callbacks::BackupAndRestore restore(backup, _save_freq = 1, _delete_checkpoint = false);
  // No epochs to run: only the restore happens, and the weights are the backup's.
  const keras::History history =
      restarted->fit(data.x, data.y, _epochs = 1, _batch_size = 4, _shuffle = false, _verbose = 0,
                     _callbacks = {restore});
  EXPECT_EQ(restore.resumed_epoch(), 1);
  EXPECT_TRUE(history.epoch.empty());
  const auto restored = weights_of(*restarted);
  for (std::size_t i = 0; i < at_kill.size(); ++i)
    testing::expect_close(restored[i], at_kill[i], 0);
  EXPECT_TRUE(fs::exists(fs::path(backup) / "latest")) << "delete_checkpoint = false keeps it";
}

TEST(BackupAndRestore, KeepsTheUsersOtherFilesInTheBackupFolder) {
  const Data data;
  TempDir dir;
  const std::string backup = dir / "backup";
  fs::create_directories(backup);
  std::ofstream(fs::path(backup) / "notes.txt") << "mine";
  auto model = fresh_model(0.1f);
  model->fit(data.x, data.y, _epochs = 2, _batch_size = 4, _verbose = 0,
             _callbacks = {callbacks::BackupAndRestore(backup)});
  EXPECT_TRUE(fs::exists(fs::path(backup) / "notes.txt"));
  EXPECT_FALSE(fs::exists(fs::path(backup) / "latest"));
}

TEST(BackupAndRestore, BadBackupsAndUnbuiltModelsAreErrorsNamingThem) {
  const Data data;
  TempDir dir;
  const std::string backup = dir / "backup";
  EXPECT_THROW(callbacks::BackupAndRestore(""), Error);

  keras::Sequential unbuilt({layers::Dense(1)});
  unbuilt.compile(_optimizer = "sgd", _loss = "mse");
  testing::expect_error<Error>(
      [&] {
        unbuilt.fit(data.x, data.y, _epochs = 1, _verbose = 0,
                    _callbacks = {callbacks::BackupAndRestore(backup)});
      },
      {"BackupAndRestore", "must be built"});

  // A backup of epoch 1, then its metadata broken in three ways.
  auto model = fresh_model(0.1f);
  EXPECT_THROW(model->fit(data.x, data.y, _epochs = 3, _verbose = 0,
                          _callbacks = {callbacks::BackupAndRestore(backup), Interrupt(0)}),
               std::runtime_error);
  const fs::path metadata = fs::path(backup) / "latest" / "training_metadata.json";
  for (const char* text : {"{\"epoch\": -1}", "[1, 2]", "{\"epoch\": "}) {
    std::ofstream(metadata, std::ios::trunc) << text;
    EXPECT_THROW(
        {
          try {
            model->fit(data.x, data.y, _epochs = 3, _verbose = 0,
                       _callbacks = {callbacks::BackupAndRestore(backup)});
          } catch (const IoError& e) {
            EXPECT_NE(std::string(e.what()).find("training_metadata.json"), std::string::npos)
                << e.what();
            throw;
          }
        },
        IoError)
        << text;
  }
  std::ofstream(metadata, std::ios::trunc) << "{\"epoch\": 1}";
  // A backup of another architecture.
  keras::Sequential other({keras::Input({2}), layers::Dense(5), layers::Dense(1)});
  other.compile(_optimizer = "adam", _loss = "mse");
  EXPECT_THROW(other.fit(data.x, data.y, _epochs = 3, _verbose = 0,
                         _callbacks = {callbacks::BackupAndRestore(backup)}),
               Error);
}

}  // namespace
}  // namespace ember
