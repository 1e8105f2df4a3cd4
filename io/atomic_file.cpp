#include "io/atomic_file.h"

#include <fcntl.h>
#include <stdio.h>  // renameat2, RENAME_EXCHANGE (glibc 2.28)
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <random>
#include <vector>

#include "core/error.h"

namespace ember::io {

namespace fs = std::filesystem;

namespace {

// "trash" holds an old folder being deleted: cleaned up, never recovered.
constexpr const char* kTemporaryKinds[] = {"tmp", "saving", "old", "trash"};

std::atomic<bool> folder_exchange_allowed{true};

/// Whether `name` is "<base>.<kind>-<digits>" for one of the temporary kinds.
bool is_temporary_of(const std::string& name, const std::string& base, const char** kind) {
  if (name.size() <= base.size() + 1 || name.compare(0, base.size(), base) != 0 ||
      name[base.size()] != '.')
    return false;
  const std::string rest = name.substr(base.size() + 1);
  for (const char* candidate : kTemporaryKinds) {
    const std::string prefix = std::string(candidate) + "-";
    if (rest.size() > prefix.size() && rest.compare(0, prefix.size(), prefix) == 0 &&
        rest.find_first_not_of("0123456789", prefix.size()) == std::string::npos) {
      *kind = candidate;
      return true;
    }
  }
  return false;
}

/// Opens `path` and takes its flock without waiting; -1 when it cannot (held by a live writer,
/// or unreadable). The caller closes the descriptor, which releases the lock.
int try_claim(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return -1;
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

fs::path parent_of(const fs::path& target) {
  const fs::path parent = target.parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

/// Deletes a replaced folder: first renamed to a "trash" temporary, so that a kill in the middle
/// of the deletion never leaves a half-deleted folder that recover_folder could take for a model.
void discard_folder(const fs::path& folder, const fs::path& target) {
  const fs::path trash = temporary_name(target, "trash");
  std::error_code ec;
  fs::rename(folder, trash, ec);
  fs::remove_all(ec ? folder : trash, ec);
  sync_directory(parent_of(target).string());
}

void rename_or_throw(const fs::path& from, const fs::path& to, const fs::path& target) {
  std::error_code ec;
  fs::rename(from, to, ec);
  if (ec)
    throw IoError(cat(target.string(), ": cannot rename ", from.string(), " to ", to.string(), ": ",
                      ec.message()));
}

}  // namespace

TemporaryClaim::TemporaryClaim(const fs::path& path, Create create) {
  fd_ = create == Create::new_file
            ? ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644)
            : ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd_ < 0)
    throw IoError(cat(path.string(), ": cannot open to claim it: ", std::strerror(errno)));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    ::close(fd_);
    throw IoError(cat(path.string(), ": cannot lock it: ", std::strerror(error)));
  }
}

TemporaryClaim::~TemporaryClaim() {
  if (fd_ >= 0) ::close(fd_);
}

fs::path temporary_name(const fs::path& target, const char* kind) {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  fs::path name = target;
  name += cat(".", kind, "-", random() % 1000000000000ull);
  return name;
}

int remove_stale_temporaries(const fs::path& target) {
  const std::string base = target.filename().string();
  if (base.empty()) return 0;
  std::error_code ec;
  std::vector<fs::path> candidates;
  for (fs::directory_iterator it(parent_of(target), ec), end; !ec && it != end; it.increment(ec)) {
    const char* kind = nullptr;
    if (is_temporary_of(it->path().filename().string(), base, &kind))
      candidates.push_back(it->path());
  }
  int removed = 0;
  for (const fs::path& candidate : candidates) {
    const int fd = try_claim(candidate);
    if (fd < 0) continue;  // a live writer's, or not ours to touch
    std::error_code ignored;
    if (fs::remove_all(candidate, ignored) > 0 && !ignored) ++removed;
    ::close(fd);
  }
  if (removed > 0) sync_directory(parent_of(target).string());
  return removed;
}

void write_atomically(const std::string& path, const std::function<void(std::ostream&)>& write) {
  const fs::path temporary = temporary_name(path, "tmp");
  try {
    const TemporaryClaim claim(temporary, TemporaryClaim::Create::new_file);
    {
      std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
      if (!out) throw IoError(cat(path, ": cannot open for writing"));
      write(out);
      out.flush();
      if (!out) throw IoError(cat(path, ": write failed (disk full?)"));
    }
    sync_file(temporary.string());
    std::error_code ec;
    fs::rename(temporary, path, ec);
    if (ec) throw IoError(cat(path, ": cannot move the written file into place: ", ec.message()));
    sync_directory(parent_of(path).string());
  } catch (...) {
    std::error_code ignored;
    fs::remove(temporary, ignored);
    throw;
  }
  remove_stale_temporaries(path);
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

void replace_folder(const fs::path& staging, const fs::path& target) {
  const std::string parent = parent_of(target).string();
  sync_directory(staging.string());
  std::error_code ec;
  if (!fs::exists(target, ec)) {
    rename_or_throw(staging, target, target);
    sync_directory(parent);
    return;
  }
  // One system call swaps the two names: there is no instant without a model at `target`.
  if (folder_exchange_allowed &&
      ::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) == 0) {
    sync_directory(parent);
    discard_folder(staging, target);  // now the old folder
    return;
  }
  // No exchange here (an older kernel or a file system without it): the old folder moves aside,
  // claimed so that no one recovers it while this process lives, and the new one takes its name.
  const fs::path old = temporary_name(target, "old");
  {
    const TemporaryClaim claim(target);
    rename_or_throw(target, old, target);
    sync_directory(parent);
    rename_or_throw(staging, target, target);
    sync_directory(parent);
  }
  discard_folder(old, target);
}

void write_folder_atomically(const fs::path& target,
                             const std::function<void(const fs::path&)>& write) {
  const fs::path staging = temporary_name(target, "saving");
  std::error_code ec;
  try {
    fs::create_directories(staging);
    const TemporaryClaim claim(staging);
    write(staging);
    replace_folder(staging, target);
  } catch (const fs::filesystem_error& e) {
    fs::remove_all(staging, ec);
    throw IoError(cat(target.string(), ": ", e.what()));
  } catch (...) {
    fs::remove_all(staging, ec);
    throw;
  }
  remove_stale_temporaries(target);
}

bool holds_files(const fs::path& folder, const std::vector<std::string>& files) {
  std::error_code ec;
  for (const auto& file : files)
    if (!fs::exists(folder / file, ec)) return false;
  return true;
}

bool recover_folder(const fs::path& target, const std::vector<std::string>& required_files) {
  std::error_code ec;
  if (fs::exists(target, ec)) return false;
  const std::string base = target.filename().string();
  // The newest complete candidate of the preferred kind: staged (new) before old.
  for (const char* wanted : {"saving", "old"}) {
    std::optional<fs::path> best;
    fs::file_time_type best_time{};
    for (fs::directory_iterator it(parent_of(target), ec), end; !ec && it != end;
         it.increment(ec)) {
      const char* kind = nullptr;
      if (!is_temporary_of(it->path().filename().string(), base, &kind) ||
          std::strcmp(kind, wanted) != 0 || !fs::is_directory(it->path()))
        continue;
      std::error_code time_error;
      const fs::file_time_type time = fs::last_write_time(it->path(), time_error);
      if (!time_error && (!best || time > best_time) && holds_files(it->path(), required_files)) {
        best = it->path();
        best_time = time;
      }
    }
    if (!best) continue;
    const int fd = try_claim(*best);
    if (fd < 0) continue;  // a live save's; it will finish the job
    fs::rename(*best, target, ec);
    ::close(fd);
    if (ec) return false;
    sync_directory(parent_of(target).string());
    return true;
  }
  return false;
}

void allow_folder_exchange(bool allowed) { folder_exchange_allowed = allowed; }

}  // namespace ember::io
