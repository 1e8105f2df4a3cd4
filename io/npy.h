// NumPy's .npy format (versions 1.0, 2.0 and 3.0 read; 1.0 written, or 2.0 when the header needs
// it): the way tensors travel to and from NumPy, PyTorch and TensorFlow.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/tensor.h"

namespace ember::io {

/// Writes `t` (any dtype, C order, little-endian) to `path`, through a temporary file renamed
/// into place, so a failure never leaves a half-written file. Throws IoError.
void save_npy(const std::string& path, const Tensor& t);

/// Reads a .npy file onto default_device(). Accepts <f4 <f8 <i4 <i8 |u1 |b1 in C order; throws
/// IoError naming the file for anything else, a bad magic, a malformed header or a short file.
Tensor load_npy(const std::string& path);

/// load_npy of a .npy file already in memory (an entry of an .npz archive); `name` starts the
/// errors.
Tensor parse_npy(std::string_view bytes, const std::string& name);

/// What a .npy header says, unchecked against the dtypes ember holds: an .npz of ragged
/// sequences stores object arrays ("|O"), whose data is a pickle (io/pickle.h) from data_offset.
struct NpyHeader {
  std::string descr;
  std::vector<std::int64_t> shape;
  bool fortran_order = false;
  std::size_t data_offset = 0;
};
NpyHeader read_npy_header(std::string_view bytes, const std::string& name);

}  // namespace ember::io
