// Python pickles, read without Python and without running anything: a pickle is a program for a
// stack machine, and a file from the network is hostile input, so this reader interprets only the
// opcodes that plain data needs (protocols 0 to 5) and calls nothing but an allow-list of numpy
// reconstruction functions, which it emulates. It reads Keras' CIFAR-10/100 batches (Python 2
// cPickle dicts of bytes, lists and a uint8 array) and the object arrays of imdb.npz.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/tensor.h"

namespace ember::io {

/// One value of a pickle, a tree (the memo's shared references are copied; see read_pickle).
struct PickleValue {
  enum class Kind { none, boolean, integer, floating, bytes, string, list, tuple, dict, ndarray };
  Kind kind = Kind::none;
  bool boolean = false;
  std::int64_t integer = 0;
  double floating = 0;
  /// bytes: the raw bytes (Python 2 `str` and `bytearray` are bytes too); string: UTF-8.
  std::string text;
  /// list / tuple: the elements. dict: keys and values alternating (k0, v0, k1, v1, ...) in the
  /// pickle's order; a key set twice appears twice, and find() returns the later value, as Python
  /// would. ndarray of dtype "|O": the elements in C order (numpy lists them that way whatever
  /// the array's layout, so fortran_order is always false for these).
  std::vector<PickleValue> items;
  /// list / tuple of ints only, when read with PickleLimits::compact_int_lists: the ints, here
  /// instead of in `items` (8 bytes each instead of a PickleValue's 176). int_values() reads both.
  std::vector<std::int64_t> integers;
  /// ndarray: numpy's descr string ("|u1", "<i8", ">f4", "|S5", "|O") ...
  std::string dtype;
  /// ... its dimensions (every one >= 0) ...
  std::vector<std::int64_t> shape;
  /// ... whether `data` lists the elements in Fortran (column-major) order ...
  bool fortran_order = false;
  /// ... and the raw element bytes for every dtype but "|O": elements x itemsize of them.
  std::string data;

  /// The value of a dict's key given as bytes or string; nullptr when absent or not a dict.
  const PickleValue* find(std::string_view key) const;
  /// find(), throwing IoError naming the file `name` when `key` is absent or this is not a dict.
  const PickleValue& at(std::string_view key, const std::string& name) const;
  /// The integer (a bool counts, as in Python); throws IoError naming `name` for anything else.
  std::int64_t as_int(const std::string& name) const;
  /// The ints of a list or tuple, from `integers` or `items` (bools count); IoError naming
  /// `name` for anything else in it.
  std::vector<std::int64_t> int_values(const std::string& name) const;
  /// The number of elements of a list, tuple or object array, in either form.
  std::size_t size() const { return items.empty() ? integers.size() : items.size(); }
  /// Python's name of the kind, for messages: "int", "bytes", "dict", "numpy.ndarray", ...
  const char* kind_name() const;
};

/// Bounds on what a pickle may make the reader build; nothing is allocated on a size that the
/// file merely claims (every length is checked against the bytes that remain first).
struct PickleLimits {
  /// Levels of containers (list, tuple, dict, object array) below the top value. Reading and
  /// destroying a PickleValue recurse once per level (a few hundred bytes of stack each), so keep
  /// this in the thousands at most.
  std::size_t max_depth = 64;
  /// Objects built while reading, and values in the result.
  std::size_t max_items = std::size_t{1} << 26;
  /// Bytes of text and array data in the result. Each memo reference (GET) of a value copies it
  /// into the tree, so a small pickle could otherwise ask for any amount of memory.
  std::size_t max_bytes = std::size_t{1} << 32;
  /// Keep a list or tuple made of ints only as `integers`, not as PickleValues: imdb's 12
  /// million word indices then take 100 MB instead of 2 GB.
  bool compact_int_lists = false;
};

/// Reads the pickle that makes up all of `bytes` (bytes after STOP are an error: they mean a
/// corrupt or concatenated file) into a value tree. Supported: protocols 0 to 5 with the opcodes
/// of None, bool, int (to int64), float, bytes/str (Python 2 `str` as bytes), bytearray, list,
/// tuple, dict, the memo, and GLOBAL/STACK_GLOBAL + REDUCE/BUILD of only these globals:
/// numpy.core.multiarray._reconstruct, numpy.ndarray, numpy.dtype (numpy._core.* alike),
/// numpy.core.numeric._frombuffer (protocol 5 arrays), _codecs.encode (latin-1 only: Python 3's
/// bytes at protocol 2), bytes and bytearray (builtins or __builtin__). Record, subarray and
/// datetime dtypes are rejected. `name` (the file's name) starts every message. Throws IoError
/// naming the byte offset and opcode, expected vs found, for: an unknown or forbidden opcode, a
/// forbidden global ("module.name"), truncated data, a length claiming more bytes than remain,
/// stack underflow, a missing MARK, a missing memo entry, an int beyond int64, nesting deeper than
/// max_depth, a value that contains itself, exceeded limits, and an ndarray whose shape, dtype and
/// data size disagree (negative dims, overflowing products included).
PickleValue read_pickle(std::string_view bytes, const std::string& name,
                        const PickleLimits& limits = {});

/// An ndarray PickleValue of dtype |u1 |i1 <i4 <i8 <f4 <f8 |b1 as a tensor on default_device():
/// |i1 is widened to int32 (ember has no int8); Fortran-ordered data is reordered to C order.
/// Throws IoError naming `name` for another kind or dtype (big-endian included), a rank above
/// ember's maximum, a data size that disagrees with the shape, or a bool byte other than 0 or 1.
Tensor pickle_array_to_tensor(const PickleValue& array, const std::string& name);

}  // namespace ember::io
