// ember-hdf5-reader: the helper process that parses HDF5 files for ember (io/hdf5_wall.cpp).
// It reads a file's bytes from its standard input, parses them with libhdf5 (io/hdf5_read.cpp)
// and writes the tree or the error to its standard output (io/hdf5_wire.h); ember passes
// in-memory files for both. It limits its own
// memory and CPU time first and leaves no core dump, so a hostile file costs a bounded, killed
// process. Linked with libhdf5 and those few files only: it starts in milliseconds.
//
//   ember-hdf5-reader --memory-bytes N --cpu-seconds S --name FILE [--input file|image] < in >
//   reply
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <new>
#include <string>

#include "core/error.h"
#include "io/hdf5_raw.h"
#include "io/hdf5_wire.h"

namespace {

// AddressSanitizer reserves terabytes of address space: an address-space limit would stop it.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kCanLimitAddressSpace = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kCanLimitAddressSpace = false;
#else
constexpr bool kCanLimitAddressSpace = true;
#endif
#else
constexpr bool kCanLimitAddressSpace = true;
#endif

void limit(int resource, rlim_t value) {
  const rlimit bound{value, value};
  ::setrlimit(resource, &bound);
}

/// The image from standard input when it is not a file.
std::string read_input() {
  std::string image;
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(0, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    image.append(buffer, static_cast<std::size_t>(n));
  }
  return image;
}

bool write_all(int fd, const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ember;
  using io::hdf5_wire::Status;
  unsigned long long memory = 0, cpu_seconds = 0;
  std::string name = "HDF5 file", input = "file";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--input") input = argv[i + 1];
    if (flag == "--memory-bytes") memory = std::strtoull(argv[i + 1], nullptr, 10);
    if (flag == "--cpu-seconds") cpu_seconds = std::strtoull(argv[i + 1], nullptr, 10);
    if (flag == "--name") name = argv[i + 1];
  }
  limit(RLIMIT_CORE, 0);
  if (cpu_seconds > 0) limit(RLIMIT_CPU, cpu_seconds);
  if (memory > 0 && kCanLimitAddressSpace) limit(RLIMIT_AS, memory);
  if (memory > 0) limit(RLIMIT_FSIZE, memory);  // the reply file

  std::string reply;
  try {
    // A file on disk (--input file) is read by libhdf5 in place, through its name (libhdf5
    // resolves /proc/self/fd/0 to it); an image (--input image, an in-memory file without a
    // name on disk) or a pipe is read whole first.
    struct stat info {};
    const bool on_disk = input == "file" && ::fstat(0, &info) == 0 && S_ISREG(info.st_mode);
    const io::H5RawGroup tree = on_disk ? io::read_hdf5_raw_file("/proc/self/fd/0", name)
                                        : io::read_hdf5_raw(read_input(), name);
    return io::hdf5_wire::write_tree(1, tree) ? 0 : 1;
  } catch (const ResourceExhaustedError& e) {
    reply = io::hdf5_wire::encode_error(Status::resource_exhausted, e.what());
  } catch (const IoError& e) {
    reply = io::hdf5_wire::encode_error(Status::io_error, e.what());
  } catch (const Error& e) {
    reply = io::hdf5_wire::encode_error(Status::error, e.what());
  } catch (const std::bad_alloc&) {
    reply = io::hdf5_wire::encode_error(
        Status::resource_exhausted,
        cat(name, ": reading it needs more than the HDF5 reader's ", memory, " bytes of memory"));
  } catch (const std::exception& e) {
    reply = io::hdf5_wire::encode_error(Status::io_error,
                                        cat(name, ": malformed HDF5 file (", e.what(), ")"));
  }
  return write_all(1, reply) ? 0 : 1;
}
