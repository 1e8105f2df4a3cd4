// Printing tensors the way TensorFlow prints them, which is NumPy's str() of the values:
//   ember.Tensor([1 2 3], shape=(3,), dtype=int32)
//   ember.Tensor(
//   [[1.  2.5]
//    [3.  4. ]], shape=(2, 2), dtype=float32)
// NumPy's defaults are followed: precision 8 (shortest round-trip digits), fixed or scientific
// notation chosen per tensor, columns padded to one width, lines wrapped at 75 characters, and
// tensors of more than 1000 elements elided to 3 items at each edge.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "core/tensor_impl.h"

namespace ember {
namespace {

constexpr int kPrecision = 8;
constexpr int kLineWidth = 75;
constexpr std::int64_t kThreshold = 1000;
constexpr std::int64_t kEdgeItems = 3;

// Shortest "%.Ng" that reads back as the same value in its own type.
template <class T>
std::string shortest(T v) {
  char buffer[64];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(buffer, sizeof buffer, "%.*e", digits - 1, static_cast<double>(v));
    if (static_cast<T>(std::strtod(buffer, nullptr)) == v) break;
  }
  return buffer;  // d.ddde±XX
}

// C++'s default float output ("%g", 6 significant digits; "inf", "-inf", "nan"): how ml_dtypes
// prints a bfloat16.
std::string general(BFloat16 v) {
  const float f = static_cast<float>(v);
  if (std::isnan(f)) return "nan";
  if (std::isinf(f)) return f < 0 ? "-inf" : "inf";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", static_cast<double>(f));
  return buffer;
}

struct Decimal {  // a value as sign, digit string and decimal exponent: 0.0125 = "125", -2
  bool negative;
  std::string digits;
  int exponent;  // value = 0.d1d2d3... * 10^exponent
};

template <class T>
Decimal decimal(T v) {
  const std::string s = shortest(v);
  Decimal d{s[0] == '-', "", 0};
  const std::size_t start = d.negative ? 1 : 0;
  const std::size_t e = s.find('e');
  for (std::size_t i = start; i < e; ++i) {
    if (s[i] != '.') d.digits += s[i];
  }
  d.exponent = std::atoi(s.c_str() + e + 1) + 1;
  while (d.digits.size() > 1 && d.digits.back() == '0') d.digits.pop_back();
  if (d.digits == "0") d.exponent = 1;
  return d;
}

// The integer and fraction parts of a value in positional notation, rounded to kPrecision
// fractional digits when the shortest form needs more.
template <class T>
std::pair<std::string, std::string> positional(T v) {
  Decimal d = decimal(v);
  const int fraction_digits = static_cast<int>(d.digits.size()) - d.exponent;
  if (fraction_digits > kPrecision) {
    char buffer[512];
    std::snprintf(buffer, sizeof buffer, "%.*f", kPrecision, static_cast<double>(v));
    std::string s = buffer;
    while (s.back() == '0') s.pop_back();
    const std::size_t dot = s.find('.');
    return {s.substr(0, dot), s.substr(dot + 1)};
  }
  std::string integer, fraction;
  for (int i = 0; i < d.exponent; ++i)
    integer += i < static_cast<int>(d.digits.size()) ? d.digits[i] : '0';
  if (integer.empty()) integer = "0";
  for (int i = std::max(d.exponent, 0); i < static_cast<int>(d.digits.size()); ++i)
    fraction += d.digits[i];
  if (d.exponent < 0) fraction = std::string(-d.exponent, '0') + fraction;
  if (d.negative) integer = "-" + integer;
  return {integer, fraction};
}

// Formats every element of one tensor with a shared width, NumPy-style.
class ElementFormatter {
 public:
  template <class T>
  static ElementFormatter make(const std::vector<T>& values,
                               const std::vector<std::int64_t>& shown) {
    ElementFormatter f;
    if constexpr (std::is_same_v<T, bool>) {
      for (std::int64_t i : shown) f.cells_.push_back(values[i] ? "True" : "False");
      f.pad_left(true);
    } else if constexpr (std::is_integral_v<T>) {
      for (std::int64_t i : shown)
        f.cells_.push_back(std::to_string(static_cast<long long>(values[i])));
      f.pad_left(false);
    } else if constexpr (std::is_same_v<T, BFloat16>) {
      // NumPy knows bfloat16 only through ml_dtypes, which prints each value on its own (C++'s
      // default "%g": 6 significant digits) and pads nothing, as for an object array.
      for (std::int64_t i : shown) f.cells_.push_back(general(values[i]));
    } else {
      f.format_floats(values, shown);
    }
    return f;
  }
  const std::string& cell(std::size_t k) const { return cells_[k]; }

 private:
  void pad_left(bool) {
    std::size_t width = 0;
    for (const auto& c : cells_) width = std::max(width, c.size());
    for (auto& c : cells_) c = std::string(width - c.size(), ' ') + c;
  }

  // NumPy's FloatingFormat: positional or scientific for the whole tensor, integer parts padded
  // on the left, fractions padded on the right (with spaces) or mantissas (with zeros).
  template <class T>
  void format_floats(const std::vector<T>& values, const std::vector<std::int64_t>& shown) {
    double max_abs = 0, min_abs = 0;
    bool any_finite_nonzero = false;
    for (std::int64_t i : shown) {
      const double a = std::fabs(static_cast<double>(values[i]));
      if (!std::isfinite(a) || a == 0) continue;
      max_abs = any_finite_nonzero ? std::max(max_abs, a) : a;
      min_abs = any_finite_nonzero ? std::min(min_abs, a) : a;
      any_finite_nonzero = true;
    }
    const bool scientific =
        any_finite_nonzero && (max_abs >= 1e8 || min_abs < 1e-4 || max_abs / min_abs > 1e3);
    struct Parts {
      std::string special, integer, fraction;
      int exponent = 0;
    };
    std::vector<Parts> parts;
    std::size_t pad_left = 0, pad_right = 0, exponent_digits = 2;
    for (std::int64_t i : shown) {
      const T v = values[i];
      const double wide = static_cast<double>(v);  // 16-bit types compare through it
      Parts p;
      if (std::isnan(wide)) {
        p.special = "nan";
      } else if (std::isinf(wide)) {
        p.special = wide < 0 ? "-inf" : "inf";
      } else if (scientific) {
        const Decimal d = decimal(v);
        p.integer = std::string(d.negative ? "-" : "") + d.digits[0];
        p.fraction = d.digits.substr(1, kPrecision);
        p.exponent = d.digits == "0" ? 0 : d.exponent - 1;
        exponent_digits = std::max(exponent_digits, std::to_string(std::abs(p.exponent)).size());
      } else {
        std::tie(p.integer, p.fraction) = positional(v);
      }
      if (p.special.empty()) {
        pad_left = std::max(pad_left, p.integer.size());
        pad_right = std::max(pad_right, p.fraction.size());
      }
      parts.push_back(p);
    }
    // The width right of the decimal point; non-finite values may widen the left part.
    const std::size_t tail = scientific ? pad_right + 2 + exponent_digits : pad_right;
    for (const Parts& p : parts) {
      if (!p.special.empty() && p.special.size() > tail + 1) {
        pad_left = std::max(pad_left, p.special.size() - tail - 1);
      }
    }
    for (const Parts& p : parts) {
      if (!p.special.empty()) {
        cells_.push_back(std::string(pad_left + tail + 1 - p.special.size(), ' ') + p.special);
        continue;
      }
      std::string c = std::string(pad_left - p.integer.size(), ' ') + p.integer + ".";
      if (scientific) {
        const std::string digits = std::to_string(std::abs(p.exponent));
        c += p.fraction + std::string(pad_right - p.fraction.size(), '0') + "e" +
             (p.exponent < 0 ? "-" : "+") + std::string(exponent_digits - digits.size(), '0') +
             digits;
      } else {
        c += p.fraction + std::string(pad_right - p.fraction.size(), ' ');
      }
      cells_.push_back(c);
    }
  }

  std::vector<std::string> cells_;
};

// Which flat indices are shown (all, or the edges of every axis when the tensor is summarised).
void collect_shown(const Shape& shape, bool summarise, int axis, std::int64_t base,
                   std::vector<std::int64_t>& out) {
  if (axis == shape.rank()) {
    out.push_back(base);
    return;
  }
  const std::int64_t n = shape.dims()[axis];
  std::int64_t stride = 1;
  for (int d = axis + 1; d < shape.rank(); ++d) stride *= shape.dims()[d];
  for (std::int64_t i = 0; i < n; ++i) {
    if (summarise && n > 2 * kEdgeItems && i == kEdgeItems) i = n - kEdgeItems;
    collect_shown(shape, summarise, axis + 1, base + i * stride, out);
  }
}

// Lays the formatted cells out as nested brackets: a port of NumPy's _formatArray (legacy off),
// so wrapping, hanging indents and summaries come out character for character the same.
class Layout {
 public:
  Layout(const Shape& shape, bool summarise, const ElementFormatter& cells)
      : shape_(shape), summarise_(summarise), cells_(cells) {}

  std::string render() { return recurse(0, " ", kLineWidth); }

 private:
  // Appends `word` to `line`, first moving `line` into `out` when the word would not fit (and
  // wrapping would help).
  static void extend_line(std::string& out, std::string& line, const std::string& word,
                          std::size_t width, const std::string& prefix) {
    const bool wrap = line.size() + word.size() > width && line.size() > prefix.size();
    if (wrap) {
      const std::size_t end = line.find_last_not_of(' ');
      out += (end == std::string::npos ? "" : line.substr(0, end + 1)) + "\n";
      line = prefix;
    }
    line += word;
  }

  std::string recurse(int axis, const std::string& hanging_indent, std::size_t width) {
    if (axis == shape_.rank()) return cells_.cell(next_cell_++);
    const std::string next_indent = hanging_indent + " ";
    const std::size_t next_width = width - 1;  // room for this level's ']'
    const std::int64_t n = shape_.dims()[axis];
    const bool summary = summarise_ && 2 * kEdgeItems < n;
    const std::int64_t leading = summary ? kEdgeItems : 0, trailing = summary ? kEdgeItems : n;
    std::string s;
    if (axis == shape_.rank() - 1) {
      const std::size_t element_width = width - 1;  // max(len(separator.rstrip()), len(']'))
      std::string line = hanging_indent;
      for (std::int64_t i = 0; i < leading; ++i) {
        extend_line(s, line, recurse(axis + 1, next_indent, next_width), element_width,
                    hanging_indent);
        line += " ";
      }
      if (summary) {
        extend_line(s, line, "...", element_width, hanging_indent);
        line += " ";
      }
      for (std::int64_t i = trailing; i > 1; --i) {
        extend_line(s, line, recurse(axis + 1, next_indent, next_width), element_width,
                    hanging_indent);
        line += " ";
      }
      extend_line(s, line, recurse(axis + 1, next_indent, next_width), element_width,
                  hanging_indent);
      s += line;
    } else {
      const std::string line_separator(static_cast<std::size_t>(shape_.rank() - axis - 1), '\n');
      for (std::int64_t i = 0; i < leading; ++i) {
        s += hanging_indent + recurse(axis + 1, next_indent, next_width) + line_separator;
      }
      if (summary) s += hanging_indent + "..." + line_separator;
      for (std::int64_t i = trailing; i > 1; --i) {
        s += hanging_indent + recurse(axis + 1, next_indent, next_width) + line_separator;
      }
      s += hanging_indent + recurse(axis + 1, next_indent, next_width);
    }
    return "[" + s.substr(hanging_indent.size()) + "]";
  }

  const Shape& shape_;
  bool summarise_;
  const ElementFormatter& cells_;
  std::size_t next_cell_ = 0;
};

template <class T>
std::string scalar_string(T v) {
  if constexpr (std::is_same_v<T, BFloat16>) {
    return general(v);  // as the elements of a bfloat16 array (ElementFormatter)
  } else if constexpr (std::is_same_v<T, bool>) {
    return v ? "True" : "False";
  } else if constexpr (std::is_integral_v<T>) {
    return std::to_string(static_cast<long long>(v));
  } else {
    // A NumPy scalar prints like a Python float: shortest digits, "1.0" not "1.", "1e-05" style
    // beyond [1e-4, 1e16).
    const double wide = static_cast<double>(v);
    if (std::isnan(wide)) return "nan";
    if (std::isinf(wide)) return wide < 0 ? "-inf" : "inf";
    const double a = std::fabs(wide);
    if (a != 0 && (a < 1e-4 || a >= 1e16)) {
      const Decimal d = decimal(v);
      const int exponent = d.exponent - 1;
      std::string s = std::string(d.negative ? "-" : "") + d.digits[0];
      if (d.digits.size() > 1) s += "." + d.digits.substr(1);
      char e[16];
      std::snprintf(e, sizeof e, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
      return s + e;
    }
    auto [integer, fraction] = positional(v);
    return integer + "." + (fraction.empty() ? "0" : fraction);
  }
}

}  // namespace

std::string Tensor::values_string() const {
  detail::check_defined(*this, "Tensor::values_string");
  const Tensor host = to(Device::cpu());
  return dispatch_dtype(dtype(), [&](auto zero) -> std::string {
    using T = decltype(zero);
    const std::vector<T> values = host.to_vector<T>();
    if (rank() == 0) return scalar_string(values[0]);
    if (size() == 0) return "[]";  // NumPy prints every empty array so
    const bool summarise = size() > kThreshold;
    std::vector<std::int64_t> shown;
    collect_shown(shape(), summarise, 0, 0, shown);
    const ElementFormatter cells = ElementFormatter::make(values, shown);
    return Layout(shape(), summarise, cells).render();
  });
}

std::string Tensor::to_string() const {
  if (!defined()) return "ember.Tensor(<undefined>)";
  const std::string values = values_string();
  const bool multiline = values.find('\n') != std::string::npos;
  return "ember.Tensor(" + std::string(multiline ? "\n" : "") + values +
         ", shape=" + shape().to_string() + ", dtype=" + dtype_name(dtype()) + ")";
}

}  // namespace ember
