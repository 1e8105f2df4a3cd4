// Reading a whole HDF5 image through libhdf5's C API into plain bytes (io/hdf5_raw.h), with no
// Tensor: the HDF5 reader helper process (helpers/hdf5_reader.cpp) links this file alone.
// Objects are told apart by opening them (H5Oopen + H5Iget_type) rather than H5Oget_info, whose
// signature differs between HDF5 1.10 and 1.12+.
#include <cstring>
#include <exception>
#include <utility>

#include "core/error.h"
#include "io/hdf5_raw.h"

#if EMBER_WITH_HDF5
#include "io/hdf5_support.h"

namespace ember::io {

using namespace hdf5_support;

namespace {

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
  if (type_class == H5T_FLOAT && size == 2) {
    // NumPy's float16 as h5py writes it: IEEE binary16, read as its bits (this HDF5 has no
    // native half type), so its layout must be exactly that.
    std::size_t sign = 0, exponent_at = 0, exponent_bits = 0, mantissa_at = 0, mantissa_bits = 0;
    H5Tget_fields(file_type, &sign, &exponent_at, &exponent_bits, &mantissa_at, &mantissa_bits);
    const bool ieee_half = sign == 15 && exponent_at == 10 && exponent_bits == 5 &&
                           mantissa_at == 0 && mantissa_bits == 10 &&
                           H5Tget_ebias(file_type) == 15 && H5Tget_order(file_type) == H5T_ORDER_LE;
    if (!ieee_half) {
      read_error(file, object, "dataset of 2-byte floats that are not little-endian IEEE float16");
    }
    return {file_type, DType::float16};
  }
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
                 " bytes); ember reads float32, float64, float16, int32, int64, uint8 and bool"));
}

H5RawDataset read_dataset(hid_t dataset, const std::string& file, const std::string& object) {
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
  H5RawDataset out{dtype, std::vector<std::int64_t>(dims.begin(), dims.end()), {}};
  std::string data(static_cast<std::size_t>(bytes) + 1, '\0');
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
  data.resize(static_cast<std::size_t>(bytes));
  out.bytes = std::move(data);
  return out;
}

/// The strings of a string attribute, fixed-length or variable-length.
std::vector<std::string> read_strings(hid_t attribute, hid_t file_type, hid_t space, hssize_t count,
                                      const std::string& file, const std::string& object) {
  std::vector<std::string> out;
  // The counts and sizes come from the file: checked against what it stores before any buffer
  // is made (an attribute lives in its object's header, at most 64 KiB in files HDF5 writes,
  // except with dense attribute storage; 1 GiB is far past any Keras file).
  constexpr std::uint64_t kMostAttributeBytes = std::uint64_t{1} << 30;
  const std::uint64_t stored = H5Aget_storage_size(attribute);
  if (count < 0 || static_cast<std::uint64_t>(count) > kMostAttributeBytes / 8)
    read_error(file, object, cat("string attribute of ", count, " strings"));
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
  const std::uint64_t total = static_cast<std::uint64_t>(count) * size;  // count <= 2^27
  if (size == 0 || size > kMostAttributeBytes || total > kMostAttributeBytes || total > stored) {
    read_error(file, object,
               cat("string attribute of ", count, " x ", size, " bytes, ", stored,
                   " stored (truncated or corrupt file?)"));
  }
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

void read_attribute_into(hid_t location, const char* name, H5RawGroup& group,
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

void read_group(hid_t location, H5RawGroup& group, ReadContext& context);

void read_member_into(hid_t location, const char* name, const H5L_info_t& info, H5RawGroup& group,
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

using GroupAndContext = std::pair<H5RawGroup*, ReadContext*>;

herr_t read_attribute(hid_t location, const char* name, const H5A_info_t*, void* data) {
  // No structured binding: clang 14 (the fuzz build) cannot capture one in a lambda.
  H5RawGroup& group = *static_cast<GroupAndContext*>(data)->first;
  ReadContext& context = *static_cast<GroupAndContext*>(data)->second;
  return guarded(context, [&] { read_attribute_into(location, name, group, context); });
}

herr_t read_member(hid_t location, const char* name, const H5L_info_t* info, void* data) {
  H5RawGroup& group = *static_cast<GroupAndContext*>(data)->first;
  ReadContext& context = *static_cast<GroupAndContext*>(data)->second;
  return guarded(context, [&] { read_member_into(location, name, *info, group, context); });
}

void read_group(hid_t location, H5RawGroup& group, ReadContext& context) {
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

}  // namespace

namespace {

H5RawGroup read_open_file(hid_t opened, const std::string& name) {
  const Handle file(opened, H5Fclose);
  if (!file.valid())
    throw IoError(cat(name, ": cannot open the HDF5 file (truncated or corrupt?)"));
  const Handle group(H5Gopen2(file.get(), "/", H5P_DEFAULT), H5Gclose);
  if (!group.valid())
    throw IoError(cat(name, ": cannot open the root group (truncated or corrupt?)"));
  H5RawGroup root;
  ReadContext context{name, "", 0, nullptr};
  read_group(group.get(), root, context);
  return root;
}

}  // namespace

H5RawGroup read_hdf5_raw_file(const std::string& path, const std::string& name) {
  silence_hdf5();
  if (H5Fis_hdf5(path.c_str()) <= 0)
    throw IoError(cat(name, ": not an HDF5 file (no HDF5 signature)"));
  // libhdf5's default driver reads what it needs from the file, straight into the datasets.
  return read_open_file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), name);
}

H5RawGroup read_hdf5_raw(const std::string& bytes, const std::string& name) {
  silence_hdf5();
  if (!has_hdf5_signature(bytes))
    throw IoError(cat(name, ": not an HDF5 file (no HDF5 signature)"));
  const Handle access(memory_file_access(), H5Pclose);
  // H5Pset_file_image copies the bytes; the const_cast only suits its C signature.
  if (!access.valid() ||
      H5Pset_file_image(access.get(), const_cast<char*>(bytes.data()), bytes.size()) < 0) {
    throw IoError(cat(name, ": libhdf5 cannot take the file's ", bytes.size(), " bytes"));
  }
  return read_open_file(H5Fopen(kImageName, H5F_ACC_RDONLY, access.get()), name);
}

}  // namespace ember::io

#endif  // EMBER_WITH_HDF5
