#include "io/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

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
    sync_file(temporary);
    std::error_code ec;
    std::filesystem::rename(temporary, path, ec);
    if (ec) throw IoError(cat(path, ": cannot move the written file into place: ", ec.message()));
    sync_directory(std::filesystem::path(path).parent_path().string());
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw;
  }
}

void sync_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw IoError(cat(path, ": cannot open to flush it to the disk"));
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) throw IoError(cat(path, ": fsync failed (disk full or failing?)"));
}

void sync_directory(const std::string& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace ember::io
