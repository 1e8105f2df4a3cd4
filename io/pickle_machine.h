// The pickle interpreter behind io/pickle.h (internal to io/): its tables and stack, shared by
// io/pickle.cpp (opcodes, memo), io/pickle_text.cpp (numbers and strings written as text or
// UTF-8), io/pickle_numpy.cpp (the allow-listed globals) and io/pickle_tree.cpp (the value).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "io/pickle.h"

namespace ember::io::pickle_detail {

/// The globals a pickle may name: the functions numpy's pickles call, emulated.
enum class Callable : std::uint8_t {
  reconstruct,     // numpy's _reconstruct(ndarray, shape, typecode): an array waiting for BUILD
  ndarray_type,    // numpy.ndarray, only as _reconstruct's argument
  dtype_type,      // numpy.dtype(descr, align, copy), then BUILD with the byte order
  frombuffer,      // numpy's _frombuffer(buffer, dtype, shape, order): protocol 5 arrays
  codecs_encode,   // _codecs.encode(str, 'latin1'): Python 3 bytes at protocol 2
  bytes_type,      // bytes(): Python 3 empty bytes at protocol 2
  bytearray_type,  // bytearray(bytes) or bytearray(str, 'latin-1')
};
const char* callable_name(Callable c);

// While reading, objects live in tables and refer to each other by index, so that the memo and
// the stack share them the way Python's references do (a list appended to after it was memoized
// is the same list everywhere). The tree is made at STOP.
enum class Tag : std::uint8_t {
  none,
  boolean,
  integer,
  floating,
  bytes,
  string,
  list,
  tuple,
  dict,
  ndarray,
  callable,
  dtype
};

struct Node {
  Tag tag = Tag::none;
  std::uint32_t ref = 0;    // index into texts_, lists_, arrays_ or dtypes_, by tag
  std::int64_t scalar = 0;  // bool, int, the double's bits, or the Callable
  std::size_t offset = 0;   // the opcode that made it, for messages
};

struct DTypeInfo {
  char kind = 0;       // numpy's kind letter: b i u f c S U V O
  std::string digits;  // the size in the descr: bytes, or characters for U
  char order = '|';    // '<', '>' or '|' ('=' resolved to '<': ember runs little-endian)
  std::size_t itemsize = 0;
};

struct ArrayInfo {
  bool built = false;
  std::string descr;
  std::size_t itemsize = 0;
  std::vector<std::int64_t> shape;
  bool fortran = false;
  std::uint32_t data = 0;              // the bytes node, for every dtype but object
  std::vector<std::uint32_t> objects;  // the elements of an object array
};

/// File contents quoted in a message: control bytes escaped and the length capped, so that a
/// hostile file cannot fill a log or a terminal.
std::string printable(std::string_view s);
/// One UTF-8 code point from s[i...], advancing i; false for a malformed sequence.
bool next_code_point(std::string_view s, std::size_t& i, char32_t& cp);

class Machine {
 public:
  Machine(std::string_view in, const std::string& name, const PickleLimits& limits)
      : in_(in), name_(name), limits_(limits) {}

  /// Interprets the opcodes up to STOP and returns the value as a tree.
  PickleValue run();

 private:
  [[noreturn]] void fail(const std::string& what) const;
  // Input.
  std::size_t remaining() const { return in_.size() - pos_; }
  std::string_view take(std::uint64_t n);
  std::uint64_t little_endian(int n);
  std::int64_t signed32() { return static_cast<std::int32_t>(little_endian(4)); }
  std::string_view line();
  std::uint64_t length(std::uint64_t claimed) const;
  // Objects.
  std::uint32_t make(Tag tag, std::int64_t scalar = 0, std::uint32_t ref = 0);
  std::uint32_t make_text(Tag tag, std::string text);
  std::uint32_t make_list(Tag tag, std::vector<std::uint32_t> items);
  const Node& node(std::uint32_t i) const { return nodes_[i]; }
  const std::string& text(std::uint32_t i) const { return texts_[nodes_[i].ref]; }
  const std::vector<std::uint32_t>& items(std::uint32_t i) const { return lists_[nodes_[i].ref]; }
  std::string describe(std::uint32_t i) const;
  std::vector<std::uint32_t> tuple_of(std::uint32_t i, std::size_t n, const char* what) const;
  std::int64_t integer_of(std::uint32_t i, const char* what) const;
  bool flag_of(std::uint32_t i, const char* what) const;
  std::string_view string_of(std::uint32_t i, const char* what) const;
  std::string latin1(std::uint32_t i, const char* what) const;
  // Stack.
  std::size_t base() const { return marks_.empty() ? 0 : marks_.back(); }
  void push(std::uint32_t i) { stack_.push_back(i); }
  std::uint32_t pop();
  std::uint32_t top();
  std::vector<std::uint32_t> pop_mark();
  // Opcodes (io/pickle.cpp).
  void step(std::uint8_t op);
  void push_long(std::string_view bytes);
  void put(std::uint64_t key);
  void get(std::uint64_t key);
  std::uint64_t memo_key(std::string_view text) const;
  void append(std::uint32_t list, const std::vector<std::uint32_t>& values);
  void set_items(std::uint32_t dict, const std::vector<std::uint32_t>& pairs);
  // Text opcodes (io/pickle_text.cpp).
  void push_int_text(std::string_view text);
  void push_float_text(std::string_view text);
  void push_quoted_string(std::string_view text);
  void push_raw_unicode_escape(std::string_view text);
  void push_unicode(std::string_view utf8);
  // Globals (io/pickle_numpy.cpp).
  std::uint32_t global(std::string_view module, std::string_view name);
  std::uint32_t reduce(std::uint32_t callable, std::uint32_t args);
  std::uint32_t make_dtype(std::uint32_t descr);
  void build(std::uint32_t target, std::uint32_t state);
  void build_dtype(DTypeInfo& dtype, std::uint32_t state);
  void fill_array(ArrayInfo& array, std::uint32_t shape, std::uint32_t dtype, bool fortran,
                  std::uint32_t data);
  // The tree (io/pickle_tree.cpp).
  struct Extent {
    std::uint64_t items = 0, bytes = 0, height = 0;  // of the subtree, memo references expanded
  };
  Extent measure(std::uint32_t i, std::size_t depth);
  void check_limits(const Extent& e) const;
  PickleValue tree(std::uint32_t i, bool unique);
  std::string take_text(std::uint32_t i, bool unique);

  std::string_view in_;
  const std::string& name_;
  const PickleLimits& limits_;
  std::size_t pos_ = 0;
  std::size_t op_at_ = 0;
  std::uint8_t op_ = 0;
  std::vector<Node> nodes_;
  std::vector<std::string> texts_;
  std::vector<std::vector<std::uint32_t>> lists_;
  std::vector<ArrayInfo> arrays_;
  std::vector<DTypeInfo> dtypes_;
  std::vector<std::uint32_t> stack_;
  std::vector<std::size_t> marks_;  // stack sizes at each MARK (Python's metastack)
  std::unordered_map<std::uint64_t, std::uint32_t> memo_;
  // At STOP, per node: the references to it from the value, whether measure() is inside it (1)
  // or done with it (2), and its extent.
  std::vector<std::uint32_t> references_;
  std::vector<std::uint8_t> visits_;
  std::vector<Extent> extents_;
};

}  // namespace ember::io::pickle_detail
