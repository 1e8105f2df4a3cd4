// The globals a pickle may call, emulated without Python: numpy's array and dtype reconstruction
// (REDUCE, then BUILD with the state numpy's __reduce__ wrote), _codecs.encode, bytes and
// bytearray; and numpy arrays read from a pickle made into ember tensors.
#include <charconv>
#include <cstring>
#include <vector>

#include "core/error.h"
#include "core/tensor_impl.h"
#include "io/pickle_machine.h"

namespace ember::io {
namespace pickle_detail {
namespace {

struct Allowed {
  std::string_view module, name;
  Callable callable;
};

// numpy 2 moved numpy.core to numpy._core and pickles under the new name; Python 3 writes
// builtins as __builtin__ at protocols 0 to 2.
constexpr Allowed kAllowed[] = {
    {"numpy.core.multiarray", "_reconstruct", Callable::reconstruct},
    {"numpy._core.multiarray", "_reconstruct", Callable::reconstruct},
    {"numpy", "ndarray", Callable::ndarray_type},
    {"numpy", "dtype", Callable::dtype_type},
    {"numpy.core.numeric", "_frombuffer", Callable::frombuffer},
    {"numpy._core.numeric", "_frombuffer", Callable::frombuffer},
    {"_codecs", "encode", Callable::codecs_encode},
    {"builtins", "bytes", Callable::bytes_type},
    {"__builtin__", "bytes", Callable::bytes_type},
    {"builtins", "bytearray", Callable::bytearray_type},
    {"__builtin__", "bytearray", Callable::bytearray_type},
};

bool is_latin1(std::string_view encoding) {
  return encoding == "latin1" || encoding == "latin-1" || encoding == "latin_1";
}

bool has(const char* letters, char c) { return c != 0 && std::strchr(letters, c) != nullptr; }

}  // namespace

const char* callable_name(Callable c) {
  switch (c) {
    case Callable::reconstruct:
      return "numpy.core.multiarray._reconstruct";
    case Callable::ndarray_type:
      return "numpy.ndarray";
    case Callable::dtype_type:
      return "numpy.dtype";
    case Callable::frombuffer:
      return "numpy.core.numeric._frombuffer";
    case Callable::codecs_encode:
      return "_codecs.encode";
    case Callable::bytes_type:
      return "bytes";
    case Callable::bytearray_type:
      return "bytearray";
  }
  return "?";
}

std::uint32_t Machine::global(std::string_view module, std::string_view name) {
  for (const Allowed& a : kAllowed) {
    if (a.module == module && a.name == name) {
      return make(Tag::callable, static_cast<std::int64_t>(a.callable));
    }
  }
  fail(cat("forbidden global '", printable(module), ".", printable(name),
           "' (expected numpy's _reconstruct, ndarray, dtype or _frombuffer, _codecs.encode, "
           "bytes or bytearray)"));
}

std::uint32_t Machine::reduce(std::uint32_t callable, std::uint32_t args_node) {
  if (node(callable).tag != Tag::callable) {
    fail(cat("expected an allow-listed global to call, found ", describe(callable)));
  }
  if (node(args_node).tag != Tag::tuple) {
    fail(cat("expected an argument tuple, found ", describe(args_node)));
  }
  const std::vector<std::uint32_t> args = items(args_node);
  const auto which = static_cast<Callable>(node(callable).scalar);
  switch (which) {
    case Callable::reconstruct: {  // (numpy.ndarray, (0,), b'b'): BUILD brings the rest
      tuple_of(args_node, 3, "_reconstruct's arguments");
      if (node(args[0]).tag != Tag::callable ||
          Callable(node(args[0]).scalar) != Callable::ndarray_type) {
        fail(cat("_reconstruct: expected numpy.ndarray, found ", describe(args[0])));
      }
      if (node(args[1]).tag != Tag::tuple) {
        fail(cat("_reconstruct: expected a shape tuple, found ", describe(args[1])));
      }
      string_of(args[2], "_reconstruct's typecode");
      arrays_.emplace_back();
      return make(Tag::ndarray, 0, static_cast<std::uint32_t>(arrays_.size() - 1));
    }
    case Callable::ndarray_type:
      fail("numpy.ndarray may only be an argument of _reconstruct, not be called");
    case Callable::dtype_type:  // (descr, align, copy)
      tuple_of(args_node, 3, "numpy.dtype's arguments");
      flag_of(args[1], "numpy.dtype's align");
      flag_of(args[2], "numpy.dtype's copy");
      return make_dtype(args[0]);
    case Callable::frombuffer: {  // (buffer, dtype, shape, order)
      tuple_of(args_node, 4, "_frombuffer's arguments");
      const std::string_view order = string_of(args[3], "_frombuffer's order");
      if (order != "C" && order != "F") {
        fail(cat("_frombuffer: expected order 'C' or 'F', found '", printable(order), "'"));
      }
      arrays_.emplace_back();
      const auto array = make(Tag::ndarray, 0, static_cast<std::uint32_t>(arrays_.size() - 1));
      fill_array(arrays_.back(), args[2], args[1], order == "F", args[0]);
      return array;
    }
    case Callable::codecs_encode: {  // (str, 'latin1')
      tuple_of(args_node, 2, "_codecs.encode's arguments");
      const std::string_view encoding = string_of(args[1], "_codecs.encode's encoding");
      if (!is_latin1(encoding)) {
        fail(cat("_codecs.encode: expected encoding 'latin1', found '", printable(encoding), "'"));
      }
      return make_text(Tag::bytes, latin1(args[0], "_codecs.encode's text"));
    }
    case Callable::bytes_type:
    case Callable::bytearray_type:
      if (args.empty()) return make_text(Tag::bytes, "");
      if (args.size() == 1 && node(args[0]).tag == Tag::bytes) {
        return make_text(Tag::bytes, text(args[0]));
      }
      if (which == Callable::bytearray_type && args.size() == 2 &&
          is_latin1(string_of(args[1], "bytearray's encoding"))) {
        return make_text(Tag::bytes, latin1(args[0], "bytearray's text"));
      }
      fail(cat(callable_name(which), ": expected the arguments (), (bytes,) or (str, 'latin-1')"));
  }
  fail("unknown callable");
}

// numpy.dtype(descr, ...): descr is a kind letter and a size ("u1", "f8", "S5", "U3", "O8"); the
// byte order comes with BUILD.
std::uint32_t Machine::make_dtype(std::uint32_t descr_node) {
  const std::string_view descr = string_of(descr_node, "numpy.dtype's descr");
  DTypeInfo d;
  d.kind = descr.empty() ? 0 : descr[0];
  d.digits = std::string(descr.substr(descr.empty() ? 0 : 1));
  std::size_t size = 0;
  const auto [end, ec] = std::from_chars(d.digits.data(), d.digits.data() + d.digits.size(), size);
  const bool sized = ec == std::errc() && end == d.digits.data() + d.digits.size();
  if (d.kind == 'O' && (d.digits.empty() || d.digits == "4" || d.digits == "8")) {
    d.itemsize = 8;
  } else if (has("biufc", d.kind) && sized && size >= 1 && size <= 32) {
    d.itemsize = size;
  } else if (has("SUV", d.kind) && (sized || d.digits.empty()) && size < (std::size_t{1} << 30)) {
    d.itemsize = d.kind == 'U' ? 4 * size : size;
  } else {
    fail(cat("unsupported numpy dtype '", printable(descr),
             "' (expected a bool, int, uint, float, complex, bytes, str, void or object type)"));
  }
  d.order = d.itemsize == 1 || has("OSV", d.kind) ? '|' : '<';
  dtypes_.push_back(d);
  return make(Tag::dtype, 0, static_cast<std::uint32_t>(dtypes_.size() - 1));
}

void Machine::build(std::uint32_t target, std::uint32_t state) {
  if (node(target).tag == Tag::dtype) return build_dtype(dtypes_[node(target).ref], state);
  if (node(target).tag != Tag::ndarray) {
    fail(cat("expected a numpy.ndarray or numpy.dtype to BUILD, found ", describe(target)));
  }
  ArrayInfo& array = arrays_[node(target).ref];
  if (array.built) fail("expected a numpy.ndarray without state, found one already built");
  // numpy's state: (version, shape, dtype, is_fortran, data); the oldest omit the version.
  const std::size_t n = node(state).tag == Tag::tuple ? items(state).size() : 0;
  const std::vector<std::uint32_t> s = tuple_of(state, n == 4 ? 4 : 5, "numpy.ndarray's state");
  const std::size_t at = s.size() - 4;
  if (at == 1) integer_of(s[0], "numpy.ndarray's state version");
  fill_array(array, s[at], s[at + 1], flag_of(s[at + 2], "numpy.ndarray's is_fortran"), s[at + 3]);
}

// numpy.dtype's state: (3, byteorder, subarray, names, fields, elsize, alignment, flags), and
// version 4 adds metadata.
void Machine::build_dtype(DTypeInfo& dtype, std::uint32_t state) {
  const std::size_t n = node(state).tag == Tag::tuple ? items(state).size() : 0;
  const std::vector<std::uint32_t> s = tuple_of(state, n == 9 ? 9 : 8, "numpy.dtype's state");
  const std::int64_t version = integer_of(s[0], "numpy.dtype's state version");
  if (version != (s.size() == 9 ? 4 : 3)) {
    fail(cat("unsupported numpy.dtype state version ", version, " with ", s.size(), " fields"));
  }
  const std::string_view order = string_of(s[1], "numpy.dtype's byte order");
  if (order.size() != 1 || !has("<>|=", order[0])) {
    fail(cat("expected byte order '<', '>', '|' or '=', found '", printable(order), "'"));
  }
  if (node(s[2]).tag != Tag::none) fail("subarray dtypes are not supported");
  if (node(s[3]).tag != Tag::none || node(s[4]).tag != Tag::none) {
    fail("record dtypes (with names and fields) are not supported");
  }
  const std::int64_t elsize = integer_of(s[5], "numpy.dtype's elsize");
  if (has("SUV", dtype.kind)) {  // flexible types: the size is the state's
    if (elsize < 0 || elsize >= (std::int64_t{1} << 30)) fail(cat("bad dtype elsize ", elsize));
    dtype.itemsize = static_cast<std::size_t>(elsize);
    dtype.digits = std::to_string(dtype.kind == 'U' ? elsize / 4 : elsize);
  }
  dtype.order = order[0] == '=' ? '<' : order[0];
}

// Checks the array's shape, dtype and data against each other before anything refers to them.
void Machine::fill_array(ArrayInfo& array, std::uint32_t shape, std::uint32_t dtype, bool fortran,
                         std::uint32_t data) {
  if (node(shape).tag != Tag::tuple) fail(cat("expected a shape tuple, found ", describe(shape)));
  if (items(shape).size() > 64) fail(cat("rank ", items(shape).size(), " is above numpy's 64"));
  std::uint64_t elements = 1;
  for (const std::uint32_t d : items(shape)) {
    const std::int64_t dim = integer_of(d, "a shape entry");
    if (dim < 0) fail(cat("expected shape entries >= 0, found ", dim));
    if (dim != 0 && elements > std::uint64_t(INT64_MAX) / static_cast<std::uint64_t>(dim)) {
      fail("the shape's element count overflows int64");
    }
    elements *= static_cast<std::uint64_t>(dim);
    array.shape.push_back(dim);
  }
  if (node(dtype).tag != Tag::dtype) fail(cat("expected a numpy.dtype, found ", describe(dtype)));
  const DTypeInfo& d = dtypes_[node(dtype).ref];
  array.descr = d.kind == 'O' ? "|O" : cat(d.order, d.kind, d.digits);
  array.itemsize = d.itemsize;
  array.built = true;
  if (d.kind == 'O') {
    if (node(data).tag != Tag::list) {
      fail(cat("expected the object array's list, found ", describe(data)));
    }
    if (items(data).size() != elements) {
      fail(cat("the object array's list holds ", items(data).size(), " elements, its shape needs ",
               elements));
    }
    array.objects = items(data);  // numpy lists them in C order whatever the layout
    return;
  }
  array.fortran = fortran;
  if (node(data).tag == Tag::string) {  // a Python 2 str read as text: numpy takes it as latin-1
    data = make_text(Tag::bytes, latin1(data, "numpy.ndarray's data"));
  }
  if (node(data).tag != Tag::bytes) fail(cat("expected the array's bytes, found ", describe(data)));
  if (d.itemsize != 0 && elements > std::uint64_t(INT64_MAX) / d.itemsize) {
    fail("the array's byte count overflows int64");
  }
  if (elements * d.itemsize != text(data).size()) {
    fail(cat("ndarray data holds ", text(data).size(), " bytes, ", elements, " elements of ",
             array.descr, " need ", elements * d.itemsize));
  }
  array.data = data;
}

}  // namespace pickle_detail

namespace {

struct TensorType {
  const char* descr;
  DType dtype;
  std::size_t itemsize;  // in the pickle
};
constexpr TensorType kTensorTypes[] = {{"|u1", DType::uint8, 1},   {"|i1", DType::int32, 1},
                                       {"<i4", DType::int32, 4},   {"<i8", DType::int64, 8},
                                       {"<f4", DType::float32, 4}, {"<f8", DType::float64, 8},
                                       {"|b1", DType::bool_, 1}};

// Column-major element bytes in row-major order: element (i0, ..., ik) sits at sum(i_j * s_j)
// with s_0 = 1 and s_j = s_{j-1} * d_{j-1}.
std::string c_order(const std::string& data, const std::vector<std::int64_t>& shape,
                    std::size_t itemsize) {
  const std::size_t rank = shape.size();
  std::vector<std::int64_t> stride(rank, 1), index(rank, 0);
  for (std::size_t j = 1; j < rank; ++j) stride[j] = stride[j - 1] * shape[j - 1];
  std::string out(data.size(), '\0');
  for (std::size_t e = 0; e * itemsize < data.size(); ++e) {
    std::int64_t from = 0;
    for (std::size_t j = 0; j < rank; ++j) from += index[j] * stride[j];
    std::memcpy(&out[e * itemsize], &data[static_cast<std::size_t>(from) * itemsize], itemsize);
    for (std::size_t j = rank; j-- > 0;) {  // the next index in C order
      if (++index[j] < shape[j]) break;
      index[j] = 0;
    }
  }
  return out;
}

}  // namespace

Tensor pickle_array_to_tensor(const PickleValue& array, const std::string& name) {
  if (array.kind != PickleValue::Kind::ndarray) {
    throw IoError(cat(name, ": expected a numpy array, found a ", array.kind_name()));
  }
  const TensorType* type = nullptr;
  for (const TensorType& t : kTensorTypes) {
    if (array.dtype == t.descr) type = &t;
  }
  if (type == nullptr) {
    throw IoError(cat(name, ": unsupported numpy dtype '", array.dtype,
                      "' (expected |u1, |i1, <i4, <i8, <f4, <f8 or |b1, little-endian)"));
  }
  if (array.shape.size() > static_cast<std::size_t>(kMaxRank)) {
    throw IoError(cat(name, ": the array has rank ", array.shape.size(), ", above ember's maximum ",
                      kMaxRank));
  }
  std::uint64_t elements = 1;
  for (const std::int64_t d : array.shape) {
    if (d < 0 || (d != 0 && elements > std::uint64_t(INT64_MAX) / std::uint64_t(d))) {
      throw IoError(cat(name, ": bad array shape ", Shape(array.shape)));
    }
    elements *= static_cast<std::uint64_t>(d);
  }
  if (elements > array.data.size() || elements * type->itemsize != array.data.size()) {
    throw IoError(cat(name, ": the array's ", array.data.size(), " bytes do not fit its shape ",
                      Shape(array.shape), " of ", array.dtype));
  }
  const std::string ordered =
      array.fortran_order ? c_order(array.data, array.shape, type->itemsize) : std::string();
  const std::string& bytes = array.fortran_order ? ordered : array.data;
  if (type->dtype == DType::bool_) {
    for (const char c : bytes) {
      if (c != 0 && c != 1) throw IoError(cat(name, ": bool array holds a byte other than 0 or 1"));
    }
  }
  if (array.dtype == "|i1") {  // ember has no int8
    std::vector<std::int32_t> wide(bytes.size());
    for (std::size_t k = 0; k < bytes.size(); ++k) wide[k] = static_cast<std::int8_t>(bytes[k]);
    return detail::from_host(wide.data(), Shape(array.shape), DType::int32, default_device());
  }
  return detail::from_host(bytes.data(), Shape(array.shape), type->dtype, default_device());
}

}  // namespace ember::io
