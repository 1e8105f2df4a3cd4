// The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header
// {"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__": {...}}
// and the raw little-endian data. ember's weight files (Model::save_weights) use it: it is
// simple, safe to read (no code), and PyTorch, JAX and TensorFlow users have readers for it.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace ember::io {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

/// Writes the tensors in order (names must be unique), through a temporary file renamed into
/// place. `metadata` is stored as string pairs under "__metadata__". Throws IoError.
void save_safetensors(const std::string& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata = {});

struct SafetensorsFile {
  /// In the order of their data in the file (the order save_safetensors wrote them).
  NamedTensors tensors;
  std::map<std::string, std::string> metadata;
};

/// Reads a safetensors file onto the CPU. Throws IoError naming the file for a short or
/// corrupt file: bad header length, malformed JSON, unknown dtypes, offsets outside the data or
/// not matching the shape.
SafetensorsFile load_safetensors(const std::string& path);

}  // namespace ember::io
