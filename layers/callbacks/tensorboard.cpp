// callbacks::TensorBoard (keras/src/callbacks/tensorboard.py): training seen in TensorBoard.
#include <chrono>
#include <filesystem>

#include "core/error.h"
#include "core/ops/shape.h"
#include "io/summary/summary.h"
#include "layers/callbacks/callbacks.h"
#include "layers/models/model.h"

namespace ember::callbacks {

UpdateFrequency::UpdateFrequency(const char* every) {
  const std::string text(every);
  if (text == "batch") {
    batches_ = 1;
  } else if (text != "epoch") {
    throw Error(
        cat("TensorBoard: update_freq must be \"epoch\", \"batch\" or a number of "
            "batches, got \"",
            text, "\""));
  }
}

UpdateFrequency::UpdateFrequency(std::int64_t batches) : batches_(batches) {
  if (batches <= 0)
    throw Error(
        cat("TensorBoard: update_freq must be a positive number of batches, got ", batches));
}

/// The two runs' writers (made on first use, as Keras makes them) and the counters, shared by
/// copies of the callback.
struct TensorBoard::Writers {
  std::string log_dir;
  summary::SummaryWriter train, validation;
  std::optional<summary::DefaultWriterScope> train_scope, test_scope;
  std::int64_t global_train_batch = 0;
  std::chrono::steady_clock::time_point batch_start, epoch_start;
  std::int64_t epoch_start_iterations = 0;

  summary::SummaryWriter& train_writer() {
    if (!train.defined())
      train = summary::create_file_writer((std::filesystem::path(log_dir) / "train").string());
    return train;
  }
  summary::SummaryWriter& validation_writer() {
    if (!validation.defined())
      validation =
          summary::create_file_writer((std::filesystem::path(log_dir) / "validation").string());
    return validation;
  }
  void close() {
    test_scope.reset();
    train_scope.reset();
    if (train.defined()) train.close();
    if (validation.defined()) validation.close();
    train = {};
    validation = {};
  }
};

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// Keras' _log_weight_as_image: biases as a one-pixel-wide column, dense kernels as one image
/// (wider than high), 3-d kernels one image per slice; others only when their last axis can be
/// channels.
void write_weight_as_image(const Tensor& weight, const std::string& name, int epoch) {
  Tensor image = squeeze(weight);
  std::vector<std::int64_t> shape = image.shape().dims();
  if (shape.size() == 1) {
    image = reshape(image, Shape{1, shape[0], 1, 1});
  } else if (shape.size() == 2) {
    if (shape[0] > shape[1]) image = transpose(image);
    image = reshape(image, Shape{1, image.shape(0), image.shape(1), 1});
  } else if (shape.size() == 3) {
    image = transpose(image, std::vector<std::int64_t>{2, 0, 1});  // channels last to first
    image = reshape(image, Shape{image.shape(0), image.shape(1), image.shape(2), 1});
  }
  const auto channels = image.rank() == 4 ? image.shape(3) : 0;
  if (channels == 1 || channels == 3 || channels == 4) summary::image(name, image, epoch);
}

}  // namespace

TensorBoard::TensorBoard(std::string log_dir, TensorBoardOptions options)
    : options_(std::move(options)), writers_(std::make_shared<Writers>()) {
  if (log_dir.empty()) throw Error("TensorBoard: log_dir is empty");
  if (options_.histogram_freq < 0)
    throw Error(cat("TensorBoard: histogram_freq must be >= 0, got ", options_.histogram_freq));
  if (!summary::available())
    throw Error(
        "TensorBoard: this ember was built without TensorBoard event files (install "
        "libprotobuf-dev, protobuf-compiler and libisal-dev, and configure again)");
  writers_->log_dir = std::move(log_dir);
}

const std::string& TensorBoard::log_dir() const { return writers_->log_dir; }

void TensorBoard::on_train_begin(Logs&) {
  auto& w = *writers_;
  w.global_train_batch = 0;
  if (options_.write_graph && (model().is_functional() || model().class_name() == "Sequential")) {
    // Keras' keras_model_summary: the model's JSON, which TensorBoard's graph plugin draws.
    auto scope = w.train_writer().as_default();
    summary::write_text_tensor("keras", model().to_json(), "graph_keras_model", "1", 0);
  }
  if (!options_.update_freq.per_epoch()) w.train_scope.emplace(w.train_writer().as_default());
}

void TensorBoard::on_train_end(Logs&) {
  if (writers_->train_scope) summary::set_step(std::nullopt);  // the step on_train_batch_begin set
  writers_->close();
}

void TensorBoard::on_epoch_begin(int, Logs&) {
  writers_->epoch_start = std::chrono::steady_clock::now();
  writers_->epoch_start_iterations = model().compiled() ? model().optimizer().iterations() : 0;
}

void TensorBoard::on_train_batch_begin(std::int64_t, Logs&) {
  auto& w = *writers_;
  ++w.global_train_batch;
  w.batch_start = std::chrono::steady_clock::now();
  // A train_step's own summaries take the batch's step.
  if (w.train_scope) summary::set_step(w.global_train_batch);
}

void TensorBoard::on_train_batch_end(std::int64_t, Logs& logs) {
  auto& w = *writers_;
  if (options_.update_freq.per_epoch() ||
      w.global_train_batch % options_.update_freq.batches() != 0)
    return;
  auto scope = w.train_writer().as_default(w.global_train_batch);
  if (options_.write_steps_per_second)
    summary::scalar("batch_steps_per_second", 1.0 / seconds_since(w.batch_start));
  for (const auto& [name, value] : logs) summary::scalar("batch_" + name, value);
}

void TensorBoard::on_epoch_end(int epoch, Logs& logs) {
  auto& w = *writers_;
  {
    auto scope = w.train_writer().as_default(epoch);
    for (const auto& [name, value] : logs)
      if (!name.starts_with("val_")) summary::scalar("epoch_" + name, value);
    if (model().compiled())
      summary::scalar("epoch_learning_rate", model().optimizer().learning_rate());
    if (options_.write_steps_per_second && model().compiled())
      summary::scalar(
          "epoch_steps_per_second",
          static_cast<double>(model().optimizer().iterations() - w.epoch_start_iterations) /
              seconds_since(w.epoch_start));
  }
  bool any_validation = false;
  for (const auto& [name, value] : logs)
    any_validation = any_validation || name.starts_with("val_");
  if (any_validation) {
    auto scope = w.validation_writer().as_default(epoch);
    for (const auto& [name, value] : logs)
      if (name.starts_with("val_")) summary::scalar("epoch_" + name.substr(4), value);
  }
  if (options_.histogram_freq > 0 && epoch % options_.histogram_freq == 0) {
    auto scope = w.train_writer().as_default(epoch);
    for (const auto& layer : model().layers()) {
      for (const auto& weight : layer->weights()) {
        // The weight's path ("dense/kernel"), as tf.keras named it, so that layers do not share
        // one tag (Keras 3 uses the bare name, "kernel").
        summary::histogram(weight.path() + "/histogram", weight.value());
        if (options_.write_images)
          write_weight_as_image(weight.value(), weight.path() + "/image", epoch);
      }
    }
    w.train_writer().flush();
  }
}

void TensorBoard::on_test_begin(Logs&) {
  auto& w = *writers_;
  if (!options_.update_freq.per_epoch()) w.test_scope.emplace(w.validation_writer().as_default());
}

void TensorBoard::on_test_end(Logs& logs) {
  auto& w = *writers_;
  w.test_scope.reset();
  if (!model().compiled()) return;
  auto scope = w.validation_writer().as_default(model().optimizer().iterations());
  for (const auto& [name, value] : logs)
    summary::scalar("evaluation_" + name + "_vs_iterations", value);
  w.validation_writer().flush();  // evaluate() alone has no on_train_end to close the writer
}

}  // namespace ember::callbacks
