// Reading and writing whole HDF5 files through libhdf5's C API (io/hdf5.h). Objects are told
// apart by opening them (H5Oopen + H5Iget_type) rather than H5Oget_info, whose signature differs
// between HDF5 1.10 and 1.12+.
#include "io/hdf5.h"

#include <cstring>
#include <filesystem>
#include <random>

#include "core/error.h"
#include "core/tensor_impl.h"

#if EMBER_WITH_HDF5
#include <hdf5.h>
#endif

namespace ember::io {

#if !EMBER_WITH_HDF5

bool hdf5_available() { return false; }

namespace {
[[noreturn]] void no_hdf5(const std::string& path) {
  throw Error(
      cat(path,
          ": this ember was built without HDF5, so it cannot read or write Keras' .h5 and .keras ",
          "files; install libhdf5-dev and configure again (EMBER_HDF5=AUTO or ON)"));
}
}  // namespace

H5Group load_hdf5(const std::string& path) { no_hdf5(path); }
void save_hdf5(const std::string& path, const H5Group&) { no_hdf5(path); }

#else

bool hdf5_available() { return true; }

namespace {

namespace fs = std::filesystem;

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

/// HDF5 prints its error stack to stderr by default; ember reports errors itself.
void silence_hdf5() {
  static const bool silenced = [] {
    H5open();
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)silenced;
}

// --- reading
// --------------------------------------------------------------------------------------

struct ReadContext {
  const std::string& file;
  std::string where;  // the object being read, for messages
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
  std::vector<std::int64_t> shape(dims.begin(), dims.end());
  const Shape tensor_shape(shape);
  std::vector<char> data(static_cast<std::size_t>(tensor_shape.num_elements()) * dtype_size(dtype) +
                         1);
  // An enum converts only to an enum: a bool is read as the file's type in native byte order.
  const Handle native_enum(
      dtype == DType::bool_ ? H5Tget_native_type(file_type.get(), H5T_DIR_ASCEND) : -1, H5Tclose);
  const hid_t read_type = dtype == DType::bool_ ? native_enum.get() : mem_type;
  if (tensor_shape.num_elements() > 0 &&
      H5Dread(dataset, read_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()) < 0) {
    read_error(file, object, "cannot read the dataset's data (truncated or corrupt file?)");
  }
  if (dtype == DType::bool_) {
    for (std::int64_t i = 0; i < tensor_shape.num_elements(); ++i) {
      if (data[static_cast<std::size_t>(i)] != 0 && data[static_cast<std::size_t>(i)] != 1) {
        read_error(file, object, "bool dataset holds a value other than 0 or 1");
      }
    }
  }
  return detail::from_host(data.data(), tensor_shape, dtype, Device::cpu());
}

/// The strings of a string attribute, fixed-length or variable-length.
std::vector<std::string> read_strings(hid_t attribute, hid_t file_type, hid_t space, hssize_t count,
                                      const std::string& file, const std::string& object) {
  std::vector<std::string> out;
  if (H5Tis_variable_str(file_type) > 0) {
    const Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mem.get(), H5T_VARIABLE);
    H5Tset_cset(mem.get(), H5Tget_cset(file_type));
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
  const Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
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

herr_t read_attribute(hid_t location, const char* name, const H5A_info_t*, void* data) {
  auto& [group, context] = *static_cast<std::pair<H5Group*, ReadContext*>*>(data);
  const std::string object = cat(context->where, "@", name);
  const Handle attribute(H5Aopen(location, name, H5P_DEFAULT), H5Aclose);
  const Handle type(H5Aget_type(attribute.get()), H5Tclose);
  const Handle space(H5Aget_space(attribute.get()), H5Sclose);
  if (!attribute.valid() || !type.valid() || !space.valid())
    read_error(context->file, object, "unreadable attribute");
  const H5S_class_t space_class = H5Sget_simple_extent_type(space.get());
  const hssize_t count = space_class == H5S_NULL ? 0 : H5Sget_simple_extent_npoints(space.get());
  if (H5Tget_class(type.get()) == H5T_STRING) {
    std::vector<std::string> strings =
        count == 0
            ? std::vector<std::string>{}
            : read_strings(attribute.get(), type.get(), space.get(), count, context->file, object);
    if (space_class == H5S_SCALAR)
      group->attributes[name] = strings.empty() ? std::string() : strings[0];
    else
      group->attributes[name] = std::move(strings);
  } else if (count == 0) {
    group->attributes[name] =
        std::vector<std::string>{};  // h5py's empty list: a float64 array of 0
  }
  return 0;
}

void read_group(hid_t location, H5Group& group, ReadContext& context);

herr_t read_link(hid_t location, const char* name, const H5L_info_t*, void* data) {
  auto& [group, context] = *static_cast<std::pair<H5Group*, ReadContext*>*>(data);
  const std::string parent = context->where;
  const std::string object = cat(parent, "/", name);
  const Handle opened(H5Oopen(location, name, H5P_DEFAULT), H5Oclose);
  if (!opened.valid())
    read_error(context->file, object, "cannot open (truncated or corrupt file?)");
  const H5I_type_t type = H5Iget_type(opened.get());
  context->where = object;
  if (type == H5I_GROUP) {
    read_group(opened.get(), group->groups[name], *context);
  } else if (type == H5I_DATASET) {
    group->datasets.insert_or_assign(name, read_dataset(opened.get(), context->file, object));
  }  // named datatypes are not data: skipped
  context->where = parent;
  return 0;
}

void read_group(hid_t location, H5Group& group, ReadContext& context) {
  std::pair<H5Group*, ReadContext*> state{&group, &context};
  if (H5Aiterate2(location, H5_INDEX_NAME, H5_ITER_INC, nullptr, read_attribute, &state) < 0) {
    read_error(context.file, context.where,
               "cannot list the attributes (truncated or corrupt file?)");
  }
  if (H5Literate(location, H5_INDEX_NAME, H5_ITER_INC, nullptr, read_link, &state) < 0) {
    read_error(context.file, context.where, "cannot list the members (truncated or corrupt file?)");
  }
}

// --- writing
// --------------------------------------------------------------------------------------

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
    write_error(file, object, "cannot write the dataset (disk full?)");
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

H5Group load_hdf5(const std::string& path) {
  silence_hdf5();
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw IoError(cat(path, ": no such file"));
  if (H5Fis_hdf5(path.c_str()) <= 0) throw IoError(cat(path, ": not an HDF5 file (bad signature)"));
  const Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file.valid())
    throw IoError(cat(path, ": cannot open the HDF5 file (truncated or corrupt?)"));
  H5Group root;
  ReadContext context{path, ""};
  const Handle group(H5Gopen2(file.get(), "/", H5P_DEFAULT), H5Gclose);
  if (!group.valid())
    throw IoError(cat(path, ": cannot open the root group (truncated or corrupt?)"));
  read_group(group.get(), root, context);
  return root;
}

void save_hdf5(const std::string& path, const H5Group& root) {
  silence_hdf5();
  std::random_device random;
  const std::string temporary = cat(path, ".tmp-", random() % 1000000000u);
  try {
    {
      const Handle file(H5Fcreate(temporary.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT),
                        H5Fclose);
      if (!file.valid()) throw IoError(cat(path, ": cannot create ", temporary));
      write_group(file.get(), root, path, "");
      if (H5Fflush(file.get(), H5F_SCOPE_GLOBAL) < 0)
        throw IoError(cat(path, ": cannot flush (disk full?)"));
    }
    fs::rename(temporary, path);
  } catch (const fs::filesystem_error& e) {
    std::error_code ec;
    fs::remove(temporary, ec);
    throw IoError(cat(path, ": ", e.what()));
  } catch (...) {
    std::error_code ec;
    fs::remove(temporary, ec);
    throw;
  }
}

#endif  // EMBER_WITH_HDF5

}  // namespace ember::io
