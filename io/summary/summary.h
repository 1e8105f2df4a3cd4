// tf.summary: values written for TensorBoard as event files in TensorFlow's format.
//
//   auto writer = summary::create_file_writer("logs/run1");
//   {
//     auto scope = writer.as_default();
//     for (int step = 0; step < 100; ++step) {
//       summary::scalar("loss", loss, step);
//       summary::histogram("weights", model.get_layer("dense")->weights()[0], step);
//     }
//   }
//   writer.close();   // tensorboard --logdir logs
//
// As in TensorFlow the summary functions write to the default writer of the calling thread (set
// by as_default) and return false, writing nothing, when there is none. The step is the one
// given, or else the scope's, or else set_step's; with a default writer and no step anywhere
// they throw, as TensorFlow raises ValueError. Events are queued and written by a background
// thread every flush_millis, when max_queue are waiting, on flush() and on close(): a crash
// loses at most the queued events and leaves the file readable up to them.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/keywords.h"
#include "core/tensor.h"

namespace ember::summary {

namespace detail {
class EventFileWriter;
}

struct FileWriterOptions {
  /// Events queued before they are written.
  int max_queue = 10;
  /// Longest time (milliseconds) between writes of the queue.
  int flush_millis = 120000;
  /// Appended to the file name (TensorFlow 2 names its files "...v2").
  std::string filename_suffix = ".v2";
};

class SummaryWriter;

}  // namespace ember::summary

namespace ember {
inline constexpr auto _max_queue = keyword<int>([](auto& o) -> auto& { return o.max_queue; });
inline constexpr auto _flush_millis = keyword<int>([](auto& o) -> auto& { return o.flush_millis; });
inline constexpr auto _filename_suffix =
    keyword<std::string>([](auto& o) -> auto& { return o.filename_suffix; });
}  // namespace ember

namespace ember::summary {

/// Makes `writer` the thread's default writer (and `step` its step, when given) until destroyed;
/// the previous default comes back then. Scopes nest.
class DefaultWriterScope {
 public:
  DefaultWriterScope(const DefaultWriterScope&) = delete;
  DefaultWriterScope& operator=(const DefaultWriterScope&) = delete;
  DefaultWriterScope(DefaultWriterScope&& other) noexcept;
  DefaultWriterScope& operator=(DefaultWriterScope&&) = delete;
  ~DefaultWriterScope();

 private:
  friend class SummaryWriter;
  DefaultWriterScope(std::shared_ptr<detail::EventFileWriter> writer,
                     std::optional<std::int64_t> step);
  bool active_ = true;
};

/// A handle to one event file (copies share it). The file is created with the writer.
class SummaryWriter {
 public:
  SummaryWriter() = default;
  /// The writer's event file: <logdir>/events.out.tfevents.<seconds>.<host>.<pid>.<n><suffix>.
  const std::string& path() const;
  /// Makes this the default writer of the thread for the scope's life.
  [[nodiscard]] DefaultWriterScope as_default(
      std::optional<std::int64_t> step = std::nullopt) const;
  /// Writes the queued events now.
  void flush() const;
  /// Writes what is queued, syncs the file to disk and closes it; later writes throw. Destroying
  /// the last handle closes it too.
  void close() const;
  bool defined() const { return writer_ != nullptr; }

 private:
  friend SummaryWriter create_file_writer(const std::string&, FileWriterOptions);
  std::shared_ptr<detail::EventFileWriter> writer_;
};

/// A writer of a new event file in `logdir` (created with its parents when missing).
SummaryWriter create_file_writer(const std::string& logdir, FileWriterOptions options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 && (KeywordFor<K, FileWriterOptions> && ...)) SummaryWriter
    create_file_writer(const std::string& logdir, const K&... keywords) {
  return create_file_writer(logdir, with_keywords<FileWriterOptions>(keywords...));
}

/// tf.summary.experimental.set_step / get_step: the step used when none is given (per thread).
void set_step(std::optional<std::int64_t> step);
std::optional<std::int64_t> get_step();
/// Writes the queue of the thread's default writer, if there is one.
void flush();

/// A scalar (TensorBoard's Scalars dashboard); stored as float32, as tf.summary.scalar does.
bool scalar(std::string_view name, double value, std::optional<std::int64_t> step = std::nullopt,
            std::string_view description = {});
/// The same for a one-element tensor.
bool scalar(std::string_view name, const Tensor& value,
            std::optional<std::int64_t> step = std::nullopt, std::string_view description = {});
/// A histogram of all the elements of `data` (Histograms and Distributions dashboards): `buckets`
/// equal-width buckets between the minimum and the maximum, as TensorBoard's histogram_v2 makes
/// them (all edges at the value when the data holds a single value; zeros when it is empty).
bool histogram(std::string_view name, const Tensor& data,
               std::optional<std::int64_t> step = std::nullopt, int buckets = 30,
               std::string_view description = {});
/// Images (the Images dashboard): `data` is [k, h, w, c] with c = 1 (grayscale), 3 (RGB) or 4
/// (RGBA), uint8, or floating point in [0, 1] (converted as tf.image.convert_image_dtype with
/// saturation does). The first max_outputs images are written, each as PNG.
bool image(std::string_view name, const Tensor& data,
           std::optional<std::int64_t> step = std::nullopt, int max_outputs = 3,
           std::string_view description = {});
/// Text (the Text dashboard, which renders Markdown).
bool text(std::string_view name, std::string_view data,
          std::optional<std::int64_t> step = std::nullopt, std::string_view description = {});
/// A vector of strings as a text tensor (shown as a table).
bool text(std::string_view name, const std::vector<std::string>& data,
          std::optional<std::int64_t> step = std::nullopt, std::string_view description = {});
/// A string tensor with a plugin of your choosing (tf.summary.write with a SummaryMetadata):
/// what Keras' TensorBoard callback uses for the model's JSON ("graph_keras_model").
bool write_text_tensor(std::string_view tag, const std::string& value, std::string_view plugin_name,
                       std::string_view plugin_content, std::optional<std::int64_t> step);

/// Whether this ember was built with event files (protobuf and ISA-L found at configure time).
bool available();

}  // namespace ember::summary
