// Reading and writing whole HDF5 files through libhdf5's C API (io/hdf5.h), in memory: files are
// opened from and written to byte images with the "core" driver. Objects are told apart by
// opening them (H5Oopen + H5Iget_type) rather than H5Oget_info, whose signature differs between
// HDF5 1.10 and 1.12+.
#include "io/hdf5.h"

#include <cstring>
#include <exception>
#include <utility>

#include "core/error.h"
#include "core/tensor_impl.h"
#include "io/atomic_file.h"
#include "io/whole_file.h"

#if EMBER_WITH_HDF5
#include <hdf5.h>
#endif

namespace ember::io {

#if !EMBER_WITH_HDF5

bool hdf5_available() { return false; }

namespace {
[[noreturn]] void no_hdf5(const std::string& name) {
  throw Error(
      cat(name,
          ": this ember was built without HDF5, so it cannot read or write Keras' .h5 and .keras ",
          "files; install libhdf5-dev and configure again (EMBER_HDF5=AUTO or ON)"));
}
}  // namespace

H5Group load_hdf5_image(const std::string&, const std::string& name) { no_hdf5(name); }
std::string save_hdf5_image(const H5Group&, const std::string& name) { no_hdf5(name); }

#else

bool hdf5_available() { return true; }

namespace {

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
void silence_hdf5() {
  thread_local const bool silenced = [] {
    H5open();
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)silenced;
}

/// Groups nested deeper than this are taken for a cycle of hard links (Keras nests a few).
constexpr int kMaxDepth = 64;

/// The name an in-memory file is opened under: libhdf5's core driver reads a file on disk of the
/// name it is given, when there is one, in place of the image.
constexpr const char* kImageName = "ember in-memory HDF5 image";

/// A file access property list for the in-memory ("core") driver: no file on disk is touched.
hid_t memory_file_access() {
  const hid_t access = H5Pcreate(H5P_FILE_ACCESS);
  if (access >= 0) H5Pset_fapl_core(access, 1 << 20, /*backing_store=*/0);
  return access;
}

/// HDF5's signature, at offset 0 or after a user block of 512, 1024, 2048, ... bytes.
bool has_hdf5_signature(const std::string& bytes) {
  static const std::string signature("\x89HDF\r\n\x1a\n", 8);
  for (std::size_t at = 0; at + signature.size() <= bytes.size(); at = at == 0 ? 512 : at * 2) {
    if (bytes.compare(at, signature.size(), signature) == 0) return true;
  }
  return false;
}

// --- reading -------------------------------------------------------------------------------------

struct ReadContext {
  const std::string& file;
  std::string where;  // the object being read, for messages
  int depth = 0;
  // An exception must not unwind through libhdf5's frames (the library would keep its lock):
  // the callbacks park it here and return -1, and read_group rethrows it.
  std::exception_ptr error;
};

[[noreturn]] void read_error(const std::string& file, const std::string& object,
                             const std::string& what) {
  throw IoError(cat(file, ": ", object.empty() ? "/" : object, ": ", what));
}

/// The memory type a dataset of `file_type` is read as, and the ember dtype it becomes.
std::pair<hid_t, DType> memory_type(hid_t file_type, const std::string& file,
                                    const std::string& object) {
  const H5T_class_t type_class = H5Tget_class(file_type);
  const std::size_t size = H5Tget_size(file_type);
  if (type_class == H5T_FLOAT && size == 4) return {H5T_NATIVE_FLOAT, DType::float32};
  if (type_class == H5T_FLOAT && size == 8) return {H5T_NATIVE_DOUBLE, DType::float64};
  if (type_class == H5T_INTEGER) {
    const bool is_signed = H5Tget_sign(file_type) == H5T_SGN_2;
    if (is_signed && size == 4) return {H5T_NATIVE_INT32, DType::int32};
    if (is_signed && size == 8) return {H5T_NATIVE_INT64, DType::int64};
    if (!is_signed && size == 1) return {H5T_NATIVE_UINT8, DType::uint8};
  }
  // h5py stores NumPy's bool as an enum of int8 with members FALSE = 0 and TRUE = 1.
  if (type_class == H5T_ENUM && size == 1) return {H5T_NATIVE_INT8, DType::bool_};
  read_error(file, object,
             cat("dataset of an unsupported type (class ", static_cast<int>(type_class), ", ", size,
                 " bytes); ember reads float32, float64, int32, int64, uint8 and bool"));
}

Tensor read_dataset(hid_t dataset, const std::string& file, const std::string& object) {
  const Handle file_type(H5Dget_type(dataset), H5Tclose);
  const Handle space(H5Dget_space(dataset), H5Sclose);
  if (!file_type.valid() || !space.valid()) read_error(file, object, "unreadable dataset header");
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) read_error(file, object, "unreadable dataset shape");
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (rank > 0) H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  const auto [mem_type, dtype] = memory_type(file_type.get(), file, object);
  // The dimensions come from the file: check them against what it stores before allocating.
  std::uint64_t count = 1;
  for (const hsize_t d : dims) {
    if (d != 0 && count > (std::uint64_t{1} << 60) / d)
      read_error(file, object, "dataset dimensions overflow");
    count *= d;
  }
  const std::uint64_t bytes = count * dtype_size(dtype);
  const Handle creation(H5Dget_create_plist(dataset), H5Pclose);
  const bool chunked = !creation.valid() || H5Pget_layout(creation.get()) == H5D_CHUNKED;
  const std::uint64_t stored = H5Dget_storage_size(dataset);
  // Plain storage holds every byte; chunks may be compressed (deflate shrinks ~1032 times at most).
  if (bytes > 0 && (chunked ? bytes > stored * 1032 + (1 << 20) : stored < bytes)) {
    read_error(
        file, object,
        cat("dataset of ", bytes, " bytes, ", stored, " stored (truncated or corrupt file?)"));
  }
  const Shape tensor_shape(std::vector<std::int64_t>(dims.begin(), dims.end()));
  std::vector<char> data(static_cast<std::size_t>(bytes) + 1);
  // An enum converts only to an enum: a bool is read as the file's type in native byte order.
  const Handle native_enum(
      dtype == DType::bool_ ? H5Tget_native_type(file_type.get(), H5T_DIR_ASCEND) : -1, H5Tclose);
  const hid_t read_type = dtype == DType::bool_ ? native_enum.get() : mem_type;
  if (bytes > 0 && H5Dread(dataset, read_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()) < 0) {
    read_error(file, object, "cannot read the dataset's data (truncated or corrupt file?)");
  }
  if (dtype == DType::bool_) {
    for (std::uint64_t i = 0; i < count; ++i) {
      if (data[i] != 0 && data[i] != 1)
        read_error(file, object, "bool dataset holds a value other than 0 or 1");
    }
  }
  return detail::from_host(data.data(), tensor_shape, dtype, Device::cpu());
}

/// The strings of a string attribute, fixed-length or variable-length.
std::vector<std::string> read_strings(hid_t attribute, hid_t file_type, hid_t space, hssize_t count,
                                      const std::string& file, const std::string& object) {
  std::vector<std::string> out;
  const Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_cset(mem.get(), H5Tget_cset(file_type));  // HDF5 converts neither ASCII to UTF-8 nor back
  if (H5Tis_variable_str(file_type) > 0) {
    H5Tset_size(mem.get(), H5T_VARIABLE);
    std::vector<char*> pointers(static_cast<std::size_t>(count), nullptr);
    if (H5Aread(attribute, mem.get(), pointers.data()) < 0)
      read_error(file, object, "unreadable string attribute");
    for (char* p : pointers) out.emplace_back(p ? p : "");
#if H5_VERSION_GE(1, 12, 0)
    H5Treclaim(mem.get(), space, H5P_DEFAULT, pointers.data());
#else
    H5Dvlen_reclaim(mem.get(), space, H5P_DEFAULT, pointers.data());
#endif
    return out;
  }
  const std::size_t size = H5Tget_size(file_type);
  H5Tset_size(mem.get(), size);
  H5Tset_strpad(mem.get(),
                H5T_STR_NULLPAD);  // keeps every character (NULLTERM would drop the last)
  std::vector<char> buffer(static_cast<std::size_t>(count) * size + 1, '\0');
  if (H5Aread(attribute, mem.get(), buffer.data()) < 0)
    read_error(file, object, "unreadable string attribute");
  for (hssize_t i = 0; i < count; ++i) {
    const char* start = buffer.data() + static_cast<std::size_t>(i) * size;
    out.emplace_back(start, strnlen(start, size));
  }
  return out;
}

/// Runs a callback's body, parking any exception in the context (see ReadContext::error).
template <class F>
herr_t guarded(ReadContext& context, F&& body) {
  try {
    body();
    return 0;
  } catch (...) {
    context.error = std::current_exception();
    return -1;
  }
}

void read_attribute_into(hid_t location, const char* name, H5Group& group,
                         const ReadContext& context) {
  const std::string object = cat(context.where, "@", name);
  const Handle attribute(H5Aopen(location, name, H5P_DEFAULT), H5Aclose);
  const Handle type(H5Aget_type(attribute.get()), H5Tclose);
  const Handle space(H5Aget_space(attribute.get()), H5Sclose);
  if (!attribute.valid() || !type.valid() || !space.valid())
    read_error(context.file, object, "unreadable attribute");
  const H5S_class_t space_class = H5Sget_simple_extent_type(space.get());
  const hssize_t count = space_class == H5S_NULL ? 0 : H5Sget_simple_extent_npoints(space.get());
  if (H5Tget_class(type.get()) == H5T_STRING) {
    std::vector<std::string> strings;
    if (count > 0)
      strings = read_strings(attribute.get(), type.get(), space.get(), count, context.file, object);
    if (space_class == H5S_SCALAR)
      group.attributes[name] = strings.empty() ? std::string() : strings[0];
    else
      group.attributes[name] = std::move(strings);
  } else if (count == 0) {
    group.attributes[name] = std::vector<std::string>{};  // h5py's empty list: a float64 array of 0
  }
}

void read_group(hid_t location, H5Group& group, ReadContext& context);

void read_member_into(hid_t location, const char* name, const H5L_info_t& info, H5Group& group,
                      ReadContext& context) {
  const std::string parent = context.where;
  const std::string object = cat(parent, "/", name);
  // As Keras: soft and external links are not followed (they may point anywhere, even up).
  if (info.type != H5L_TYPE_HARD)
    read_error(context.file, object, "a soft or external link; not followed");
  const Handle opened(H5Oopen(location, name, H5P_DEFAULT), H5Oclose);
  if (!opened.valid()) read_error(context.file, object, "cannot open (truncated or corrupt file?)");
  const H5I_type_t type = H5Iget_type(opened.get());
  if (type == H5I_GROUP) {
    if (context.depth >= kMaxDepth) {
      read_error(context.file, object,
                 cat("groups nested deeper than ", kMaxDepth, " (a cycle of links?)"));
    }
    context.where = object;
    ++context.depth;
    read_group(opened.get(), group.groups[name], context);
    --context.depth;
    context.where = parent;
  } else if (type == H5I_DATASET) {
    group.datasets.insert_or_assign(name, read_dataset(opened.get(), context.file, object));
  }  // named datatypes are not data: skipped
}

using GroupAndContext = std::pair<H5Group*, ReadContext*>;

herr_t read_attribute(hid_t location, const char* name, const H5A_info_t*, void* data) {
  auto& [group, context] = *static_cast<GroupAndContext*>(data);
  return guarded(*context, [&] { read_attribute_into(location, name, *group, *context); });
}

herr_t read_member(hid_t location, const char* name, const H5L_info_t* info, void* data) {
  auto& [group, context] = *static_cast<GroupAndContext*>(data);
  return guarded(*context, [&] { read_member_into(location, name, *info, *group, *context); });
}

void read_group(hid_t location, H5Group& group, ReadContext& context) {
  GroupAndContext state{&group, &context};
  const herr_t attributes =
      H5Aiterate2(location, H5_INDEX_NAME, H5_ITER_INC, nullptr, read_attribute, &state);
  if (context.error) std::rethrow_exception(std::exchange(context.error, nullptr));
  if (attributes < 0)
    read_error(context.file, context.where, "cannot list the attributes (truncated or corrupt?)");
  const herr_t members =
      H5Literate(location, H5_INDEX_NAME, H5_ITER_INC, nullptr, read_member, &state);
  if (context.error) std::rethrow_exception(std::exchange(context.error, nullptr));
  if (members < 0)
    read_error(context.file, context.where, "cannot list the members (truncated or corrupt?)");
}

// --- writing -------------------------------------------------------------------------------------

[[noreturn]] void write_error(const std::string& file, const std::string& object,
                              const std::string& what) {
  throw IoError(cat(file, ": ", object, ": ", what));
}

/// h5py's layout: little-endian IEEE floats and integers, bool as an int8 enum {FALSE, TRUE}.
hid_t file_type_for(DType dtype) {
  switch (dtype) {
    case DType::float32:
      return H5Tcopy(H5T_IEEE_F32LE);
    case DType::float64:
      return H5Tcopy(H5T_IEEE_F64LE);
    case DType::int32:
      return H5Tcopy(H5T_STD_I32LE);
    case DType::int64:
      return H5Tcopy(H5T_STD_I64LE);
    case DType::uint8:
      return H5Tcopy(H5T_STD_U8LE);
    case DType::bool_: {
      const hid_t type = H5Tenum_create(H5T_NATIVE_INT8);
      const std::int8_t no = 0, yes = 1;
      H5Tenum_insert(type, "FALSE", &no);
      H5Tenum_insert(type, "TRUE", &yes);
      return type;
    }
  }
  return -1;
}

hid_t memory_type_for(DType dtype, hid_t file_type) {
  switch (dtype) {
    case DType::float32:
      return H5T_NATIVE_FLOAT;
    case DType::float64:
      return H5T_NATIVE_DOUBLE;
    case DType::int32:
      return H5T_NATIVE_INT32;
    case DType::int64:
      return H5T_NATIVE_INT64;
    case DType::uint8:
      return H5T_NATIVE_UINT8;
    case DType::bool_:
      return file_type;  // one byte, native order either way
  }
  return -1;
}

void write_dataset(hid_t location, const std::string& name, const Tensor& value,
                   const std::string& file, const std::string& object) {
  const Tensor host = value.to(Device::cpu());
  std::vector<hsize_t> dims(host.shape().dims().begin(), host.shape().dims().end());
  const Handle space(dims.empty()
                         ? H5Screate(H5S_SCALAR)
                         : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                     H5Sclose);
  const Handle type(file_type_for(host.dtype()), H5Tclose);
  const Handle dataset(H5Dcreate2(location, name.c_str(), type.get(), space.get(), H5P_DEFAULT,
                                  H5P_DEFAULT, H5P_DEFAULT),
                       H5Dclose);
  if (!space.valid() || !type.valid() || !dataset.valid())
    write_error(file, object, "cannot create the dataset");
  if (host.size() > 0 && H5Dwrite(dataset.get(), memory_type_for(host.dtype(), type.get()), H5S_ALL,
                                  H5S_ALL, H5P_DEFAULT, host.raw_data()) < 0) {
    write_error(file, object, "cannot write the dataset");
  }
}

void write_attribute(hid_t location, const std::string& name, const H5Attribute& value,
                     const std::string& file, const std::string& object) {
  const Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  std::vector<const char*> pointers;
  hsize_t count = 0;
  const bool single = std::holds_alternative<std::string>(value);
  if (single) {
    pointers.push_back(std::get<std::string>(value).c_str());
  } else {
    for (const std::string& s : std::get<std::vector<std::string> >(value))
      pointers.push_back(s.c_str());
    count = pointers.size();
  }
  const Handle space(single ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &count, nullptr),
                     H5Sclose);
  const Handle attribute(
      H5Acreate2(location, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
      H5Aclose);
  if (!attribute.valid()) write_error(file, cat(object, "@", name), "cannot create the attribute");
  if (!pointers.empty() && H5Awrite(attribute.get(), type.get(), pointers.data()) < 0) {
    write_error(file, cat(object, "@", name), "cannot write the attribute");
  }
}

void write_group(hid_t location, const H5Group& group, const std::string& file,
                 const std::string& object) {
  for (const auto& [name, value] : group.attributes)
    write_attribute(location, name, value, file, object);
  for (const auto& [name, value] : group.datasets)
    write_dataset(location, name, value, file, cat(object, "/", name));
  for (const auto& [name, child] : group.groups) {
    const Handle created(H5Gcreate2(location, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                         H5Gclose);
    if (!created.valid()) write_error(file, cat(object, "/", name), "cannot create the group");
    write_group(created.get(), child, file, cat(object, "/", name));
  }
}

}  // namespace

H5Group load_hdf5_image(const std::string& bytes, const std::string& name) {
  silence_hdf5();
  if (!has_hdf5_signature(bytes))
    throw IoError(cat(name, ": not an HDF5 file (no HDF5 signature)"));
  const Handle access(memory_file_access(), H5Pclose);
  // H5Pset_file_image copies the bytes; the const_cast only suits its C signature.
  if (!access.valid() ||
      H5Pset_file_image(access.get(), const_cast<char*>(bytes.data()), bytes.size()) < 0) {
    throw IoError(cat(name, ": libhdf5 cannot take the file's ", bytes.size(), " bytes"));
  }
  const Handle file(H5Fopen(kImageName, H5F_ACC_RDONLY, access.get()), H5Fclose);
  if (!file.valid())
    throw IoError(cat(name, ": cannot open the HDF5 file (truncated or corrupt?)"));
  const Handle group(H5Gopen2(file.get(), "/", H5P_DEFAULT), H5Gclose);
  if (!group.valid())
    throw IoError(cat(name, ": cannot open the root group (truncated or corrupt?)"));
  H5Group root;
  ReadContext context{name, "", 0, nullptr};
  read_group(group.get(), root, context);
  return root;
}

std::string save_hdf5_image(const H5Group& root, const std::string& name) {
  silence_hdf5();
  const Handle access(memory_file_access(), H5Pclose);
  const Handle file(H5Fcreate(kImageName, H5F_ACC_TRUNC, H5P_DEFAULT, access.get()), H5Fclose);
  if (!access.valid() || !file.valid())
    throw IoError(cat(name, ": libhdf5 cannot create an in-memory file"));
  write_group(file.get(), root, name, "");
  if (H5Fflush(file.get(), H5F_SCOPE_GLOBAL) < 0)
    throw IoError(cat(name, ": libhdf5 cannot flush the file"));
  const ssize_t size = H5Fget_file_image(file.get(), nullptr, 0);
  if (size <= 0) throw IoError(cat(name, ": libhdf5 cannot give the file's bytes"));
  std::string bytes(static_cast<std::size_t>(size), '\0');
  if (H5Fget_file_image(file.get(), bytes.data(), bytes.size()) != size) {
    throw IoError(cat(name, ": libhdf5 cannot give the file's bytes"));
  }
  return bytes;
}

#endif  // EMBER_WITH_HDF5

// Files go through in-memory images: nothing but the file itself is touched, and a save writes a
// temporary file renamed into place.
H5Group load_hdf5(const std::string& path) { return load_hdf5_image(read_file_bytes(path), path); }

void save_hdf5(const std::string& path, const H5Group& root) {
  const std::string bytes = save_hdf5_image(root, path);
  write_atomically(path, [&](std::ostream& out) {
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  });
}

}  // namespace ember::io
