#include "io/hdf5_wire.h"

#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <variant>

#include "core/error.h"

namespace ember::io::hdf5_wire {

namespace {

/// Where a reply goes: a string, or a file descriptor (big pieces written straight from the
/// datasets, small ones buffered).
struct StringSink {
  std::string& out;
  void append(std::string_view bytes) { out.append(bytes); }
};

class FileSink {
 public:
  explicit FileSink(int fd) : fd_(fd) {}
  void append(std::string_view bytes) {
    if (bytes.size() < 4096) {
      buffer_.append(bytes);
      if (buffer_.size() >= (1 << 16)) flush();
      return;
    }
    flush();
    write(bytes);
  }
  bool flush() {
    write(buffer_);
    buffer_.clear();
    return ok_;
  }

 private:
  void write(std::string_view bytes) {
    while (ok_ && !bytes.empty()) {
      const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) ok_ = false;
      if (n > 0) bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  int fd_;
  std::string buffer_;
  bool ok_ = true;
};

template <class Sink>
void put_u64(Sink& out, std::uint64_t v) {
  char bytes[8];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(v >> (8 * i));
  out.append(std::string_view(bytes, 8));
}

template <class Sink>
void put_byte(Sink& out, unsigned char b) {
  const char c = static_cast<char>(b);
  out.append(std::string_view(&c, 1));
}

template <class Sink>
void put_string(Sink& out, std::string_view s) {
  put_u64(out, s.size());
  out.append(s);
}

template <class Sink>
void put_group(Sink& out, const H5RawGroup& group) {
  put_u64(out, group.attributes.size());
  for (const auto& [name, value] : group.attributes) {
    put_string(out, name);
    if (const auto* single = std::get_if<std::string>(&value)) {
      put_byte(out, 0);
      put_string(out, *single);
    } else {
      const auto& list = std::get<std::vector<std::string>>(value);
      put_byte(out, 1);
      put_u64(out, list.size());
      for (const std::string& s : list) put_string(out, s);
    }
  }
  put_u64(out, group.datasets.size());
  for (const auto& [name, dataset] : group.datasets) {
    put_string(out, name);
    put_byte(out, static_cast<unsigned char>(dataset.dtype));
    put_u64(out, dataset.dims.size());
    for (std::int64_t d : dataset.dims) put_u64(out, static_cast<std::uint64_t>(d));
    put_string(out, dataset.bytes);
  }
  put_u64(out, group.groups.size());
  for (const auto& [name, child] : group.groups) {
    put_string(out, name);
    put_group(out, child);
  }
}

}  // namespace

std::string encode_tree(const H5RawGroup& root) {
  std::string out(kMagic);
  out.push_back(static_cast<char>(Status::ok));
  StringSink sink{out};
  put_group(sink, root);
  return out;
}

bool write_tree(int fd, const H5RawGroup& root) {
  FileSink sink(fd);
  sink.append(kMagic);
  put_byte(sink, static_cast<unsigned char>(Status::ok));
  put_group(sink, root);
  return sink.flush();
}

std::string encode_error(Status status, const std::string& message) {
  std::string out(kMagic);
  out.push_back(static_cast<char>(status));
  StringSink sink{out};
  put_string(sink, message);
  return out;
}

}  // namespace ember::io::hdf5_wire
