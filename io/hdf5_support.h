// libhdf5's plumbing shared by the reader (io/hdf5_read.cpp) and the writer (io/hdf5.cpp)
// (internal: only files compiled with libhdf5's headers include it).
#pragma once

#include <hdf5.h>

#include <string>

namespace ember::io::hdf5_support {

/// An HDF5 identifier closed by the matching H5*close when it goes out of scope.
class Handle {
 public:
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

/// HDF5 prints its error stack to stderr by default; ember reports errors itself. The setting is
/// per thread in a thread-safe libhdf5.
inline void silence_hdf5() {
  thread_local const bool silenced = [] {
    H5open();
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)silenced;
}

/// Groups nested deeper than this are taken for a cycle of hard links (Keras nests a few).
inline constexpr int kMaxDepth = 64;

/// The name an in-memory file is opened under: libhdf5's core driver reads a file on disk of the
/// name it is given, when there is one, in place of the image.
inline constexpr const char* kImageName = "ember in-memory HDF5 image";

/// A file access property list for the in-memory ("core") driver: no file on disk is touched.
inline hid_t memory_file_access() {
  const hid_t access = H5Pcreate(H5P_FILE_ACCESS);
  if (access >= 0) H5Pset_fapl_core(access, 1 << 20, /*backing_store=*/0);
  return access;
}

/// HDF5's signature, at offset 0 or after a user block of 512, 1024, 2048, ... bytes.
inline bool has_hdf5_signature(const std::string& bytes) {
  static const std::string signature("\x89HDF\r\n\x1a\n", 8);
  for (std::size_t at = 0; at + signature.size() <= bytes.size(); at = at == 0 ? 512 : at * 2) {
    if (bytes.compare(at, signature.size(), signature) == 0) return true;
  }
  return false;
}

}  // namespace ember::io::hdf5_support
