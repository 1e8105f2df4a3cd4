// Zip archives, as far as Keras' .keras files need them: reading stored and deflated entries
// (zip64 sizes included), writing stored ones. A .keras file is a zip of config.json,
// metadata.json and model.weights.h5, written uncompressed by Keras.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ember::io {

/// A file inside an archive: its name and its bytes.
struct ZipEntry {
  std::string name;
  std::string data;
};

/// What read_zip lets an archive hold once inflated. Entries may not overlap in the file (a zip
/// bomb counts one deflated stream many times), so the total also stays within deflate's own
/// ratio of the archive's size.
struct ZipLimits {
  /// The most bytes all entries may hold together.
  std::uint64_t max_total_bytes = std::uint64_t{64} << 30;  // 64 GiB
  /// The most bytes they may hold per byte of archive (deflate's largest ratio is about 1032);
  /// 0 for no such limit.
  std::uint64_t max_ratio = 1032;
};

/// Reads every entry of the zip archive at `path`, checking each one's CRC-32. Throws IoError
/// naming the file for a missing file, a file that is not a zip, a truncated one, entries that
/// overlap or share a name, sizes beyond `limits`, an unsupported compression method or a CRC
/// mismatch; the directory is checked whole before anything is inflated.
std::vector<ZipEntry> read_zip(const std::string& path, const ZipLimits& limits = {});

/// Writes `entries` uncompressed, in order, through a temporary file renamed into place. Throws
/// IoError for an entry of 4 GiB or more (zip64 is not written).
void write_zip(const std::string& path, const std::vector<ZipEntry>& entries);

}  // namespace ember::io
