// An HDF5 file's tree as plain bytes (internal: io/hdf5*.cpp and the reader helper): what
// libhdf5 reads (io/hdf5_read.cpp), what the helper process sends back (io/hdf5_wire.h), and
// what becomes an H5Group of tensors in the loading process.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "io/hdf5.h"

namespace ember::io {

struct H5RawDataset {
  DType dtype = DType::float32;
  std::vector<std::int64_t> dims;
  /// Row-major little-endian values: exactly dims' product times the dtype's size.
  std::string bytes;
};

struct H5RawGroup {
  std::map<std::string, H5Attribute> attributes;
  std::map<std::string, H5RawDataset> datasets;
  std::map<std::string, H5RawGroup> groups;
};

/// Parses the HDF5 image `bytes` with libhdf5 in this process (see io/hdf5.h for what is read
/// and refused); `name` names the file in errors. Throws IoError. Trusted input only: libhdf5
/// can crash or hang on a hostile file (io/hdf5_wall.cpp runs this in a helper process).
H5RawGroup read_hdf5_raw(const std::string& bytes, const std::string& name);
/// The same from the file at `path` (read as needed, not copied whole first).
H5RawGroup read_hdf5_raw_file(const std::string& path, const std::string& name);

}  // namespace ember::io
