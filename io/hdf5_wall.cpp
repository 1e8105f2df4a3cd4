// HDF5 behind a wall (io/hdf5.h, Hdf5Reader): load_hdf5_image hands the file's bytes to a helper
// process (helpers/hdf5_reader.cpp) in an in-memory file and takes back the tree in another,
// which hdf5_wire::decode checks whole. The helper is started with posix_spawn (a fork of a
// threaded process could inherit locks held by other threads), runs under limits on memory and CPU
// time, and is killed at the deadline; its crash, hang or refusal is an IoError naming the file.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <utility>

#include "core/error.h"
#include "core/tensor_impl.h"
#include "io/hdf5.h"
#include "io/hdf5_raw.h"
#include "io/hdf5_wire.h"

extern char** environ;  // NOLINT: POSIX's, for posix_spawn

namespace ember::io {

namespace {

std::mutex options_mutex;
Hdf5ReaderOptions current_options;

H5Group to_group(H5RawGroup&& raw) {
  H5Group group;
  group.attributes = std::move(raw.attributes);
  for (auto& [name, dataset] : raw.datasets) {
    group.datasets.emplace(name, detail::from_host(dataset.bytes.data(), Shape(dataset.dims),
                                                   dataset.dtype, Device::cpu()));
    std::string().swap(dataset.bytes);  // the copy is made: give the memory back at once
  }
  for (auto& [name, child] : raw.groups) group.groups.emplace(name, to_group(std::move(child)));
  return group;
}

/// A file descriptor closed when it goes out of scope.
class Descriptor {
 public:
  explicit Descriptor(int fd = -1) : fd_(fd) {}
  ~Descriptor() { reset(); }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

/// The helper process: killed and reaped when this goes out of scope before it has been reaped.
class Helper {
 public:
  explicit Helper(pid_t pid) : pid_(pid) {}
  ~Helper() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Helper(const Helper&) = delete;
  Helper& operator=(const Helper&) = delete;
  /// Waits for the exit until `deadline`; false when it has not exited by then.
  bool wait_until(std::chrono::steady_clock::time_point deadline, int* status) {
    // A pidfd wakes this at the exit itself (Linux 5.3+); elsewhere, short naps.
#ifdef SYS_pidfd_open
    const Descriptor exited(static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0)));
#else
    const Descriptor exited(-1);
#endif
    for (int nap_us = 50;; nap_us = std::min(nap_us * 2, 2000)) {
      const pid_t done = ::waitpid(pid_, status, WNOHANG);
      if (done == pid_) {
        pid_ = -1;
        return true;
      }
      if (done < 0 && errno != EINTR) return false;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      if (exited.get() >= 0) {
        pollfd watch{exited.get(), POLLIN, 0};
        ::poll(&watch, 1, static_cast<int>(std::min<long long>(left.count(), 1000)));
      } else {
        ::usleep(static_cast<useconds_t>(nap_us));
      }
    }
  }

 private:
  pid_t pid_;
};

std::string signal_name(int signal) {
  const char* text = ::strsignal(signal);
  return cat(text ? text : "signal", " (", signal, ")");
}

/// An anonymous in-memory file (memfd; an unnamed temporary file where there is none).
Descriptor anonymous_file(const char* what, const std::string& name) {
#ifdef SYS_memfd_create
  int fd = static_cast<int>(::syscall(SYS_memfd_create, what, MFD_CLOEXEC));
#else
  int fd = -1;
  (void)what;
#endif
  if (fd < 0)
    fd = ::open(std::filesystem::temp_directory_path().c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC,
                0600);
  if (fd < 0)
    throw IoError(cat(name, ": cannot make a buffer for the HDF5 reader: ", std::strerror(errno)));
  return Descriptor(fd);
}

/// The helper's reply, mapped read-only for as long as this lives.
class MappedReply {
 public:
  MappedReply(int fd, std::uint64_t limit, const std::string& name) {
    struct stat info {};
    if (::fstat(fd, &info) != 0) throw IoError(cat(name, ": cannot read the HDF5 reader's reply"));
    size_ = static_cast<std::size_t>(info.st_size);
    if (static_cast<std::uint64_t>(info.st_size) > limit)
      throw IoError(cat(name, ": the HDF5 reader's reply passed its memory limit"));
    if (size_ == 0) return;
    // MAP_POPULATE: one pass over the pages instead of a fault per page.
    void* data = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (data == MAP_FAILED) throw IoError(cat(name, ": cannot map the HDF5 reader's reply"));
    data_ = static_cast<const char*>(data);
  }
  ~MappedReply() {
    if (data_) ::munmap(const_cast<char*>(data_), size_);
  }
  MappedReply(const MappedReply&) = delete;
  MappedReply& operator=(const MappedReply&) = delete;
  std::string_view view() const { return {data_ ? data_ : "", size_}; }

 private:
  const char* data_ = nullptr;
  std::size_t size_ = 0;
};

/// Runs the helper on the file `image` (its standard input) and decodes its reply. The reply
/// comes back in an in-memory file, decoded straight from its mapping into tensors; libhdf5
/// reads the image in place (no pipe to pump, no whole-file copies).
H5Group run_helper(const Descriptor& image, std::uint64_t image_bytes, bool on_disk,
                   const std::string& name, const Hdf5ReaderOptions& options) {
  const std::string helper = hdf5_reader_path();
  const Descriptor reply = anonymous_file("ember-hdf5-reply", name);

  const std::uint64_t memory =
      options.memory_bytes + std::min<std::uint64_t>(image_bytes, UINT64_MAX / 32) * 16;
  const double timeout = options.timeout_seconds + options.timeout_seconds_per_gigabyte *
                                                       static_cast<double>(image_bytes) / (1 << 30);
  const long cpu_seconds = std::max(1L, static_cast<long>(std::ceil(timeout)));
  std::vector<std::string> args{helper,
                                "--memory-bytes",
                                std::to_string(memory),
                                "--cpu-seconds",
                                std::to_string(cpu_seconds),
                                "--name",
                                name,
                                "--input",
                                on_disk ? "file" : "image"};
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attributes);
  posix_spawn_file_actions_adddup2(&actions, image.get(), 0);
  posix_spawn_file_actions_adddup2(&actions, reply.get(), 1);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  // The caller's blocked or ignored signals are not the helper's.
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  const int spawned =
      ::posix_spawn(&pid, helper.c_str(), &actions, &attributes, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (spawned != 0) {
    throw IoError(
        cat(name, ": cannot start the HDF5 reader ", helper, ": ", std::strerror(spawned)));
  }
  Helper process(pid);

  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>(timeout));
  int status = 0;
  if (!process.wait_until(deadline, &status)) {
    throw IoError(cat(name, ": the HDF5 reader took longer than ", timeout,
                      " s and was stopped (a hostile or corrupt file?)"));
  }
  if (WIFSIGNALED(status)) {
    const int signal = WTERMSIG(status);
    if (signal == SIGXCPU) {
      throw IoError(cat(name, ": the HDF5 reader used more than ", cpu_seconds,
                        " s of CPU time and was stopped (a hostile or corrupt file?)"));
    }
    if (signal == SIGXFSZ)
      throw IoError(cat(name, ": the HDF5 reader's reply passed its memory limit"));
    throw IoError(cat(name, ": libhdf5 crashed reading this file (", signal_name(signal),
                      " in the HDF5 reader process): it is corrupt or hostile; this process ",
                      "is unaffected"));
  }
  const MappedReply mapped(reply.get(), memory, name);
  if (WEXITSTATUS(status) != 0 && mapped.view().empty())
    throw IoError(cat(name, ": the HDF5 reader failed (exit status ", WEXITSTATUS(status), ")"));
  return hdf5_wire::decode(mapped.view(), name);
}

}  // namespace

Hdf5ReaderOptions set_hdf5_reader(const Hdf5ReaderOptions& options) {
  if (!(options.timeout_seconds > 0) || !(options.timeout_seconds_per_gigabyte >= 0)) {
    throw Error(cat("set_hdf5_reader: timeout_seconds must be > 0 and ",
                    "timeout_seconds_per_gigabyte >= 0, got ", options.timeout_seconds, " and ",
                    options.timeout_seconds_per_gigabyte));
  }
  const std::lock_guard lock(options_mutex);
  return std::exchange(current_options, options);
}

Hdf5ReaderOptions hdf5_reader() {
  const std::lock_guard lock(options_mutex);
  return current_options;
}

std::string hdf5_reader_path() {
  if (const char* chosen = std::getenv("EMBER_HDF5_READER"); chosen && *chosen) {
    if (::access(chosen, X_OK) != 0)
      throw IoError(cat("EMBER_HDF5_READER=", chosen, ": not an executable file"));
    return chosen;
  }
#ifdef EMBER_HDF5_READER_BUILT
  for (const char* candidate : {EMBER_HDF5_READER_BUILT, EMBER_HDF5_READER_INSTALLED})
    if (::access(candidate, X_OK) == 0) return candidate;
  throw IoError(cat("the HDF5 reader helper is missing (looked for ", EMBER_HDF5_READER_BUILT,
                    " and ", EMBER_HDF5_READER_INSTALLED,
                    "); set EMBER_HDF5_READER to its path, or read trusted files in this process "
                    "with io::set_hdf5_reader({.reader = io::Hdf5Reader::in_process})"));
#else
  throw IoError("this ember was built without HDF5: there is no HDF5 reader helper");
#endif
}

#if EMBER_WITH_HDF5
H5Group load_hdf5_image(const std::string& bytes, const std::string& name) {
  const Hdf5ReaderOptions options = hdf5_reader();
  if (options.reader == Hdf5Reader::in_process) return to_group(read_hdf5_raw(bytes, name));
  const Descriptor image = anonymous_file("ember-hdf5-image", name);
  for (std::size_t done = 0; done < bytes.size();) {
    const ssize_t n = ::write(image.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      throw IoError(cat(name, ": cannot hand the file to the HDF5 reader: ", std::strerror(errno)));
    done += static_cast<std::size_t>(n);
  }
  ::lseek(image.get(), 0, SEEK_SET);
  return run_helper(image, bytes.size(), /*on_disk=*/false, name, options);
}

// A file on disk goes to the helper as it is: its descriptor becomes the helper's input.
H5Group load_hdf5(const std::string& path) {
  const Hdf5ReaderOptions options = hdf5_reader();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw IoError(cat(path, ": cannot open: no such file"));
  if (options.reader == Hdf5Reader::in_process) return to_group(read_hdf5_raw_file(path, path));
  const Descriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (file.get() < 0) throw IoError(cat(path, ": cannot open for reading: ", std::strerror(errno)));
  struct stat info {};
  ::fstat(file.get(), &info);
  return run_helper(file, static_cast<std::uint64_t>(info.st_size), /*on_disk=*/true, path,
                    options);
}
#endif

}  // namespace ember::io
