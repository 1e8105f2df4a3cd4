// Reading TensorBoard event files back (tf.compat.v1.train.summary_iterator): ember's own, and
// TensorFlow's, TensorBoard's and PyTorch's. Every record's length and both CRCs are checked, and
// nothing is allocated that the file merely claims: a bad record is an IoError naming the file,
// the record and what was wrong.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ember::summary {

/// A TensorProto as read: its dtype ("float32", "float64", "int32", "int64", "uint8", "bool",
/// "string", ...), shape, and values, numbers as float64 or strings as bytes.
struct TensorValue {
  std::string dtype;
  std::vector<std::int64_t> shape;
  std::vector<double> numbers;
  std::vector<std::string> strings;
};

/// One value of a Summary.
struct SummaryValue {
  enum class Kind { tensor, simple_value, histogram, image, other };
  std::string tag;
  Kind kind = Kind::other;
  /// The metadata's plugin ("scalars", "histograms", "images", "text", ...), its content and
  /// description.
  std::string plugin_name, plugin_content, display_name, description;
  /// Kind::tensor (what TensorFlow 2 writes).
  TensorValue tensor;
  /// Kind::simple_value (TensorFlow 1's and PyTorch's scalars).
  double simple_value = 0.0;
  /// Kind::histogram (the old HistogramProto): each bucket's right edge and count.
  double histogram_min = 0.0, histogram_max = 0.0, histogram_num = 0.0, histogram_sum = 0.0;
  std::vector<double> bucket_limits, bucket_counts;
  /// Kind::image (the old Summary.Image): the encoded image and its size.
  std::int32_t image_height = 0, image_width = 0, image_colorspace = 0;
  std::string encoded_image;
};

/// One event: the file version (the first event), a summary, or something else (a graph, a log
/// message), by its wall time and step.
struct Event {
  double wall_time = 0.0;
  std::int64_t step = 0;
  std::string file_version;
  std::vector<SummaryValue> values;
  /// A GraphDef, when the event holds one (its serialized bytes).
  std::string graph_def;
};

struct ReadEventsOptions {
  /// Accept a file whose last record is cut short (a writer still writing, or one that was
  /// killed) and return the events before it. Otherwise that is an IoError.
  bool allow_truncated_tail = false;
  /// Larger records are refused before anything is read (TensorBoard's own limit is 2^31).
  std::uint64_t max_record_bytes = std::uint64_t{1} << 30;
};

/// The events of the file at `path`, in order.
std::vector<Event> read_events(const std::string& path, const ReadEventsOptions& options = {});
/// The same from a file's bytes; `name` is used in messages.
std::vector<Event> parse_events(const std::string& bytes, const std::string& name,
                                const ReadEventsOptions& options = {});

}  // namespace ember::summary
