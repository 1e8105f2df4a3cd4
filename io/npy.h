// NumPy's .npy format (versions 1.0, 2.0 and 3.0 read; 1.0 written, or 2.0 when the header needs
// it): the way tensors travel to and from NumPy, PyTorch and TensorFlow.
#pragma once

#include <string>

#include "core/tensor.h"

namespace ember::io {

/// Writes `t` (any dtype, C order, little-endian) to `path`, through a temporary file renamed
/// into place, so a failure never leaves a half-written file. Throws IoError.
void save_npy(const std::string& path, const Tensor& t);

/// Reads a .npy file onto default_device(). Accepts <f4 <f8 <i4 <i8 |u1 |b1 in C order; throws
/// IoError naming the file for anything else, a bad magic, a malformed header or a short file.
Tensor load_npy(const std::string& path);

}  // namespace ember::io
