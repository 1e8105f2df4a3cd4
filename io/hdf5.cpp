// Writing whole HDF5 files through libhdf5's C API (io/hdf5.h), in memory: files are written to
// byte images with the "core" driver. Reading is io/hdf5_read.cpp (libhdf5, in plain bytes)
// behind io/hdf5_wall.cpp (in a helper process by default).
#include "io/hdf5.h"

#include "core/error.h"
#include "core/tensor_impl.h"
#include "io/atomic_file.h"
#include "io/whole_file.h"

#if EMBER_WITH_HDF5
#include "io/hdf5_support.h"
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
H5Group load_hdf5(const std::string& path) { no_hdf5(path); }
std::string save_hdf5_image(const H5Group&, const std::string& name) { no_hdf5(name); }

#else

bool hdf5_available() { return true; }

namespace {

using namespace hdf5_support;

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
    case DType::float16: {  // IEEE binary16, laid out as h5py writes NumPy's float16
      const hid_t type = H5Tcopy(H5T_IEEE_F32LE);
      H5Tset_fields(type, 15, 10, 5, 0, 10);
      H5Tset_size(type, 2);
      H5Tset_ebias(type, 15);
      return type;
    }
    case DType::bfloat16:
      return -1;  // h5py has no bfloat16: write_dataset refuses it
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
    case DType::float16:
      return file_type;  // the file's own bytes (one byte; binary16 is little-endian as the host)
    case DType::bfloat16:
      return -1;
  }
  return -1;
}

void write_dataset(hid_t location, const std::string& name, const Tensor& value,
                   const std::string& file, const std::string& object) {
  if (value.dtype() == DType::bfloat16) {
    write_error(file, object,
                "HDF5 files (h5py) have no bfloat16 type; keep the variable float32 (as Keras' "
                "mixed policies do) or cast it before saving");
  }
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

// load_hdf5 is in io/hdf5_wall.cpp. A save writes an in-memory image to a temporary file renamed
// into place.
void save_hdf5(const std::string& path, const H5Group& root) {
  const std::string bytes = save_hdf5_image(root, path);
  write_atomically(path, [&](std::ostream& out) {
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  });
}

}  // namespace ember::io
