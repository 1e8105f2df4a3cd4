// Zip archives, as far as Keras' .keras files need them: reading stored and deflated entries
// (zip64 sizes included), writing stored ones. A .keras file is a zip of config.json,
// metadata.json and model.weights.h5, written uncompressed by Keras.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace ember::io {

/// A file inside an archive: its name and its bytes.
struct ZipEntry {
  std::string name;
  std::string data;
};

/// Reads every entry of the zip archive at `path`, checking each one's CRC-32. Throws IoError
/// naming the file for a missing file, a file that is not a zip, a truncated one, an unsupported
/// compression method or a CRC mismatch.
std::vector<ZipEntry> read_zip(const std::string& path);

/// Writes `entries` uncompressed, in order, through a temporary file renamed into place. Throws
/// IoError for an entry of 4 GiB or more (zip64 is not written).
void write_zip(const std::string& path, const std::vector<ZipEntry>& entries);

}  // namespace ember::io
