#include "io/idx.h"

#include <cstdint>
#include <cstdio>
#include <vector>

#include "core/backend/kernel_types.h"
#include "core/error.h"
#include "core/tensor_impl.h"
#include "io/gzip_reader.h"

namespace ember::io {
namespace {

constexpr std::uint8_t kUnsignedByteType = 0x08;

const char* idx_type_name(std::uint8_t type) {
  switch (type) {
    case 0x08:
      return "uint8";
    case 0x09:
      return "int8";
    case 0x0B:
      return "int16";
    case 0x0C:
      return "int32";
    case 0x0D:
      return "float32";
    case 0x0E:
      return "float64";
    default:
      return "not an IDX type";
  }
}

std::string hex(std::uint32_t value, int digits) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%0*X", digits, value);
  return text;
}

std::uint32_t big_endian(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

// "gzip'ed IDX" or "IDX": where a count of bytes refers to decompressed data, say so.
std::string kind(const GzipReader& reader) {
  return reader.compressed() ? "gzip'ed IDX file" : "IDX file";
}

}  // namespace

Tensor load_idx(const std::string& path) {
  GzipReader reader(path);
  std::uint8_t magic[4];
  const std::int64_t magic_bytes = reader.read(magic, 4);
  if (magic_bytes < 4) {
    throw IoError(cat(path, ": not an IDX file: it holds ", magic_bytes,
                      " bytes, fewer than the 4-byte magic number"));
  }
  const std::uint32_t magic_value = big_endian(magic);
  if (magic[0] != 0 || magic[1] != 0) {
    throw IoError(cat(path, ": not an IDX file (bad magic ", hex(magic_value, 8),
                      "; expected 0x00000801 for labels or 0x00000803 for images: two zero bytes, "
                      "the element type, the rank)"));
  }
  const std::uint8_t type = magic[2];
  if (type != kUnsignedByteType) {
    throw IoError(cat(path, ": IDX element type ", hex(type, 2), " (", idx_type_name(type),
                      ") is not supported; ember reads unsigned-byte IDX files (type 0x08)"));
  }
  const int rank = magic[3];
  if (rank < 1 || rank > kMaxRank) {
    throw IoError(cat(path, ": IDX rank ", rank, " (magic ", hex(magic_value, 8),
                      ") is outside 1..", kMaxRank));
  }

  const std::int64_t dims_bytes = 4 * std::int64_t{rank};
  std::vector<std::uint8_t> header(static_cast<std::size_t>(dims_bytes));
  const std::int64_t header_bytes = reader.read(header.data(), dims_bytes);
  if (header_bytes < dims_bytes) {
    throw IoError(cat(path, ": truncated IDX header: rank ", rank, " needs ", dims_bytes,
                      " bytes of dimensions, the ", kind(reader), " has ", header_bytes));
  }
  std::vector<std::int64_t> dims;
  std::int64_t expected = 1;
  for (std::size_t i = 0; i < static_cast<std::size_t>(rank); ++i) {
    dims.push_back(big_endian(&header[4 * i]));
    if (__builtin_mul_overflow(expected, dims.back(), &expected)) {
      throw IoError(cat(path, ": IDX header announces more than 2^63 elements (dimensions ",
                        Shape(dims), "...)"));
    }
  }
  const Shape shape(dims);

  std::vector<std::uint8_t> data;
  const std::int64_t got = reader.read_append(data, expected);
  if (got < expected) {
    throw IoError(cat(path, ": truncated IDX data: shape ", shape, " needs ", expected,
                      " bytes after the header, the ", kind(reader), " holds ", got));
  }
  const std::int64_t trailing = reader.count_remaining();
  if (trailing > 0) {
    throw IoError(cat(path, ": ", trailing, " trailing bytes after the ", expected,
                      " bytes of data that the IDX header (shape ", shape, ") announces"));
  }
  return detail::from_host(data.data(), shape, DType::uint8, default_device());
}

}  // namespace ember::io
