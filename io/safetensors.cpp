#include "io/safetensors.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "core/constant.h"
#include "core/device.h"
#include "core/error.h"
#include "core/tensor_impl.h"
#include "io/atomic_file.h"

namespace ember::io {

namespace {

const char* dtype_code(DType t) {
  switch (t) {
    case DType::float32:
      return "F32";
    case DType::float64:
      return "F64";
    case DType::int32:
      return "I32";
    case DType::int64:
      return "I64";
    case DType::uint8:
      return "U8";
    case DType::bool_:
      return "BOOL";
    case DType::float16:
      return "F16";
    case DType::bfloat16:
      return "BF16";
  }
  return "?";
}

std::optional<DType> dtype_from_code(const std::string& code) {
  for (DType t : {DType::float32, DType::float64, DType::float16, DType::bfloat16, DType::int32,
                  DType::int64, DType::uint8, DType::bool_}) {
    if (code == dtype_code(t)) return t;
  }
  return std::nullopt;
}

// Every platform ember builds for is little-endian, as the format is.
static_assert(std::endian::native == std::endian::little,
              "safetensors I/O assumes a little-endian host");

}  // namespace

void save_safetensors(const std::string& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::set<std::string> names;
  std::vector<std::vector<unsigned char>> blobs;
  std::uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    if (name.empty() || name == "__metadata__" || !names.insert(name).second) {
      throw IoError(cat("save_safetensors ", path, ": tensor name '", name,
                        "' is empty, reserved or repeated"));
    }
    detail::check_defined(tensor, "save_safetensors");
    const std::size_t bytes = static_cast<std::size_t>(tensor.size()) * dtype_size(tensor.dtype());
    std::vector<unsigned char> blob(bytes);
    if (bytes > 0) {
      const Tensor host = tensor.to(Device::cpu());
      std::memcpy(blob.data(), host.raw_data(), bytes);
    }
    header[name] = {{"dtype", dtype_code(tensor.dtype())},
                    {"shape", tensor.shape().dims()},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    blobs.push_back(std::move(blob));
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // the data starts 8-byte aligned
  write_atomically(path, [&](std::ostream& out) {
    const std::uint64_t length = text.size();
    out.write(reinterpret_cast<const char*>(&length), 8);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    for (const auto& blob : blobs)
      out.write(reinterpret_cast<const char*>(blob.data()),
                static_cast<std::streamsize>(blob.size()));
  });
}

SafetensorsFile load_safetensors(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(cat("load_safetensors: cannot open ", path));
  in.seekg(0, std::ios::end);
  const auto file_size = static_cast<std::uint64_t>(in.tellg());
  in.seekg(0);
  std::uint64_t header_size = 0;
  if (file_size < 8 || !in.read(reinterpret_cast<char*>(&header_size), 8)) {
    throw IoError(cat("load_safetensors ", path, ": the file is too short (", file_size,
                      " bytes) to hold a header"));
  }
  if (header_size > file_size - 8) {
    throw IoError(cat("load_safetensors ", path, ": the header claims ", header_size,
                      " bytes but the file has ", file_size - 8, " after the length"));
  }
  std::string text(header_size, '\0');
  in.read(text.data(), static_cast<std::streamsize>(header_size));
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(text);
  } catch (const std::exception& e) {
    throw IoError(
        cat("load_safetensors ", path, ": the header is not valid JSON (", e.what(), ")"));
  }
  if (!header.is_object())
    throw IoError(cat("load_safetensors ", path, ": the header is not a JSON object"));
  const std::uint64_t data_size = file_size - 8 - header_size;
  SafetensorsFile file;
  struct Entry {
    std::string name;
    DType dtype;
    Shape shape;
    std::uint64_t begin, end;
  };
  std::vector<Entry> entries;
  try {
    // Not a structured binding: clang 14 (the fuzz build) cannot capture one in a lambda.
    for (const auto& item : header.items()) {
      const std::string& name = item.key();
      const nlohmann::json& info = item.value();
      if (name == "__metadata__") {
        for (const auto& [k, v] : info.items()) file.metadata[k] = v.get<std::string>();
        continue;
      }
      const std::string code = info.at("dtype").get<std::string>();
      const std::optional<DType> dtype = dtype_from_code(code);
      if (!dtype)
        throw IoError(cat("load_safetensors ", path, ": tensor '", name, "' has dtype ", code,
                          ", which ember does not read"));
      // Integers only: nlohmann converts a float past the integer's range with undefined
      // behaviour (a fuzz finding: "shape": [2.2e29]).
      const auto integers = [&](const char* field) {
        const nlohmann::json& list = info.at(field);
        if (!list.is_array())
          throw IoError(cat("load_safetensors ", path, ": tensor '", name, "' has a ", field,
                            " that is not a list: ", list.dump()));
        for (const nlohmann::json& v : list) {
          if (!v.is_number_integer() ||
              (v.is_number_unsigned() && v.get<std::uint64_t>() > INT64_MAX))
            throw IoError(cat("load_safetensors ", path, ": tensor '", name, "' has a ", field,
                              " entry that is not an integer within int64: ", v.dump()));
        }
        return list;
      };
      std::vector<std::int64_t> dims = integers("shape").get<std::vector<std::int64_t>>();
      const auto offsets = integers("data_offsets").get<std::vector<std::uint64_t>>();
      if (offsets.size() != 2 || offsets[0] > offsets[1] || offsets[1] > data_size) {
        throw IoError(cat("load_safetensors ", path, ": tensor '", name,
                          "' has data offsets outside the ", data_size,
                          " bytes of data (is the file truncated?)"));
      }
      for (std::int64_t d : dims) {
        if (d < 0)
          throw IoError(
              cat("load_safetensors ", path, ": tensor '", name, "' has a negative dimension"));
      }
      if (dims.size() > static_cast<std::size_t>(kMaxRank)) {
        throw IoError(cat("load_safetensors ", path, ": tensor '", name, "' has rank ", dims.size(),
                          ", above ember's maximum ", kMaxRank));
      }
      const std::optional<std::int64_t> elements = checked_product(dims);
      const std::optional<std::int64_t> needed =
          elements ? checked_multiply(*elements, static_cast<std::int64_t>(dtype_size(*dtype)))
                   : std::nullopt;
      if (!needed || static_cast<std::uint64_t>(*needed) != offsets[1] - offsets[0]) {
        throw IoError(cat("load_safetensors ", path, ": tensor '", name, "' of shape ", Shape(dims),
                          " and dtype ", code, " needs ",
                          needed ? cat(*needed) : std::string("more than 2^63"),
                          " bytes but its offsets span ", offsets[1] - offsets[0]));
      }
      entries.push_back({name, *dtype, Shape(dims), offsets[0], offsets[1]});
    }
  } catch (const nlohmann::json::exception& e) {
    throw IoError(cat("load_safetensors ", path, ": malformed header entry (", e.what(), ")"));
  }
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.begin < b.begin; });
  std::vector<unsigned char> data(data_size);
  if (data_size > 0 &&
      !in.read(reinterpret_cast<char*>(data.data()), static_cast<std::streamsize>(data_size))) {
    throw IoError(cat("load_safetensors ", path, ": reading the data failed"));
  }
  for (const Entry& e : entries) {
    file.tensors.emplace_back(
        e.name, detail::from_host(data.data() + e.begin, e.shape, e.dtype, Device::cpu()));
  }
  return file;
}

}  // namespace ember::io
