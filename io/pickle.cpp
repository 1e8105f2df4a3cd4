// The pickle interpreter: input, stack, memo and containers, and the opcode switch. Text opcodes
// are in io/pickle_text.cpp, the globals in io/pickle_numpy.cpp, the value tree made at STOP in
// io/pickle_tree.cpp.
#include "io/pickle.h"

#include <bit>
#include <charconv>
#include <utility>

#include "core/error.h"
#include "io/pickle_machine.h"

namespace ember::io {
namespace pickle_detail {
namespace {

// Every opcode of Python's pickletools, the unsupported ones included, so that a message can
// name what a file asked for. (The table is packed by hand, clang-format would give a line each.)
struct Opcode {
  std::uint8_t code;
  const char* name;
};
// clang-format off
constexpr Opcode kOpcodes[] = {
    {'(', "MARK"}, {'.', "STOP"}, {'0', "POP"}, {'1', "POP_MARK"}, {'2', "DUP"}, {'F', "FLOAT"},
    {'I', "INT"}, {'J', "BININT"}, {'K', "BININT1"}, {'L', "LONG"}, {'M', "BININT2"},
    {'N', "NONE"}, {'P', "PERSID"}, {'Q', "BINPERSID"}, {'R', "REDUCE"}, {'S', "STRING"},
    {'T', "BINSTRING"}, {'U', "SHORT_BINSTRING"}, {'V', "UNICODE"}, {'X', "BINUNICODE"},
    {'a', "APPEND"}, {'b', "BUILD"}, {'c', "GLOBAL"}, {'d', "DICT"}, {'}', "EMPTY_DICT"},
    {'e', "APPENDS"}, {'g', "GET"}, {'h', "BINGET"}, {'i', "INST"}, {'j', "LONG_BINGET"},
    {'l', "LIST"}, {']', "EMPTY_LIST"}, {'o', "OBJ"}, {'p', "PUT"}, {'q', "BINPUT"},
    {'r', "LONG_BINPUT"}, {'s', "SETITEM"}, {'t', "TUPLE"}, {')', "EMPTY_TUPLE"},
    {'u', "SETITEMS"}, {'G', "BINFLOAT"}, {'B', "BINBYTES"}, {'C', "SHORT_BINBYTES"},
    {0x80, "PROTO"}, {0x81, "NEWOBJ"}, {0x82, "EXT1"}, {0x83, "EXT2"}, {0x84, "EXT4"},
    {0x85, "TUPLE1"}, {0x86, "TUPLE2"}, {0x87, "TUPLE3"}, {0x88, "NEWTRUE"}, {0x89, "NEWFALSE"},
    {0x8a, "LONG1"}, {0x8b, "LONG4"}, {0x8c, "SHORT_BINUNICODE"}, {0x8d, "BINUNICODE8"},
    {0x8e, "BINBYTES8"}, {0x8f, "EMPTY_SET"}, {0x90, "ADDITEMS"}, {0x91, "FROZENSET"},
    {0x92, "NEWOBJ_EX"}, {0x93, "STACK_GLOBAL"}, {0x94, "MEMOIZE"}, {0x95, "FRAME"},
    {0x96, "BYTEARRAY8"}, {0x97, "NEXT_BUFFER"}, {0x98, "READONLY_BUFFER"}};
// clang-format on

// "0x52 REDUCE", or "0xff" for a byte that is no opcode.
std::string opcode_label(std::uint8_t op) {
  const char* hex = "0123456789abcdef";
  std::string label = std::string("0x") + hex[op >> 4] + hex[op & 15];
  for (const Opcode& o : kOpcodes) {
    if (o.code == op) return label + " " + o.name;
  }
  return label;
}

bool is_opcode(std::uint8_t op) { return opcode_label(op).size() > 4; }

}  // namespace

void Machine::fail(const std::string& what) const {
  throw IoError(cat(name_, ": byte ", op_at_, " (opcode ", opcode_label(op_), "): ", what));
}

std::string_view Machine::take(std::uint64_t n) {
  if (n > remaining()) fail(cat("truncated: needs ", n, " more bytes, ", remaining(), " remain"));
  const std::string_view out = in_.substr(pos_, n);
  pos_ += n;
  return out;
}

std::uint64_t Machine::little_endian(int n) {
  const std::string_view b = take(n);
  std::uint64_t v = 0;
  for (int k = n - 1; k >= 0; --k) v = (v << 8) | static_cast<unsigned char>(b[k]);
  return v;
}

std::string_view Machine::line() {
  const std::size_t end = in_.find('\n', pos_);
  if (end == std::string_view::npos) fail("truncated: the argument's line has no end ('\\n')");
  const std::string_view out = in_.substr(pos_, end - pos_);
  pos_ = end + 1;
  return out;
}

// A length field, checked against the input before anything is allocated for it.
std::uint64_t Machine::length(std::uint64_t claimed) const {
  if (claimed > remaining())
    fail(cat("truncated or corrupt: claims ", claimed, " bytes, ", remaining(), " remain"));
  return claimed;
}

std::uint32_t Machine::make(Tag tag, std::int64_t scalar, std::uint32_t ref) {
  if (nodes_.size() >= limits_.max_items || nodes_.size() >= UINT32_MAX) {
    fail(cat("builds more than max_items (", limits_.max_items, ") objects"));
  }
  nodes_.push_back({tag, ref, scalar, op_at_});
  return static_cast<std::uint32_t>(nodes_.size() - 1);
}

std::uint32_t Machine::make_text(Tag tag, std::string text) {
  texts_.push_back(std::move(text));
  return make(tag, 0, static_cast<std::uint32_t>(texts_.size() - 1));
}

std::uint32_t Machine::make_list(Tag tag, std::vector<std::uint32_t> items) {
  lists_.push_back(std::move(items));
  return make(tag, 0, static_cast<std::uint32_t>(lists_.size() - 1));
}

// "list (made at byte 12)": what a message says a value is.
std::string Machine::describe(std::uint32_t i) const {
  const char* names[] = {"None", "bool",  "int",  "float",         "bytes",    "str",
                         "list", "tuple", "dict", "numpy.ndarray", "callable", "numpy.dtype"};
  const Node& n = node(i);
  const std::string what =
      n.tag == Tag::callable ? callable_name(Callable(n.scalar)) : names[static_cast<int>(n.tag)];
  return cat(what, " (made at byte ", n.offset, ")");
}

std::vector<std::uint32_t> Machine::tuple_of(std::uint32_t i, std::size_t n,
                                             const char* what) const {
  if (node(i).tag != Tag::tuple)
    fail(cat(what, ": expected a tuple of ", n, ", found ", describe(i)));
  if (items(i).size() != n) {
    fail(cat(what, ": expected a tuple of ", n, ", found one of ", items(i).size()));
  }
  return items(i);
}

std::int64_t Machine::integer_of(std::uint32_t i, const char* what) const {
  if (node(i).tag != Tag::integer) fail(cat(what, ": expected an int, found ", describe(i)));
  return node(i).scalar;
}

// numpy's flags are bools, or ints 0 and 1 in Python 2 pickles.
bool Machine::flag_of(std::uint32_t i, const char* what) const {
  const Node& n = node(i);
  if ((n.tag != Tag::boolean && n.tag != Tag::integer) || n.scalar < 0 || n.scalar > 1) {
    fail(cat(what, ": expected a bool, found ", describe(i)));
  }
  return n.scalar != 0;
}

// Python 2 writes names and descrs as str (bytes here), Python 3 as str (UTF-8 here).
std::string_view Machine::string_of(std::uint32_t i, const char* what) const {
  if (node(i).tag != Tag::string && node(i).tag != Tag::bytes) {
    fail(cat(what, ": expected a string, found ", describe(i)));
  }
  return text(i);
}

// Python's unpickler sees only the values above the last MARK; so does this one.
std::uint32_t Machine::pop() {
  if (stack_.size() <= base()) {
    fail(marks_.empty() ? "stack underflow: expected a value, the stack is empty"
                        : "stack underflow: expected a value above the last MARK, found none");
  }
  const std::uint32_t i = stack_.back();
  stack_.pop_back();
  return i;
}

std::uint32_t Machine::top() {
  const std::uint32_t i = pop();
  stack_.push_back(i);
  return i;
}

std::vector<std::uint32_t> Machine::pop_mark() {
  if (marks_.empty()) fail("MARK missing: expected a MARK on the stack, found none");
  std::vector<std::uint32_t> items(stack_.begin() + static_cast<std::ptrdiff_t>(base()),
                                   stack_.end());
  stack_.resize(base());
  marks_.pop_back();
  return items;
}

PickleValue Machine::run() {
  while (true) {
    op_at_ = pos_;
    op_ = 0;
    if (remaining() == 0) fail("truncated: expected an opcode, the data ends before STOP");
    op_ = static_cast<std::uint8_t>(in_[pos_++]);
    if (op_ == '.') break;
    step(op_);
  }
  if (stack_.size() != 1 || !marks_.empty()) {
    fail(cat("expected one value on the stack and no MARK, found ", stack_.size(), " values and ",
             marks_.size(), " MARKs"));
  }
  if (remaining() != 0) fail(cat(remaining(), " bytes follow STOP (expected the end of the data)"));
  references_.assign(nodes_.size(), 0);
  visits_.assign(nodes_.size(), 0);
  extents_.assign(nodes_.size(), {});
  check_limits(measure(stack_[0], 0));
  std::vector<std::uint8_t>().swap(visits_);  // tree() needs neither: free them before it allocates
  std::vector<Extent>().swap(extents_);
  return tree(stack_[0], true);
}

void Machine::step(std::uint8_t op) {
  switch (op) {
    case 0x80: {  // PROTO
      const auto version = static_cast<unsigned char>(take(1)[0]);
      if (version > 5) fail(cat("unsupported protocol ", int(version), " (expected 0 to 5)"));
      return;
    }
    case 0x95:  // FRAME: only a read-ahead hint
      length(little_endian(8));
      return;
    case '(':
      marks_.push_back(stack_.size());
      return;
    case '0':  // POP: with nothing above the last MARK, Python pops the MARK
      if (stack_.size() > base()) {
        stack_.pop_back();
      } else {
        pop_mark();
      }
      return;
    case '1':
      pop_mark();
      return;
    case '2':
      push(top());
      return;
    case 'N':
      push(make(Tag::none));
      return;
    case 0x88:
      push(make(Tag::boolean, 1));
      return;
    case 0x89:
      push(make(Tag::boolean, 0));
      return;
    case 'I':
      push_int_text(line());
      return;
    case 'J':
      push(make(Tag::integer, signed32()));
      return;
    case 'K':
      push(make(Tag::integer, static_cast<std::int64_t>(little_endian(1))));
      return;
    case 'M':
      push(make(Tag::integer, static_cast<std::int64_t>(little_endian(2))));
      return;
    case 'L': {
      std::string_view t = line();
      if (!t.empty() && t.back() == 'L') t.remove_suffix(1);  // Python 2 writes 123L
      push_int_text(t);
      return;
    }
    case 0x8a:
      push_long(take(little_endian(1)));
      return;
    case 0x8b: {
      const std::int64_t n = signed32();
      if (n < 0) fail(cat("LONG4 length ", n, " is negative"));
      push_long(take(length(static_cast<std::uint64_t>(n))));
      return;
    }
    case 'G': {
      const std::string_view b = take(8);
      std::uint64_t bits = 0;
      for (char c : b) bits = (bits << 8) | static_cast<unsigned char>(c);  // big-endian
      push(make(Tag::floating, std::bit_cast<std::int64_t>(bits)));
      return;
    }
    case 'F':
      push_float_text(line());
      return;
    case 'S':
      push_quoted_string(line());
      return;
    case 'U':
    case 'C':  // SHORT_BINSTRING (a Python 2 str), SHORT_BINBYTES
      push(make_text(Tag::bytes, std::string(take(little_endian(1)))));
      return;
    case 'T': {
      const std::int64_t n = signed32();
      if (n < 0) fail(cat("BINSTRING length ", n, " is negative"));
      push(make_text(Tag::bytes, std::string(take(length(static_cast<std::uint64_t>(n))))));
      return;
    }
    case 'B':
      push(make_text(Tag::bytes, std::string(take(length(little_endian(4))))));
      return;
    case 0x8e:
    case 0x96:  // BINBYTES8, BYTEARRAY8 (a bytearray reads as bytes)
      push(make_text(Tag::bytes, std::string(take(length(little_endian(8))))));
      return;
    case 0x8c:
      push_unicode(take(little_endian(1)));
      return;
    case 'X':
      push_unicode(take(length(little_endian(4))));
      return;
    case 0x8d:
      push_unicode(take(length(little_endian(8))));
      return;
    case 'V':
      push_raw_unicode_escape(line());
      return;
    case ']':
      push(make_list(Tag::list, {}));
      return;
    case 'a': {
      const std::uint32_t v = pop();
      append(top(), {v});
      return;
    }
    case 'e': {
      const std::vector<std::uint32_t> values = pop_mark();
      append(top(), values);
      return;
    }
    case 'l':
      push(make_list(Tag::list, pop_mark()));
      return;
    case ')':
      push(make_list(Tag::tuple, {}));
      return;
    case 't':
      push(make_list(Tag::tuple, pop_mark()));
      return;
    case 0x85:
    case 0x86:
    case 0x87: {  // TUPLE1, TUPLE2, TUPLE3
      std::vector<std::uint32_t> t(op - 0x84);
      for (std::size_t k = t.size(); k-- > 0;) t[k] = pop();
      push(make_list(Tag::tuple, std::move(t)));
      return;
    }
    case '}':
      push(make_list(Tag::dict, {}));
      return;
    case 'd': {
      const std::vector<std::uint32_t> pairs = pop_mark();
      push(make_list(Tag::dict, {}));
      set_items(top(), pairs);
      return;
    }
    case 's': {
      const std::uint32_t value = pop();
      const std::uint32_t key = pop();
      set_items(top(), {key, value});
      return;
    }
    case 'u': {
      const std::vector<std::uint32_t> pairs = pop_mark();
      set_items(top(), pairs);
      return;
    }
    case 'p':
      put(memo_key(line()));
      return;
    case 'q':
      put(little_endian(1));
      return;
    case 'r':
      put(little_endian(4));
      return;
    case 0x94:
      put(memo_.size());
      return;  // MEMOIZE
    case 'g':
      get(memo_key(line()));
      return;
    case 'h':
      get(little_endian(1));
      return;
    case 'j':
      get(little_endian(4));
      return;
    case 'c': {
      const std::string_view module = line();
      push(global(module, line()));
      return;
    }
    case 0x93: {  // STACK_GLOBAL
      const std::uint32_t name = pop();
      const std::uint32_t module = pop();
      if (node(name).tag != Tag::string || node(module).tag != Tag::string) {
        fail(cat("expected two str (module, name), found ", describe(module), " and ",
                 describe(name)));
      }
      push(global(text(module), text(name)));
      return;
    }
    case 'R': {
      const std::uint32_t args = pop();
      const std::uint32_t callable = pop();
      push(reduce(callable, args));
      return;
    }
    case 'b': {
      const std::uint32_t state = pop();
      build(top(), state);
      return;
    }
  }
  if (!is_opcode(op)) fail("unknown opcode (not a pickle, or a corrupt one)");
  fail("forbidden opcode: ember reads plain data and numpy arrays only, and builds no objects");
}

// LONG1/LONG4: little-endian two's complement of any length; bytes above the eighth may only
// repeat the sign.
void Machine::push_long(std::string_view b) {
  std::size_t n = b.size();
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(b[k]); };
  const bool negative = n > 0 && (byte(n - 1) & 0x80);
  while (n > 8 && byte(n - 1) == (negative ? 0xff : 0x00) &&
         ((byte(n - 2) & 0x80) != 0) == negative) {
    --n;
  }
  if (n > 8) fail(cat("a ", b.size(), "-byte int does not fit in int64"));
  std::uint64_t v = negative ? ~std::uint64_t{0} : 0;
  for (std::size_t k = n; k-- > 0;) v = (v << 8) | byte(k);
  push(make(Tag::integer, static_cast<std::int64_t>(v)));
}

std::uint64_t Machine::memo_key(std::string_view t) const {
  std::uint64_t key = 0;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), key);
  if (ec != std::errc() || end != t.data() + t.size() || t.empty()) {
    fail(cat("expected a memo index, found '", printable(t), "'"));
  }
  return key;
}

void Machine::put(std::uint64_t key) {
  const std::uint32_t value = top();
  if (memo_.size() >= limits_.max_items && !memo_.contains(key)) {
    fail(cat("the memo grows past max_items (", limits_.max_items, ")"));
  }
  memo_[key] = value;
}

void Machine::get(std::uint64_t key) {
  const auto it = memo_.find(key);
  if (it == memo_.end()) {
    fail(cat("memo index ", key, " not found (the memo holds ", memo_.size(), " entries)"));
  }
  push(it->second);
}

void Machine::append(std::uint32_t list, const std::vector<std::uint32_t>& values) {
  if (node(list).tag != Tag::list)
    fail(cat("expected a list to append to, found ", describe(list)));
  std::vector<std::uint32_t>& items = lists_[node(list).ref];
  items.insert(items.end(), values.begin(), values.end());
}

void Machine::set_items(std::uint32_t dict, const std::vector<std::uint32_t>& pairs) {
  if (node(dict).tag != Tag::dict)
    fail(cat("expected a dict to set items in, found ", describe(dict)));
  if (pairs.size() % 2 != 0) {
    fail(cat("expected keys and values in pairs above the MARK, found ", pairs.size(), " values"));
  }
  std::vector<std::uint32_t>& items = lists_[node(dict).ref];
  items.insert(items.end(), pairs.begin(), pairs.end());
}

}  // namespace pickle_detail

PickleValue read_pickle(std::string_view bytes, const std::string& name,
                        const PickleLimits& limits) {
  return pickle_detail::Machine(bytes, name, limits).run();
}

}  // namespace ember::io
