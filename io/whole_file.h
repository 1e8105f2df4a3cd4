// Reading a file whole into memory: the readers of .npy, zip, HDF5, the data sets' batches and
// JSON files all parse from bytes in memory.
#pragma once

#include <string>

namespace ember::io {

/// The bytes of the regular file at `path`, as they are (io/gzip_reader.h's read_whole_file
/// decompresses gzip data; these readers parse the bytes themselves). Throws IoError "<path>:
/// cannot open: no such file" when it is missing or not a regular file, and naming the file when it
/// cannot be opened or read.
std::string read_file_bytes(const std::string& path);

}  // namespace ember::io
