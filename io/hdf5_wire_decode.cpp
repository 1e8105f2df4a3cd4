#include <cstdint>
#include <variant>

#include "core/error.h"
#include "core/tensor_impl.h"
#include "io/hdf5_wire.h"

namespace ember::io::hdf5_wire {

namespace {

constexpr int kMaxDepth = 72;           // the reader stops at 64
constexpr std::uint64_t kMaxRank = 32;  // HDF5's own limit

/// Reads a reply, each claim checked against what remains.
class Reader {
 public:
  Reader(std::string_view bytes, const std::string& name) : bytes_(bytes), name_(name) {}

  [[noreturn]] void malformed(const std::string& what) const {
    throw IoError(cat(name_, ": the HDF5 reader's reply is malformed at byte ", at_, ": ", what));
  }
  std::uint64_t u64() {
    if (bytes_.size() - at_ < 8) malformed("truncated");
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(bytes_[at_ + i]);
    at_ += 8;
    return v;
  }
  unsigned char byte() {
    if (at_ >= bytes_.size()) malformed("truncated");
    return static_cast<unsigned char>(bytes_[at_++]);
  }
  std::string_view view(std::uint64_t size) {
    if (size > bytes_.size() - at_) malformed(cat("a length of ", size, " past the end"));
    const std::string_view out = bytes_.substr(at_, size);
    at_ += size;
    return out;
  }
  std::string string() { return std::string(view(u64())); }
  /// A count of items each at least `item_bytes` long: never more than the bytes left allow.
  std::uint64_t count(std::uint64_t item_bytes) {
    const std::uint64_t n = u64();
    if (n > (bytes_.size() - at_) / item_bytes) malformed(cat("a count of ", n, " past the end"));
    return n;
  }
  bool done() const { return at_ == bytes_.size(); }

 private:
  std::string_view bytes_;
  const std::string& name_;
  std::size_t at_ = 0;
};

bool valid_dtype(unsigned char code) {
  switch (static_cast<DType>(code)) {
    case DType::float32:
    case DType::float64:
    case DType::int32:
    case DType::int64:
    case DType::uint8:
    case DType::bool_:
    case DType::float16:
      return true;
    default:
      return false;
  }
}

void read_group(Reader& in, H5Group& group, int depth) {
  if (depth > kMaxDepth) in.malformed("groups nested too deep");
  for (std::uint64_t n = in.count(17); n > 0; --n) {
    std::string name = in.string();
    const unsigned char kind = in.byte();
    if (kind == 0) {
      group.attributes[std::move(name)] = in.string();
    } else if (kind == 1) {
      std::vector<std::string> list;
      for (std::uint64_t k = in.count(8); k > 0; --k) list.push_back(in.string());
      group.attributes[std::move(name)] = std::move(list);
    } else {
      in.malformed(cat("attribute kind ", static_cast<int>(kind)));
    }
  }
  for (std::uint64_t n = in.count(25); n > 0; --n) {
    std::string name = in.string();
    const unsigned char code = in.byte();
    if (!valid_dtype(code)) in.malformed(cat("dtype code ", static_cast<int>(code)));
    const DType dtype = static_cast<DType>(code);
    std::vector<std::int64_t> dims;
    const std::uint64_t rank = in.count(8);
    if (rank > kMaxRank) in.malformed(cat("rank ", rank));
    std::uint64_t elements = 1;
    bool overflow = false;
    for (std::uint64_t r = 0; r < rank; ++r) {
      const std::uint64_t d = in.u64();
      if (d > static_cast<std::uint64_t>(INT64_MAX)) in.malformed(cat("dimension ", d));
      overflow = overflow || (d != 0 && elements > UINT64_MAX / d);
      elements = overflow ? elements : elements * d;
      dims.push_back(static_cast<std::int64_t>(d));
    }
    const std::uint64_t size = dtype_size(dtype);
    const std::string_view data = in.view(in.u64());
    if (overflow || elements > UINT64_MAX / size || data.size() != elements * size)
      in.malformed(cat("dataset '", name, "' has ", data.size(), " bytes, not its shape's"));
    // The one copy: from the reply into the tensor.
    group.datasets.insert_or_assign(
        std::move(name), detail::from_host(data.data(), Shape(dims), dtype, Device::cpu()));
  }
  for (std::uint64_t n = in.count(32); n > 0; --n) {
    std::string name = in.string();
    read_group(in, group.groups[std::move(name)], depth + 1);
  }
}

}  // namespace

H5Group decode(std::string_view reply, const std::string& name) {
  Reader in(reply, name);
  if (in.view(kMagic.size()) != kMagic) in.malformed("not a reply of this ember's HDF5 reader");
  const unsigned char status = in.byte();
  if (status != static_cast<unsigned char>(Status::ok)) {
    const std::string message = in.string();
    if (!in.done()) in.malformed("bytes after the error");
    switch (static_cast<Status>(status)) {
      case Status::io_error:
        throw IoError(message);
      case Status::resource_exhausted:
        throw ResourceExhaustedError(message);
      case Status::error:
        throw Error(message);
      default:
        in.malformed(cat("status ", static_cast<int>(status)));
    }
  }
  H5Group root;
  read_group(in, root, 0);
  if (!in.done()) in.malformed("bytes after the tree");
  return root;
}

}  // namespace ember::io::hdf5_wire
