// What the HDF5 reader helper process sends back to the loading process (internal: io/hdf5_wall
// and helpers/hdf5_reader.cpp): an H5RawGroup tree or an error, in a simple binary form that
// the loader checks whole — every length against the bytes that remain, every dataset's bytes
// against its shape — before it believes any of it.
#pragma once

#include <string>
#include <string_view>

#include "io/hdf5_raw.h"

namespace ember::io::hdf5_wire {

/// How a reply ends: the tree, or the reader's error.
enum class Status : unsigned char { ok = 0, io_error = 1, resource_exhausted = 2, error = 3 };

/// A reply holding `root`.
std::string encode_tree(const H5RawGroup& root);
/// The same written to the file descriptor `fd`, the datasets' bytes straight from `root`;
/// false when a write failed.
bool write_tree(int fd, const H5RawGroup& root);
/// A reply holding an error of kind `status` and its message.
std::string encode_error(Status status, const std::string& message);

/// The tree of a reply as tensors, or the error it holds rethrown (as IoError,
/// ResourceExhaustedError or Error). A malformed reply is an IoError naming `name` (the file
/// being read). In the library only (io/hdf5_wire_decode.cpp): the helper does not link Tensor.
H5Group decode(std::string_view reply, const std::string& name);

/// The first bytes of every reply; the version is in it, so a helper and a library of different
/// versions refuse each other.
inline constexpr std::string_view kMagic("EMBERH5\x02", 8);

}  // namespace ember::io::hdf5_wire
