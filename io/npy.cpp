#include "io/npy.h"

#include <charconv>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/error.h"
#include "core/tensor_impl.h"
#include "io/atomic_file.h"
#include "io/whole_file.h"

namespace ember::io {
namespace {

constexpr char kMagic[] = "\x93NUMPY";

const char* descr(DType t) {
  switch (t) {
    case DType::float32:
      return "<f4";
    case DType::float64:
      return "<f8";
    case DType::int32:
      return "<i4";
    case DType::int64:
      return "<i8";
    case DType::uint8:
      return "|u1";
    case DType::bool_:
      return "|b1";
    case DType::float16:
      return "<f2";
    case DType::bfloat16:
      return "";  // NumPy has no bfloat16 of its own (ml_dtypes' is not a standard descr)
  }
  return "";
}

DType dtype_from_descr(const std::string& d, const std::string& path) {
  if (d == "<f4") return DType::float32;
  if (d == "<f8") return DType::float64;
  if (d == "<f2") return DType::float16;
  if (d == "<i4") return DType::int32;
  if (d == "<i8") return DType::int64;
  if (d == "|u1" || d == "<u1") return DType::uint8;
  if (d == "|b1") return DType::bool_;
  throw IoError(cat(path, ": unsupported .npy dtype '", d,
                    "' (expected <f4, <f8, <f2, <i4, <i8, |u1 or |b1, little-endian)"));
}

// The value that follows 'key': in NumPy's header dict, as raw text up to the next ',' at depth 0.
std::string header_field(const std::string& header, const std::string& key,
                         const std::string& path) {
  const std::size_t k = header.find("'" + key + "'");
  if (k == std::string::npos)
    throw IoError(cat(path, ": .npy header has no '", key, "': ", header));
  std::size_t p = header.find(':', k);
  if (p == std::string::npos) throw IoError(cat(path, ": malformed .npy header: ", header));
  ++p;
  while (p < header.size() && header[p] == ' ') ++p;
  int depth = 0;
  std::size_t end = p;
  for (; end < header.size(); ++end) {
    const char c = header[end];
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if ((c == ',' || c == '}') && depth == 0) break;
  }
  if (depth != 0 || end == header.size()) {
    throw IoError(cat(path, ": malformed .npy header: ", header));
  }
  return header.substr(p, end - p);
}

std::vector<std::int64_t> parse_shape(const std::string& text, const std::string& path) {
  if (text.size() < 2 || text.front() != '(' || text.back() != ')') {
    throw IoError(cat(path, ": malformed .npy shape ", text));
  }
  std::vector<std::int64_t> dims;
  std::string number;
  for (std::size_t i = 1; i < text.size(); ++i) {
    const char c = text[i];
    if (c >= '0' && c <= '9') {
      number += c;
    } else if (c == ',' || c == ')') {
      if (!number.empty()) {
        std::int64_t d = 0;
        const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), d);
        if (error != std::errc() || end != number.data() + number.size()) {
          throw IoError(cat(path, ": .npy shape ", text, " has a dimension beyond int64"));
        }
        dims.push_back(d);
      }
      number.clear();
    } else if (c != ' ' && c != 'L') {
      throw IoError(cat(path, ": malformed .npy shape ", text));
    }
  }
  if (dims.size() > static_cast<std::size_t>(kMaxRank)) {
    throw IoError(
        cat(path, ": .npy array has rank ", dims.size(), ", above ember's maximum ", kMaxRank));
  }
  return dims;
}

}  // namespace

void save_npy(const std::string& path, const Tensor& t) {
  detail::check_defined(t, "save_npy");
  if (t.dtype() == DType::bfloat16) {
    throw IoError(cat(path,
                      ": .npy has no bfloat16 type (NumPy lacks one); cast to float32 first, "
                      "or save to safetensors (BF16)"));
  }
  std::string dims;
  for (std::int64_t d : t.shape()) dims += std::to_string(d) + ", ";
  if (t.rank() != 1 && !dims.empty())
    dims.resize(dims.size() - 2);
  else if (t.rank() == 1)
    dims.resize(dims.size() - 1);
  std::string header = std::string("{'descr': '") + descr(t.dtype()) +
                       "', 'fortran_order': False, 'shape': (" + dims + "), }";
  // Pad so the data starts on a 64-byte boundary; the header ends with '\n'.
  const bool v2 = header.size() + 11 > 65535;
  const std::size_t prefix = v2 ? 12 : 10;
  const std::size_t total = (prefix + header.size() + 1 + 63) / 64 * 64;
  header += std::string(total - prefix - header.size() - 1, ' ') + "\n";

  const Tensor host = t.to(Device::cpu());
  const std::size_t bytes = static_cast<std::size_t>(t.size()) * dtype_size(t.dtype());
  write_atomically(path, [&](std::ostream& out) {
    out.write(kMagic, 6);
    const char version[2] = {static_cast<char>(v2 ? 2 : 1), 0};
    out.write(version, 2);
    const std::uint32_t length = static_cast<std::uint32_t>(header.size());
    const unsigned char le[4] = {
        static_cast<unsigned char>(length), static_cast<unsigned char>(length >> 8),
        static_cast<unsigned char>(length >> 16), static_cast<unsigned char>(length >> 24)};
    out.write(reinterpret_cast<const char*>(le), v2 ? 4 : 2);
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    out.write(static_cast<const char*>(host.raw_data()), static_cast<std::streamsize>(bytes));
  });
}

NpyHeader read_npy_header(std::string_view bytes, const std::string& name) {
  const auto file_size = static_cast<std::int64_t>(bytes.size());
  if (bytes.size() < 8 || std::memcmp(bytes.data(), kMagic, 6) != 0) {
    throw IoError(cat(name, ": not a .npy file (bad magic; expected \\x93NUMPY)"));
  }
  const auto* raw = reinterpret_cast<const unsigned char*>(bytes.data());
  const unsigned char version[2] = {raw[6], raw[7]};
  if (version[0] < 1 || version[0] > 3) {
    throw IoError(cat(name, ": unsupported .npy version ", int(version[0]), ".", int(version[1]),
                      " (expected 1.0, 2.0 or 3.0)"));
  }
  const int length_bytes = version[0] == 1 ? 2 : 4;
  if (file_size < 8 + length_bytes) {
    throw IoError(cat(name, ": truncated .npy header (the file has ", file_size, " bytes)"));
  }
  const unsigned char* le = raw + 8;
  const std::uint32_t header_length =
      le[0] | (le[1] << 8) | (length_bytes == 4 ? (le[2] << 16) | (std::uint32_t(le[3]) << 24) : 0);
  if (6 + 2 + length_bytes + static_cast<std::int64_t>(header_length) > file_size) {
    throw IoError(cat(name, ": truncated .npy header (the file has ", file_size, " bytes)"));
  }
  const std::string header(bytes.substr(8 + length_bytes, header_length));
  NpyHeader parsed;
  std::string d = header_field(header, "descr", name);
  if (d.size() < 2 || (d.front() != '\'' && d.front() != '"')) {
    throw IoError(cat(name, ": malformed .npy descr ", d));
  }
  parsed.descr = d.substr(1, d.size() - 2);
  parsed.fortran_order =
      header_field(header, "fortran_order", name).find("False") == std::string::npos;
  parsed.shape = parse_shape(header_field(header, "shape", name), name);
  parsed.data_offset = 6 + 2 + length_bytes + header_length;
  return parsed;
}

Tensor parse_npy(std::string_view bytes, const std::string& name) {
  const NpyHeader header = read_npy_header(bytes, name);
  const DType dtype = dtype_from_descr(header.descr, name);
  if (header.fortran_order) {
    throw IoError(cat(name, ": Fortran-ordered .npy arrays are not supported; save with ",
                      "np.ascontiguousarray first"));
  }
  const Shape shape(header.shape);
  const auto held = static_cast<std::int64_t>(bytes.size() - header.data_offset);
  const std::optional<std::int64_t> elements = checked_product(shape.dims());
  const std::optional<std::int64_t> needed =
      elements ? checked_multiply(*elements, static_cast<std::int64_t>(dtype_size(dtype)))
               : std::nullopt;
  if (!needed) {
    throw IoError(cat(name, ": .npy shape ", shape, " of ", dtype_name(dtype),
                      " needs more bytes than an int64 counts; the file holds ", held));
  }
  const std::int64_t expected = *needed;
  if (held != expected) {
    throw IoError(cat(name, ": ", held < expected ? "truncated" : "oversized", " .npy data: shape ",
                      shape, " of ", dtype_name(dtype), " needs ", expected,
                      " bytes, the file holds ", held));
  }
  const std::string_view data = bytes.substr(header.data_offset);
  if (dtype == DType::bool_) {
    for (char c : data) {
      if (c != 0 && c != 1) throw IoError(cat(name, ": bool array holds a byte other than 0 or 1"));
    }
  }
  return detail::from_host(data.data(), shape, dtype, default_device());
}

Tensor load_npy(const std::string& path) { return parse_npy(read_file_bytes(path), path); }

}  // namespace ember::io
