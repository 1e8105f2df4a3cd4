#include "io/summary/summary.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/ops/elementwise.h"
#include "io/png.h"
#include "io/summary/event_file_writer.h"

namespace ember::summary {

namespace {

struct DefaultWriter {
  std::shared_ptr<detail::EventFileWriter> writer;
  std::optional<std::int64_t> step;
};

/// tf.summary's context is per thread: a stack of default writers and the global step.
thread_local std::vector<DefaultWriter> default_writers;
thread_local std::optional<std::int64_t> global_step;

/// The writer and step a summary goes to; no writer: nothing is written.
std::shared_ptr<detail::EventFileWriter> current_writer(std::string_view name,
                                                        std::optional<std::int64_t>& step) {
  if (default_writers.empty()) return nullptr;
  const auto& top = default_writers.back();
  if (!step) step = top.step ? top.step : global_step;
  if (!step)
    throw Error(cat("summary: no step for '", name,
                    "': pass one, or set it with summary::set_step or as_default(step)"));
  return top.writer;
}

bool write(std::string_view name, std::string_view plugin, std::string_view description,
           std::optional<std::int64_t> step, TensorValue tensor,
           std::string_view plugin_content = {}) {
  auto writer = current_writer(name, step);
  if (!writer) return false;
  if (name.empty()) throw Error("summary: the name is empty");
  detail::SummaryRecord record;
  record.tag = std::string(name);
  record.plugin_name = std::string(plugin);
  record.plugin_content = std::string(plugin_content);
  record.description = std::string(description);
  record.tensor = std::move(tensor);
  record.step = *step;
  record.wall_time = detail::wall_seconds();
  writer->add(std::move(record));
  return true;
}

std::vector<double> as_float64(const Tensor& data, const char* op) {
  if (!data.defined()) throw Error(cat(op, ": the tensor is undefined"));
  return data.dtype() == DType::float64 ? data.to_vector<double>()
                                        : cast(data, DType::float64).to_vector<double>();
}

}  // namespace

DefaultWriterScope::DefaultWriterScope(std::shared_ptr<detail::EventFileWriter> writer,
                                       std::optional<std::int64_t> step) {
  default_writers.push_back({std::move(writer), step});
}

DefaultWriterScope::DefaultWriterScope(DefaultWriterScope&& other) noexcept {
  other.active_ = false;
}

DefaultWriterScope::~DefaultWriterScope() {
  if (active_ && !default_writers.empty()) default_writers.pop_back();
}

const std::string& SummaryWriter::path() const {
  if (!writer_)
    throw Error("SummaryWriter::path: an empty writer (use summary::create_file_writer)");
  return writer_->path();
}

DefaultWriterScope SummaryWriter::as_default(std::optional<std::int64_t> step) const {
  if (!writer_)
    throw Error("SummaryWriter::as_default: an empty writer (use summary::create_file_writer)");
  return DefaultWriterScope(writer_, step);
}

void SummaryWriter::flush() const {
  if (writer_) writer_->flush();
}

void SummaryWriter::close() const {
  if (writer_) writer_->close();
}

SummaryWriter create_file_writer(const std::string& logdir, FileWriterOptions options) {
  SummaryWriter writer;
  writer.writer_ = std::make_shared<detail::EventFileWriter>(logdir, options);
  return writer;
}

void set_step(std::optional<std::int64_t> step) { global_step = step; }
std::optional<std::int64_t> get_step() { return global_step; }

void flush() {
  if (!default_writers.empty()) default_writers.back().writer->flush();
}

bool scalar(std::string_view name, double value, std::optional<std::int64_t> step,
            std::string_view description) {
  return write(name, "scalars", description, step, {"float32", {}, {value}, {}});
}

bool scalar(std::string_view name, const Tensor& value, std::optional<std::int64_t> step,
            std::string_view description) {
  if (default_writers.empty()) return false;  // no read-back when nothing is written
  if (!value.defined() || value.size() != 1)
    throw ShapeError(
        cat("summary::scalar('", name, "'): expected one value, got ",
            value.defined() ? cat(value.shape()) : std::string("an undefined tensor")));
  return scalar(name, as_float64(value, "summary::scalar")[0], step, description);
}

bool histogram(std::string_view name, const Tensor& data, std::optional<std::int64_t> step,
               int buckets, std::string_view description) {
  if (default_writers.empty()) return false;
  if (buckets < 0)
    throw Error(cat("summary::histogram('", name, "'): buckets must be >= 0, got ", buckets));
  std::vector<double> values;
  // Non-finite values are left out: a diverging weight must not end the training that logs it.
  for (const double x : as_float64(data, "summary::histogram"))
    if (std::isfinite(x)) values.push_back(x);
  const auto k = static_cast<std::size_t>(buckets);
  TensorValue tensor{"float64", {static_cast<std::int64_t>(k), 3}, std::vector<double>(3 * k), {}};
  auto& out = tensor.numbers;
  if (!values.empty() && k > 0) {
    const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    const double min = *lo, max = *hi, range = max - min;
    std::vector<double> counts(k, 0.0);
    if (range == 0) {
      counts[k - 1] = static_cast<double>(values.size());
      for (std::size_t i = 0; i < k; ++i) out[3 * i] = out[3 * i + 1] = max;
    } else {
      const double width = range / static_cast<double>(k);
      for (const double x : values) {
        const auto index = static_cast<std::size_t>(std::floor((x - min) / width));
        counts[std::min(index, k - 1)] += 1.0;
      }
      // TensorFlow's linspace, with the last edge set to the maximum exactly.
      const double step_size = range / static_cast<double>(k);
      for (std::size_t i = 0; i < k; ++i) {
        out[3 * i] = min + step_size * static_cast<double>(i);
        out[3 * i + 1] = i + 1 == k ? max : min + step_size * static_cast<double>(i + 1);
      }
    }
    for (std::size_t i = 0; i < k; ++i) out[3 * i + 2] = counts[i];
  }
  return write(name, "histograms", description, step, std::move(tensor));
}

bool image(std::string_view name, const Tensor& data, std::optional<std::int64_t> step,
           int max_outputs, std::string_view description) {
  if (default_writers.empty()) return false;
  if (!data.defined() || data.rank() != 4)
    throw ShapeError(cat("summary::image('", name,
                         "'): expected images of shape [k, height, "
                         "width, channels], got ",
                         data.defined() ? cat(data.shape()) : std::string("an undefined tensor")));
  if (max_outputs < 0)
    throw Error(cat("summary::image('", name, "'): max_outputs must be >= 0, got ", max_outputs));
  TensorValue tensor{
      "string", {}, {}, {std::to_string(data.shape(2)), std::to_string(data.shape(1))}};
  const auto count = std::min<std::int64_t>(data.shape(0), max_outputs);
  for (std::int64_t i = 0; i < count; ++i)
    tensor.strings.push_back(io::encode_png(io::to_png_image(data[i], "summary::image")));
  tensor.shape = {static_cast<std::int64_t>(tensor.strings.size())};
  return write(name, "images", description, step, std::move(tensor));
}

bool text(std::string_view name, std::string_view data, std::optional<std::int64_t> step,
          std::string_view description) {
  return write(name, "text", description, step, {"string", {}, {}, {std::string(data)}});
}

bool text(std::string_view name, const std::vector<std::string>& data,
          std::optional<std::int64_t> step, std::string_view description) {
  return write(name, "text", description, step,
               {"string", {static_cast<std::int64_t>(data.size())}, {}, data});
}

bool write_text_tensor(std::string_view tag, const std::string& value, std::string_view plugin_name,
                       std::string_view plugin_content, std::optional<std::int64_t> step) {
  return write(tag, plugin_name, {}, step, {"string", {}, {}, {value}}, plugin_content);
}

bool available() {
#if EMBER_WITH_TENSORBOARD
  return true;
#else
  return false;
#endif
}

}  // namespace ember::summary
