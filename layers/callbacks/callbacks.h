// Callbacks (keras.callbacks): code that fit, evaluate and predict call at the start and end of
// training, of every epoch and of every batch, with the model and the logs at hand.
//
//   struct PrintLoss : callbacks::Callback {
//     void on_epoch_end(int epoch, keras::Logs& logs) override {
//       std::cout << "epoch " << epoch << ": " << logs["loss"] << "\n";
//     }
//   };
//   model.fit(x, y, {.epochs = 10, .callbacks = {PrintLoss(), callbacks::EarlyStopping({.patience =
//   2})}});
//
// A named callback is the one fit calls, as in Python: what it records (EarlyStopping's
// stopped_epoch, a counter of your own) is in it afterwards. A temporary (`PrintLoss()`) is moved
// into fit; a std::shared_ptr is shared. Batch logs are lazy (see logs.h): reading them waits for
// the device, so batch hooks that do not read them cost nothing on a GPU.
#pragma once

#include <cstdint>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "core/keywords.h"
#include "core/tensor.h"
#include "layers/callbacks/logs.h"
#include "layers/keywords.h"

namespace ember::keras {
class Model;
}

namespace ember::callbacks {

using keras::Logs;

/// What fit tells its callbacks (Keras' callback.params).
struct Params {
  int epochs = 1;
  /// Steps per epoch; absent when unknown (a Dataset of unknown size).
  std::optional<std::int64_t> steps = std::nullopt;
  int verbose = 1;
};

class Callback {
 public:
  virtual ~Callback() = default;

  void set_model(keras::Model* model) { model_ = model; }
  /// The model being trained (ember::Error outside fit/evaluate/predict).
  keras::Model& model() const;
  void set_params(const Params& params) { params_ = params; }
  const Params& params() const { return params_; }
  /// Whether this callback writes files or prints, so that under a distribution strategy only
  /// the chief worker runs it (ModelCheckpoint, CSVLogger, TensorBoard, the progress bar).
  virtual bool chief_only() const { return false; }
  /// Whether this worker is the chief of the model's strategy (or there is none).
  bool on_chief() const;

  virtual void on_train_begin(Logs& /*logs*/) {}
  virtual void on_train_end(Logs& /*logs*/) {}
  virtual void on_epoch_begin(int /*epoch*/, Logs& /*logs*/) {}
  virtual void on_epoch_end(int /*epoch*/, Logs& /*logs*/) {}
  /// By default these call on_batch_begin/on_batch_end (Keras' aliases).
  virtual void on_train_batch_begin(std::int64_t batch, Logs& logs) { on_batch_begin(batch, logs); }
  virtual void on_train_batch_end(std::int64_t batch, Logs& logs) { on_batch_end(batch, logs); }
  virtual void on_batch_begin(std::int64_t /*batch*/, Logs& /*logs*/) {}
  virtual void on_batch_end(std::int64_t /*batch*/, Logs& /*logs*/) {}
  virtual void on_test_begin(Logs& /*logs*/) {}
  virtual void on_test_end(Logs& /*logs*/) {}
  virtual void on_test_batch_begin(std::int64_t /*batch*/, Logs& /*logs*/) {}
  virtual void on_test_batch_end(std::int64_t /*batch*/, Logs& /*logs*/) {}
  virtual void on_predict_begin(Logs& /*logs*/) {}
  virtual void on_predict_end(Logs& /*logs*/) {}
  virtual void on_predict_batch_begin(std::int64_t /*batch*/, Logs& /*logs*/) {}
  virtual void on_predict_batch_end(std::int64_t /*batch*/, Logs& /*logs*/) {}

 private:
  keras::Model* model_ = nullptr;
  Params params_;
};

/// A callback held by fit: a named one is used itself (not copied; it must outlive the call, as a
/// local beside the fit call does), a temporary is moved in, a shared pointer is shared, a const
/// one is copied (its hooks change it).
class CallbackRef {
 public:
  template <class C>
  requires(std::is_base_of_v<Callback, C> && !std::is_const_v<C>) CallbackRef(C& callback)
      : callback_(std::shared_ptr<Callback>(), &callback) {}  // NOLINT: not owned
  template <class C>
  requires(std::is_base_of_v<Callback, C> && !std::is_reference_v<C>) CallbackRef(C&& callback)
      : callback_(std::make_shared<C>(std::move(callback))) {}  // NOLINT
  template <class C>
  requires std::is_base_of_v<Callback, C> CallbackRef(const C& callback)
      : callback_(std::make_shared<C>(callback)) {}  // NOLINT
  template <class C>
  requires std::is_base_of_v<Callback, C> CallbackRef(std::shared_ptr<C> callback)
      : callback_(std::move(callback)) {}  // NOLINT
  const std::shared_ptr<Callback>& get() const { return callback_; }

 private:
  std::shared_ptr<Callback> callback_;
};

/// Records the epoch logs; fit returns it. history["loss"][i] is the loss of epoch i.
class History : public Callback {
 public:
  /// Every logged value per epoch, keys in alphabetical order ("accuracy", "loss", "val_loss").
  std::map<std::string, std::vector<double>> history;
  /// The epochs recorded (0-based, from initial_epoch).
  std::vector<int> epoch;

  const std::vector<double>& operator[](const std::string& key) const;
  void on_train_begin(Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;
};

/// Keras' progress bar for fit, evaluate and predict (added by them when verbose is 1 or 2).
class ProgbarLogger : public Callback {
 public:
  bool chief_only() const override { return true; }
  ProgbarLogger();
  ~ProgbarLogger() override;
  ProgbarLogger(const ProgbarLogger&);
  void on_train_begin(Logs& logs) override;
  void on_epoch_begin(int epoch, Logs& logs) override;
  void on_train_batch_end(std::int64_t batch, Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;
  void on_test_begin(Logs& logs) override;
  void on_test_batch_end(std::int64_t batch, Logs& logs) override;
  void on_test_end(Logs& logs) override;
  void on_predict_begin(Logs& logs) override;
  void on_predict_batch_end(std::int64_t batch, Logs& logs) override;
  void on_predict_end(Logs& logs) override;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// Watches a logged value and knows which way is better (shared by EarlyStopping,
/// ReduceLROnPlateau and ModelCheckpoint, as Keras' MonitorCallback).
class MonitorCallback : public Callback {
 protected:
  MonitorCallback(std::string monitor, std::string mode, double min_delta, const char* callback);
  /// Whether `value` beats `reference` by more than min_delta (always, with no reference).
  bool is_improvement(double value, std::optional<double> reference);
  std::string monitor_;
  std::string mode_;
  double min_delta_;
  std::optional<double> best_;

 private:
  void choose_direction();
  int sign_ = 0;  // +1: larger is better, -1: smaller is better, 0: not chosen yet
};

struct EarlyStoppingOptions {
  std::string monitor = "val_loss";
  /// Changes smaller than this do not count as improvements.
  double min_delta = 0.0;
  /// Epochs without improvement after which training stops.
  int patience = 0;
  int verbose = 0;
  /// "auto", "min" or "max".
  std::string mode = "auto";
  /// Training stops unless the value beats this within `patience` epochs.
  std::optional<double> baseline = std::nullopt;
  /// At the end, the weights of the best epoch are put back.
  bool restore_best_weights = false;
  int start_from_epoch = 0;
};

/// Stops training when the monitored value has stopped improving (Keras' rules exactly).
class EarlyStopping : public MonitorCallback {
 public:
  explicit EarlyStopping(EarlyStoppingOptions options = {});
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 && (KeywordFor<K, EarlyStoppingOptions> &&
                                ...)) explicit EarlyStopping(const K&... keywords)
      : EarlyStopping(with_keywords<EarlyStoppingOptions>(keywords...)) {}
  /// The epoch (0-based) at which training was stopped, 0 if it ran to the end.
  int stopped_epoch() const { return stopped_epoch_; }
  int best_epoch() const { return best_epoch_; }
  std::optional<double> best() const { return best_; }
  void on_train_begin(Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;
  void on_train_end(Logs& logs) override;

 private:
  EarlyStoppingOptions options_;
  int wait_ = 0, stopped_epoch_ = 0, best_epoch_ = 0;
  std::optional<std::vector<Tensor>> best_weights_;
};

/// Stops training at the first batch whose loss is NaN or infinite.
class TerminateOnNaN : public Callback {
 public:
  /// With raise_error, throws an ember::Error instead of stopping quietly.
  explicit TerminateOnNaN(bool raise_error = false) : raise_error_(raise_error) {}
  void on_batch_end(std::int64_t batch, Logs& logs) override;

 private:
  bool raise_error_;
};

/// How often ModelCheckpoint saves: "epoch" or every n batches.
class SaveFrequency {
 public:
  SaveFrequency(const char* every);     // NOLINT: implicit, `.save_freq = "epoch"`
  SaveFrequency(std::int64_t batches);  // NOLINT
  SaveFrequency(int batches) : SaveFrequency(static_cast<std::int64_t>(batches)) {}  // NOLINT
  bool per_epoch() const { return batches_ == 0; }
  std::int64_t batches() const { return batches_; }

 private:
  std::int64_t batches_ = 0;
};

struct ModelCheckpointOptions {
  std::string monitor = "val_loss";
  int verbose = 0;
  /// Saves only when the monitored value improves.
  bool save_best_only = false;
  /// true: the weights only (a .safetensors file, or Keras' .weights.h5 / .h5). false: the whole
  /// model — a folder, or a .keras / .h5 file, written by Model::save (keras::load_model reads
  /// it) — or, for a path ending in .safetensors, the weights and the optimizer's state
  /// (Model::load_weights restores both); training resumes exactly from a folder, a .keras file
  /// or a .safetensors file.
  bool save_weights_only = false;
  std::string mode = "auto";
  SaveFrequency save_freq = "epoch";
  /// save_best_only saves only values better than this.
  std::optional<double> initial_value_threshold = std::nullopt;
};

/// Saves the model during training. `filepath` may hold {epoch} and logged values, with Python
/// format specs: "ckpt/weights.{epoch:02d}-{val_loss:.2f}.safetensors" (a weights file) or
/// "ckpt/model-{epoch}" (a saved-model folder). Each save writes a temporary file or folder and
/// renames it, so a crash never leaves a half-written checkpoint.
class ModelCheckpoint : public MonitorCallback {
 public:
  bool chief_only() const override { return true; }
  explicit ModelCheckpoint(std::string filepath, ModelCheckpointOptions options = {});
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 && (KeywordFor<K, ModelCheckpointOptions> &&
                                ...)) explicit ModelCheckpoint(std::string filepath,
                                                               const K&... keywords)
      : ModelCheckpoint(filepath, with_keywords<ModelCheckpointOptions>(keywords...)) {}
  void on_epoch_begin(int epoch, Logs& logs) override;
  void on_train_batch_end(std::int64_t batch, Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;
  /// The file of the last save ("" before any).
  const std::string& last_saved() const { return last_saved_; }

 private:
  void save(int epoch, std::optional<std::int64_t> batch, const Logs& logs);
  std::string filepath_;
  ModelCheckpointOptions options_;
  int current_epoch_ = 0;
  std::int64_t batches_since_save_ = 0;
  std::string last_saved_;
};

struct BackupAndRestoreOptions {
  /// "epoch", or every n batches (a restart then repeats the epoch the backup was made in).
  SaveFrequency save_freq = "epoch";
  /// Removes the backup when fit ends normally (not when it is interrupted).
  bool delete_checkpoint = true;
};

/// Resumes a fit that was interrupted (a killed or preempted job) at the epoch where it stopped
/// (Keras' BackupAndRestore). At the end of every epoch it backs up the weights, the optimizer's
/// state and the epoch number into `backup_dir`/latest; when fit starts again with a backup
/// there, it loads it into the model (which must be built, and compiled as before) and fit
/// carries on from the next epoch. A backup is one folder swapped into place (io/atomic_file.h),
/// so weights and epoch always match, and a kill while backing up leaves the previous backup:
/// Keras' double_checkpoint is not needed. Random state (shuffling, dropout) is not restored.
class BackupAndRestore : public Callback {
 public:
  explicit BackupAndRestore(std::string backup_dir, BackupAndRestoreOptions options = {});
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 && (KeywordFor<K, BackupAndRestoreOptions> &&
                                ...)) explicit BackupAndRestore(std::string backup_dir,
                                                                const K&... keywords)
      : BackupAndRestore(backup_dir, with_keywords<BackupAndRestoreOptions>(keywords...)) {}
  void on_train_begin(Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;
  void on_train_batch_end(std::int64_t batch, Logs& logs) override;
  void on_train_end(Logs& logs) override;
  /// The epoch (0-based) the last fit resumed at; nullopt when it started afresh.
  std::optional<int> resumed_epoch() const { return resumed_epoch_; }

 private:
  void back_up();
  std::string backup_dir_;
  BackupAndRestoreOptions options_;
  int current_epoch_ = 0;
  std::int64_t last_batch_seen_ = -1;
  std::int64_t batches_since_save_ = 0;
  std::optional<int> resumed_epoch_;
};

/// `filepath` with {name} and {name:spec} replaced by `values` (Python's str.format for the
/// specs checkpoints use: width, fill, precision, types d f e g); an unknown name is an error.
std::string format_path(const std::string& filepath, const std::map<std::string, double>& values,
                        const std::map<std::string, std::int64_t>& integers);

/// Sets the learning rate at the start of every epoch from schedule(epoch, current_rate).
class LearningRateScheduler : public Callback {
 public:
  using Schedule = std::function<double(int epoch, double learning_rate)>;
  explicit LearningRateScheduler(Schedule schedule, int verbose = 0);
  explicit LearningRateScheduler(std::function<double(int epoch)> schedule, int verbose = 0);
  void on_epoch_begin(int epoch, Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;

 private:
  Schedule schedule_;
  int verbose_;
};

struct ReduceLROnPlateauOptions {
  std::string monitor = "val_loss";
  /// The learning rate is multiplied by this (< 1).
  double factor = 0.1;
  int patience = 10;
  int verbose = 0;
  std::string mode = "auto";
  double min_delta = 1e-4;
  /// Epochs to wait after a reduction before counting again.
  int cooldown = 0;
  double min_lr = 0.0;
};

/// Lowers the learning rate when the monitored value stops improving.
class ReduceLROnPlateau : public MonitorCallback {
 public:
  explicit ReduceLROnPlateau(ReduceLROnPlateauOptions options = {});
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 && (KeywordFor<K, ReduceLROnPlateauOptions> &&
                                ...)) explicit ReduceLROnPlateau(const K&... keywords)
      : ReduceLROnPlateau(with_keywords<ReduceLROnPlateauOptions>(keywords...)) {}
  void on_train_begin(Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;

 private:
  ReduceLROnPlateauOptions options_;
  int wait_ = 0, cooldown_counter_ = 0;
};

/// Writes the epoch logs to a CSV file: "epoch,accuracy,loss,val_accuracy,val_loss".
class CSVLogger : public Callback {
 public:
  bool chief_only() const override { return true; }
  explicit CSVLogger(std::string filename, char separator = ',', bool append = false);
  void on_train_begin(Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;
  void on_train_end(Logs& logs) override;

 private:
  std::string filename_;
  char separator_;
  bool append_;
  bool write_header_ = true;
  std::vector<std::string> keys_;
  std::shared_ptr<std::ofstream> file_;
};

/// How often TensorBoard writes batch-level values: "epoch" (never per batch), "batch" (every
/// batch) or every n batches.
class UpdateFrequency {
 public:
  UpdateFrequency(const char* every);     // NOLINT: implicit, `.update_freq = "batch"`
  UpdateFrequency(std::int64_t batches);  // NOLINT
  UpdateFrequency(int batches) : UpdateFrequency(static_cast<std::int64_t>(batches)) {}  // NOLINT
  bool per_epoch() const { return batches_ == 0; }
  std::int64_t batches() const { return batches_; }

 private:
  std::int64_t batches_ = 0;
};

struct TensorBoardOptions {
  /// Every this many epochs, a histogram of each weight ("dense/kernel/histogram"); 0: none.
  int histogram_freq = 0;
  /// The model's structure (its Keras JSON) for TensorBoard's graph dashboard, as Keras writes it
  /// (functional and Sequential models).
  bool write_graph = true;
  /// With histogram_freq, each weight drawn as an image too, as Keras draws it.
  bool write_images = false;
  /// "batch_steps_per_second" and "epoch_steps_per_second".
  bool write_steps_per_second = false;
  /// Batch-level "batch_<name>" values: "epoch" (none), "batch" or every n batches.
  UpdateFrequency update_freq = "epoch";
};

/// Keras' TensorBoard callback: event files under log_dir/train and log_dir/validation with the
/// epoch logs ("epoch_loss", "epoch_accuracy", "epoch_learning_rate"; validation values under
/// their names without "val_"), optional batch-level values, weight histograms and images, the
/// model's graph, and after each evaluation "evaluation_<name>_vs_iterations". While fit runs
/// with a batch-level update_freq, the train writer is the default one, so summary::scalar calls
/// in a train_step land in the same run (io/summary/summary.h).
///   model.fit(x, y, {.epochs = 5, .callbacks = {callbacks::TensorBoard("logs/run1")}});
///   // tensorboard --logdir logs
class TensorBoard : public Callback {
 public:
  bool chief_only() const override { return true; }
  explicit TensorBoard(std::string log_dir = "logs", TensorBoardOptions options = {});
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 &&
           (KeywordFor<K, TensorBoardOptions> && ...)) explicit TensorBoard(std::string log_dir,
                                                                            const K&... keywords)
      : TensorBoard(std::move(log_dir), with_keywords<TensorBoardOptions>(keywords...)) {}
  const std::string& log_dir() const;

  void on_train_begin(Logs& logs) override;
  void on_train_end(Logs& logs) override;
  void on_epoch_begin(int epoch, Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;
  void on_train_batch_begin(std::int64_t batch, Logs& logs) override;
  void on_train_batch_end(std::int64_t batch, Logs& logs) override;
  void on_test_begin(Logs& logs) override;
  void on_test_end(Logs& logs) override;

 private:
  struct Writers;
  TensorBoardOptions options_;
  std::shared_ptr<Writers> writers_;
};

/// A callback from functions, for small one-off hooks (Keras' LambdaCallback).
struct LambdaCallbackOptions {
  std::function<void(int, Logs&)> on_epoch_begin = nullptr;
  std::function<void(int, Logs&)> on_epoch_end = nullptr;
  std::function<void(std::int64_t, Logs&)> on_train_batch_begin = nullptr;
  std::function<void(std::int64_t, Logs&)> on_train_batch_end = nullptr;
  std::function<void(Logs&)> on_train_begin = nullptr;
  std::function<void(Logs&)> on_train_end = nullptr;
};
class LambdaCallback : public Callback {
 public:
  explicit LambdaCallback(LambdaCallbackOptions options) : options_(std::move(options)) {}
  void on_epoch_begin(int epoch, Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;
  void on_train_batch_begin(std::int64_t batch, Logs& logs) override;
  void on_train_batch_end(std::int64_t batch, Logs& logs) override;
  void on_train_begin(Logs& logs) override;
  void on_train_end(Logs& logs) override;

 private:
  LambdaCallbackOptions options_;
};

/// The callbacks of one fit/evaluate/predict: the user's, then History and ProgbarLogger.
class CallbackList {
 public:
  CallbackList(const std::vector<CallbackRef>& callbacks, bool add_history, bool add_progbar,
               keras::Model* model, const Params& params);
  std::shared_ptr<History> history() const { return history_; }
  /// Calls f(callback) for each, in order.
  template <class F>
  void each(F&& f) {
    for (auto& c : callbacks_) f(*c);
  }

 private:
  std::vector<std::shared_ptr<Callback>> callbacks_;
  std::shared_ptr<History> history_;
};

}  // namespace ember::callbacks

namespace ember::keras {
using History = callbacks::History;
}

namespace ember {

// Keyword arguments (core/keywords.h) whose braced lists make these types.
inline constexpr auto _save_freq =
    keyword<callbacks::SaveFrequency>([](auto& o) -> auto& { return o.save_freq; });
inline constexpr auto _update_freq =
    keyword<callbacks::UpdateFrequency>([](auto& o) -> auto& { return o.update_freq; });

}  // namespace ember
