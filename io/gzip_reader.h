// Reading a file through zlib (internal to io/): gzip data is decompressed, any other file is
// passed through unchanged, so one reader serves `train-images-idx3-ubyte` and its `.gz`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ember::io {

class GzipReader {
 public:
  /// Opens `path`; throws IoError naming it when it is missing or not a regular file.
  explicit GzipReader(std::string path);
  ~GzipReader();
  GzipReader(const GzipReader&) = delete;
  GzipReader& operator=(const GzipReader&) = delete;

  /// Reads up to `count` bytes into `out`; fewer only at the end of the data. Throws IoError for
  /// corrupt or truncated gzip data, with zlib's reason.
  std::int64_t read(void* out, std::int64_t count);
  /// Appends up to `count` bytes to `out` (growing it in chunks, so a corrupt header that
  /// announces terabytes fails at the end of the real data instead of in the allocator).
  std::int64_t read_append(std::vector<std::uint8_t>& out, std::int64_t count);
  /// The number of bytes left before the end of the data (reads them).
  std::int64_t count_remaining();

  /// True when the file is gzip data (false: read as it is).
  bool compressed() const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  void* file_ = nullptr;  // gzFile; void* keeps zlib.h out of this header
};

/// The whole contents of `path` (decompressed when gzip'ed).
std::vector<std::uint8_t> read_whole_file(const std::string& path);

}  // namespace ember::io
