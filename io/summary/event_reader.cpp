#include "io/summary/event_reader.h"

#include <cstring>
#include <limits>

#include "core/error.h"
#include "io/whole_file.h"

#if EMBER_WITH_TENSORBOARD
#include "io/summary/record_file.h"
#include "io/summary/tensorboard.pb.h"
#endif

namespace ember::summary {

std::vector<Event> read_events(const std::string& path, const ReadEventsOptions& options) {
  return parse_events(io::read_file_bytes(path), path, options);
}

#if EMBER_WITH_TENSORBOARD

namespace {

namespace tb = ember::tensorboard;

std::uint64_t read_le(const std::string& bytes, std::size_t at, int count) {
  std::uint64_t value = 0;
  for (int i = 0; i < count; ++i)
    value |= std::uint64_t{static_cast<unsigned char>(bytes[at + i])} << (8 * i);
  return value;
}

struct Element {
  const char* name;
  std::size_t bytes;
};

Element element_of(tb::DataType dtype) {
  switch (dtype) {
    case tb::DT_FLOAT:
      return {"float32", 4};
    case tb::DT_DOUBLE:
      return {"float64", 8};
    case tb::DT_INT32:
      return {"int32", 4};
    case tb::DT_INT64:
      return {"int64", 8};
    case tb::DT_UINT8:
      return {"uint8", 1};
    case tb::DT_INT8:
      return {"int8", 1};
    case tb::DT_INT16:
      return {"int16", 2};
    case tb::DT_BOOL:
      return {"bool", 1};
    case tb::DT_STRING:
      return {"string", 0};
    default:
      return {nullptr, 0};
  }
}

double number_at(const std::string& content, std::size_t i, tb::DataType dtype) {
  const char* p = content.data() + i * element_of(dtype).bytes;
  switch (dtype) {
    case tb::DT_FLOAT: {
      float v;
      std::memcpy(&v, p, 4);
      return v;
    }
    case tb::DT_DOUBLE: {
      double v;
      std::memcpy(&v, p, 8);
      return v;
    }
    case tb::DT_INT32: {
      std::int32_t v;
      std::memcpy(&v, p, 4);
      return v;
    }
    case tb::DT_INT64: {
      std::int64_t v;
      std::memcpy(&v, p, 8);
      return static_cast<double>(v);
    }
    case tb::DT_INT16: {
      std::int16_t v;
      std::memcpy(&v, p, 2);
      return v;
    }
    case tb::DT_INT8:
      return static_cast<std::int8_t>(*p);
    case tb::DT_UINT8:
      return static_cast<unsigned char>(*p);
    default:
      return *p != 0;  // DT_BOOL
  }
}

template <class Repeated>
void take_values(const Repeated& values, std::size_t count, TensorValue& out, const auto& fail) {
  if (static_cast<std::size_t>(values.size()) != count)
    fail(cat("a ", out.dtype, " tensor of ", count, " elements holds ", values.size(), " values"));
  for (const auto v : values) out.numbers.push_back(static_cast<double>(v));
}

TensorValue decode_tensor(const tb::TensorProto& proto, const auto& fail) {
  const Element element = element_of(proto.dtype());
  if (!element.name)
    fail(cat("tensor dtype ", static_cast<int>(proto.dtype()), " is not supported"));
  TensorValue out;
  out.dtype = element.name;
  // The element count, checked against int64 and against what the record holds before use.
  std::uint64_t count = 1;
  for (const auto& dim : proto.tensor_shape().dim()) {
    if (dim.size() < 0) fail(cat("tensor dimension ", dim.size(), " is negative"));
    const auto size = static_cast<std::uint64_t>(dim.size());
    if (size != 0 && count > std::numeric_limits<std::int64_t>::max() / size)
      fail("tensor shape overflows int64");
    count *= size;
    out.shape.push_back(dim.size());
  }
  if (proto.dtype() == tb::DT_STRING) {
    if (static_cast<std::uint64_t>(proto.string_val_size()) != count)
      fail(cat("a string tensor of ", count, " elements holds ", proto.string_val_size(),
               " strings"));
    out.strings.assign(proto.string_val().begin(), proto.string_val().end());
    return out;
  }
  const auto n = static_cast<std::size_t>(count);
  if (!proto.tensor_content().empty()) {
    if (proto.tensor_content().size() / element.bytes != count ||
        proto.tensor_content().size() % element.bytes != 0)
      fail(cat("a ", out.dtype, " tensor of ", count, " elements has ",
               proto.tensor_content().size(), " bytes of content"));
    out.numbers.reserve(n);
    for (std::size_t i = 0; i < n; ++i)
      out.numbers.push_back(number_at(proto.tensor_content(), i, proto.dtype()));
    return out;
  }
  switch (proto.dtype()) {
    case tb::DT_FLOAT:
      take_values(proto.float_val(), n, out, fail);
      break;
    case tb::DT_DOUBLE:
      take_values(proto.double_val(), n, out, fail);
      break;
    case tb::DT_INT64:
      take_values(proto.int64_val(), n, out, fail);
      break;
    case tb::DT_BOOL:
      take_values(proto.bool_val(), n, out, fail);
      break;
    default:
      take_values(proto.int_val(), n, out, fail);
      break;
  }
  return out;
}

SummaryValue decode_value(const tb::Summary::Value& proto, const auto& fail) {
  SummaryValue out;
  out.tag = proto.tag().empty() ? proto.node_name() : proto.tag();
  out.plugin_name = proto.metadata().plugin_data().plugin_name();
  out.plugin_content = proto.metadata().plugin_data().content();
  out.display_name = proto.metadata().display_name();
  out.description = proto.metadata().summary_description();
  switch (proto.value_case()) {
    case tb::Summary::Value::kTensor:
      out.kind = SummaryValue::Kind::tensor;
      out.tensor = decode_tensor(proto.tensor(), fail);
      break;
    case tb::Summary::Value::kSimpleValue:
      out.kind = SummaryValue::Kind::simple_value;
      out.simple_value = proto.simple_value();
      break;
    case tb::Summary::Value::kHisto: {
      const auto& h = proto.histo();
      if (h.bucket_limit_size() != h.bucket_size())
        fail(cat("histogram '", out.tag, "' has ", h.bucket_limit_size(), " bucket limits and ",
                 h.bucket_size(), " counts"));
      out.kind = SummaryValue::Kind::histogram;
      out.histogram_min = h.min();
      out.histogram_max = h.max();
      out.histogram_num = h.num();
      out.histogram_sum = h.sum();
      out.bucket_limits.assign(h.bucket_limit().begin(), h.bucket_limit().end());
      out.bucket_counts.assign(h.bucket().begin(), h.bucket().end());
      break;
    }
    case tb::Summary::Value::kImage:
      out.kind = SummaryValue::Kind::image;
      out.image_height = proto.image().height();
      out.image_width = proto.image().width();
      out.image_colorspace = proto.image().colorspace();
      out.encoded_image = proto.image().encoded_image_string();
      break;
    default:
      out.kind = SummaryValue::Kind::other;
  }
  return out;
}

}  // namespace

std::vector<Event> parse_events(const std::string& bytes, const std::string& name,
                                const ReadEventsOptions& options) {
  std::vector<Event> events;
  std::size_t at = 0;
  while (at < bytes.size()) {
    const auto record = events.size();
    const auto fail = [&](const std::string& what) {
      throw IoError(cat(name, ": event record ", record, " (at byte ", at, "): ", what));
    };
    const std::size_t left = bytes.size() - at;
    if (left < 12) {
      if (options.allow_truncated_tail) break;
      fail(cat("truncated: ", left, " bytes, a record header takes 12"));
    }
    const std::string_view header(bytes.data() + at, 8);
    if (read_le(bytes, at + 8, 4) != detail::masked_crc32c(header))
      fail("the length's CRC-32C does not match (corrupt file)");
    const std::uint64_t length = read_le(bytes, at, 8);
    if (length > options.max_record_bytes || length > std::numeric_limits<int>::max())
      fail(cat("the record claims ", length, " bytes, more than the limit of ",
               options.max_record_bytes));
    if (length > left - 12 || left - 12 - length < 4) {
      if (options.allow_truncated_tail) break;
      fail(cat("truncated: the record claims ", length, " bytes and the file has ", left - 12,
               " after its header (", length + 4, " needed)"));
    }
    const std::string_view data(bytes.data() + at + 12, length);
    if (read_le(bytes, at + 12 + length, 4) != detail::masked_crc32c(data))
      fail("the data's CRC-32C does not match (corrupt file)");
    tb::Event proto;
    if (!proto.ParseFromArray(data.data(), static_cast<int>(data.size())))
      fail("not an Event message (malformed protocol buffer)");
    Event event;
    event.wall_time = proto.wall_time();
    event.step = proto.step();
    if (proto.has_summary())
      for (const auto& value : proto.summary().value())
        event.values.push_back(decode_value(value, fail));
    if (proto.what_case() == tb::Event::kFileVersion) event.file_version = proto.file_version();
    if (proto.what_case() == tb::Event::kGraphDef) event.graph_def = proto.graph_def();
    events.push_back(std::move(event));
    at += 12 + length + 4;
  }
  return events;
}

#else  // built without protobuf or ISA-L

std::vector<Event> parse_events(const std::string&, const std::string& name,
                                const ReadEventsOptions&) {
  throw Error(cat(name,
                  ": this ember was built without TensorBoard event files (install "
                  "libprotobuf-dev, protobuf-compiler and libisal-dev, and configure again)"));
}

#endif

}  // namespace ember::summary
