#include "io/whole_file.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace ember::io {

std::string read_file_bytes(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw IoError(cat(path, ": cannot open: no such file"));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(cat(path, ": cannot open for reading"));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) throw IoError(cat(path, ": read failed"));
  return bytes.str();
}

}  // namespace ember::io
