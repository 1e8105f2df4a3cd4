#include "io/atomic_file.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "core/error.h"

namespace ember::io {

void write_atomically(const std::string& path, const std::function<void(std::ostream&)>& write) {
  const std::string temporary = path + ".tmp" + std::to_string(std::random_device{}() % 1000000);
  try {
    {
      std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
      if (!out) throw IoError(cat(path, ": cannot open for writing"));
      write(out);
      out.flush();
      if (!out) throw IoError(cat(path, ": write failed (disk full?)"));
    }
    std::error_code ec;
    std::filesystem::rename(temporary, path, ec);
    if (ec) throw IoError(cat(path, ": cannot move the written file into place: ", ec.message()));
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw;
  }
}

}  // namespace ember::io
