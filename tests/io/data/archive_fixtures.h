// Tar and gzip bytes made by hand in the tests, so that an archive can hold what no archiver
// would write: paths leaving the folder, links pointing out of it, sizes it does not have.
#pragma once

#include <zlib.h>

#include <cstdio>
#include <stdexcept>
#include <string>

namespace ember::testing {

struct TarEntry {
  std::string name{};
  std::string body{};
  char type = '0';  // '0' file, '5' folder, '2' symbolic link, '1' hard link, '3' device
  std::string link{};
  /// The size the header claims; -1: the body's.
  long long claimed_size = -1;
};

/// One ustar header (POSIX.1-1988) and the body padded to 512 bytes.
inline std::string tar_entry(const TarEntry& entry) {
  std::string header(512, '\0');
  auto put = [&](std::size_t offset, std::size_t width, const std::string& text) {
    header.replace(offset, std::min(width, text.size()), text.substr(0, width));
  };
  auto octal = [](unsigned long long value, int digits) {
    char text[32];
    std::snprintf(text, sizeof text, "%0*llo", digits, value);
    return std::string(text);
  };
  const unsigned long long size = entry.claimed_size >= 0
                                      ? static_cast<unsigned long long>(entry.claimed_size)
                                      : entry.body.size();
  put(0, 100, entry.name);
  put(100, 8, octal(entry.type == '5' ? 0755 : 0644, 7));
  put(108, 8, octal(0, 7));
  put(116, 8, octal(0, 7));
  put(124, 12, octal(size, 11));
  put(136, 12, octal(1700000000, 11));
  put(148, 8, "        ");
  header[156] = entry.type;
  put(157, 100, entry.link);
  put(257, 6, std::string("ustar\0", 6));
  put(263, 2, "00");
  unsigned sum = 0;
  for (unsigned char byte : header) sum += byte;
  put(148, 8, octal(sum, 6) + std::string("\0 ", 2));
  std::string body = entry.body;
  body.resize((body.size() + 511) / 512 * 512, '\0');
  return header + body;
}

/// The two zero blocks that end a tar file.
inline std::string tar_end() { return std::string(1024, '\0'); }

/// `bytes` as a gzip stream (zlib's deflate with the gzip wrapper).
inline std::string gzip(const std::string& bytes) {
  z_stream stream{};
  if (deflateInit2(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("gzip: deflateInit2 failed");
  }
  std::string out(deflateBound(&stream, bytes.size()) + 64, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  stream.avail_in = static_cast<uInt>(bytes.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int status = deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  if (status != Z_STREAM_END) throw std::runtime_error("gzip: deflate did not finish");
  return out;
}

}  // namespace ember::testing
