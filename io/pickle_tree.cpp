// The value a pickle leaves at STOP, made into a PickleValue tree after a first pass has bounded
// its size; and PickleValue's accessors.
#include <algorithm>
#include <bit>
#include <utility>

#include "core/error.h"
#include "io/pickle_machine.h"

namespace ember::io {
namespace pickle_detail {

using Kind = PickleValue::Kind;

// The first pass over the value, before anything is allocated for it: its size with every memo
// reference expanded (a few bytes of GETs can stand for an exponential tree), whether it contains
// itself, and how many places refer to each node, so that the tree can move text out of a node
// that only one place refers to.
Machine::Extent Machine::measure(std::uint32_t i, std::size_t depth) {
  ++references_[i];
  if (visits_[i] == 2) return extents_[i];
  if (visits_[i] == 1) fail(cat("the value contains itself: ", describe(i)));
  if (depth > limits_.max_depth) {
    fail(cat("the value nests deeper than max_depth (", limits_.max_depth, ") at ", describe(i)));
  }
  visits_[i] = 1;
  constexpr std::uint64_t kCap = std::uint64_t{1} << 62;  // saturates: no overflow, still > limits
  Extent e{1, 0, 0};
  const auto add = [&](const Extent& child) {
    e.items = std::min(kCap, e.items + child.items);
    e.bytes = std::min(kCap, e.bytes + child.bytes);
    e.height = std::max(e.height, child.height + 1);
  };
  const Node& n = node(i);
  if (n.tag == Tag::bytes || n.tag == Tag::string) e.bytes = text(i).size();
  if (n.tag == Tag::list || n.tag == Tag::tuple || n.tag == Tag::dict) {
    for (const std::uint32_t child : items(i)) add(measure(child, depth + 1));
  } else if (n.tag == Tag::ndarray && arrays_[n.ref].built) {
    const ArrayInfo& a = arrays_[n.ref];
    if (a.descr != "|O") {
      ++references_[a.data];
      e.bytes = text(a.data).size();
    }
    for (const std::uint32_t child : a.objects) add(measure(child, depth + 1));
  }
  visits_[i] = 2;
  return extents_[i] = e;
}

void Machine::check_limits(const Extent& e) const {
  if (e.height > limits_.max_depth) {
    fail(cat("the value nests ", e.height, " levels deep, above max_depth (", limits_.max_depth,
             ")"));
  }
  if (e.items > limits_.max_items) {
    fail(cat("the value holds ", e.items, " values, above max_items (", limits_.max_items, ")"));
  }
  if (e.bytes > limits_.max_bytes) {
    fail(cat("the value holds ", e.bytes, " bytes, above max_bytes (", limits_.max_bytes, ")"));
  }
}

// Text is moved out when this place of the tree is the only one that reaches it, else copied.
std::string Machine::take_text(std::uint32_t i, bool unique) {
  std::string& t = texts_[node(i).ref];
  return unique && references_[i] == 1 ? std::move(t) : t;
}

// `unique`: every node on the path from the top has one reference, so this one is made once.
// measure() has bounded the depth, the values and the bytes.
PickleValue Machine::tree(std::uint32_t i, bool unique) {
  const Node& n = node(i);
  unique = unique && references_[i] == 1;
  PickleValue v;
  const auto children = [&](Kind kind, const std::vector<std::uint32_t>& list) {
    v.kind = kind;
    v.items.reserve(list.size());
    for (const std::uint32_t child : list) v.items.push_back(tree(child, unique));
  };
  switch (n.tag) {
    case Tag::none:
      break;
    case Tag::boolean:
      v.kind = Kind::boolean;
      v.boolean = n.scalar != 0;
      break;
    case Tag::integer:
      v.kind = Kind::integer;
      v.integer = n.scalar;
      break;
    case Tag::floating:
      v.kind = Kind::floating;
      v.floating = std::bit_cast<double>(n.scalar);
      break;
    case Tag::bytes:
    case Tag::string:
      v.kind = n.tag == Tag::bytes ? Kind::bytes : Kind::string;
      v.text = take_text(i, unique);
      break;
    case Tag::list:
    case Tag::tuple: {
      const Kind kind = n.tag == Tag::list ? Kind::list : Kind::tuple;
      const std::vector<std::uint32_t>& list = items(i);
      const bool ints_only =
          !list.empty() && std::all_of(list.begin(), list.end(), [&](std::uint32_t c) {
            return node(c).tag == Tag::integer;
          });
      if (limits_.compact_int_lists && ints_only) {
        v.kind = kind;
        v.integers.reserve(list.size());
        for (const std::uint32_t child : list) v.integers.push_back(node(child).scalar);
      } else {
        children(kind, list);
      }
      break;
    }
    case Tag::dict:
      children(Kind::dict, items(i));
      break;
    case Tag::ndarray: {
      const ArrayInfo& a = arrays_[n.ref];
      if (!a.built) fail(cat("expected an array's BUILD state, found none for ", describe(i)));
      if (a.descr == "|O") {
        children(Kind::ndarray, a.objects);
      } else {
        v.kind = Kind::ndarray;
        v.data = take_text(a.data, unique);
      }
      v.dtype = a.descr;
      v.shape = a.shape;
      v.fortran_order = a.fortran;
      break;
    }
    case Tag::callable:
    case Tag::dtype:
      fail(cat("expected data in the value, found ", describe(i)));
  }
  return v;
}

}  // namespace pickle_detail

const char* PickleValue::kind_name() const {
  switch (kind) {
    case Kind::none:
      return "None";
    case Kind::boolean:
      return "bool";
    case Kind::integer:
      return "int";
    case Kind::floating:
      return "float";
    case Kind::bytes:
      return "bytes";
    case Kind::string:
      return "str";
    case Kind::list:
      return "list";
    case Kind::tuple:
      return "tuple";
    case Kind::dict:
      return "dict";
    case Kind::ndarray:
      return "numpy.ndarray";
  }
  return "?";
}

const PickleValue* PickleValue::find(std::string_view key) const {
  if (kind != Kind::dict) return nullptr;
  for (std::size_t k = items.size() / 2; k-- > 0;) {  // the last one set wins, as in Python
    const PickleValue& candidate = items[2 * k];
    if ((candidate.kind == Kind::bytes || candidate.kind == Kind::string) &&
        candidate.text == key) {
      return &items[2 * k + 1];
    }
  }
  return nullptr;
}

const PickleValue& PickleValue::at(std::string_view key, const std::string& name) const {
  if (kind != Kind::dict) throw IoError(cat(name, ": expected a dict, found a ", kind_name()));
  const PickleValue* v = find(key);
  if (v == nullptr) {
    throw IoError(cat(name, ": expected the key '", pickle_detail::printable(key),
                      "' in the dict, found no such key"));
  }
  return *v;
}

std::vector<std::int64_t> PickleValue::int_values(const std::string& name) const {
  if (kind != Kind::list && kind != Kind::tuple) {
    throw IoError(cat(name, ": expected a list of ints, found a ", kind_name()));
  }
  if (items.empty()) return integers;
  std::vector<std::int64_t> values;
  values.reserve(items.size());
  for (const PickleValue& item : items) values.push_back(item.as_int(name));
  return values;
}

std::int64_t PickleValue::as_int(const std::string& name) const {
  if (kind == Kind::boolean) return boolean ? 1 : 0;
  if (kind != Kind::integer) throw IoError(cat(name, ": expected an int, found a ", kind_name()));
  return integer;
}

}  // namespace ember::io
