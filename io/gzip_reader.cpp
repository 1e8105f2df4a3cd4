#include "io/gzip_reader.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>

#include "core/error.h"

namespace ember::io {
namespace {

// gzread takes an unsigned int; chunks also bound how far a buffer grows ahead of real data.
constexpr std::int64_t kChunkBytes = std::int64_t{1} << 24;

gzFile handle(void* file) { return static_cast<gzFile>(file); }

}  // namespace

GzipReader::GzipReader(std::string path) : path_(std::move(path)) {
  std::error_code ec;
  const auto status = std::filesystem::status(path_, ec);
  if (!std::filesystem::exists(status)) throw IoError(cat(path_, ": no such file"));
  if (!std::filesystem::is_regular_file(status)) {
    throw IoError(cat(path_, ": not a regular file"));
  }
  file_ = gzopen(path_.c_str(), "rb");
  if (file_ == nullptr) {
    throw IoError(cat(path_, ": cannot open for reading: ", std::strerror(errno)));
  }
  gzbuffer(handle(file_), 1 << 17);
}

GzipReader::~GzipReader() {
  if (file_ != nullptr) gzclose(handle(file_));
}

bool GzipReader::compressed() const { return gzdirect(handle(file_)) == 0; }

std::int64_t GzipReader::read(void* out, std::int64_t count) {
  std::int64_t done = 0;
  auto* bytes = static_cast<unsigned char*>(out);
  while (done < count) {
    const auto chunk = static_cast<unsigned>(std::min(count - done, kChunkBytes));
    const int got = gzread(handle(file_), bytes + done, chunk);
    int status = Z_OK;
    const char* reason = gzerror(handle(file_), &status);
    if (got < 0 || (status != Z_OK && status != Z_STREAM_END)) {
      if (status == Z_ERRNO) throw IoError(cat(path_, ": read failed: ", std::strerror(errno)));
      throw IoError(cat(path_, ": corrupt or truncated gzip data (zlib: ", reason, ")"));
    }
    done += got;
    if (static_cast<unsigned>(got) < chunk) break;
  }
  return done;
}

std::int64_t GzipReader::read_append(std::vector<std::uint8_t>& out, std::int64_t count) {
  std::int64_t done = 0;
  while (done < count) {
    const std::int64_t chunk = std::min(count - done, kChunkBytes);
    const std::size_t old_size = out.size();
    out.resize(old_size + static_cast<std::size_t>(chunk));
    const std::int64_t got = read(out.data() + old_size, chunk);
    out.resize(old_size + static_cast<std::size_t>(got));
    done += got;
    if (got < chunk) break;
  }
  return done;
}

std::int64_t GzipReader::count_remaining() {
  std::vector<unsigned char> scratch(1 << 16);
  std::int64_t total = 0;
  for (;;) {
    const std::int64_t got = read(scratch.data(), static_cast<std::int64_t>(scratch.size()));
    total += got;
    if (got < static_cast<std::int64_t>(scratch.size())) return total;
  }
}

std::vector<std::uint8_t> read_whole_file(const std::string& path) {
  GzipReader reader(path);
  std::vector<std::uint8_t> bytes;
  reader.read_append(bytes, std::numeric_limits<std::int64_t>::max());
  return bytes;
}

}  // namespace ember::io
