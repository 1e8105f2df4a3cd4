// IDX files, the format of MNIST and Fashion-MNIST: a magic number (two zero bytes, an element
// type byte, the rank), the dimensions as big-endian 32-bit integers, then the values row-major.
#pragma once

#include <string>

#include "core/tensor.h"

namespace ember::io {

/// Reads an IDX file of unsigned bytes (type 0x08: labels 0x00000801, images 0x00000803), plain
/// or gzip'ed, as a uint8 tensor of the file's shape on default_device(). Throws IoError naming
/// the file for a missing file, a bad magic, another element type, a truncated header or data
/// (expected vs actual bytes), trailing bytes after the data, and corrupt gzip data.
Tensor load_idx(const std::string& path);

}  // namespace ember::io
