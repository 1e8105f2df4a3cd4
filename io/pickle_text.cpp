// The pickle opcodes whose arguments are text (protocol 0's INT, LONG, FLOAT, STRING, UNICODE)
// or UTF-8 (the BINUNICODE family), and the UTF-8 and latin-1 conversions they need.
#include <bit>
#include <charconv>

#include "core/error.h"
#include "io/pickle_machine.h"

namespace ember::io::pickle_detail {
namespace {

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The character a one-letter backslash escape stands for (Python's escape_decode), or -1.
int simple_escape(char c) {
  switch (c) {
    case '\\':
      return '\\';
    case '\'':
      return '\'';
    case '"':
      return '"';
    case 'a':
      return '\a';
    case 'b':
      return '\b';
    case 'f':
      return '\f';
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    case 'v':
      return '\v';
  }
  return -1;
}

}  // namespace

std::string printable(std::string_view s) {
  const char* hex = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < 80; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += std::string("\\x") + hex[c >> 4] + hex[c & 15];
    }
  }
  if (s.size() > 80) out += "...";
  return out;
}

// Encoded surrogates pass, as with Python's 'surrogatepass', which BINUNICODE decoding uses.
bool next_code_point(std::string_view s, std::size_t& i, char32_t& cp) {
  const auto lead = static_cast<unsigned char>(s[i]);
  int extra = 0;
  if (lead < 0x80) {
    cp = lead;
  } else if (lead >= 0xc2 && lead < 0xe0) {
    cp = lead & 0x1f, extra = 1;
  } else if (lead >= 0xe0 && lead < 0xf0) {
    cp = lead & 0x0f, extra = 2;
  } else if (lead >= 0xf0 && lead < 0xf5) {
    cp = lead & 0x07, extra = 3;
  } else {
    return false;
  }
  if (s.size() - i <= static_cast<std::size_t>(extra)) return false;
  for (int k = 1; k <= extra; ++k) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xc0) != 0x80) return false;
    cp = (cp << 6) | (c & 0x3f);
  }
  const char32_t smallest[] = {0, 0x80, 0x800, 0x10000};
  if (cp < smallest[extra] || cp > 0x10ffff) return false;  // overlong, or beyond Unicode
  i += extra + 1;
  return true;
}

// The bytes of a str whose code points are all below 256 (Python's encode('latin-1')).
std::string Machine::latin1(std::uint32_t i, const char* what) const {
  if (node(i).tag != Tag::string) fail(cat(what, ": expected a str, found ", describe(i)));
  const std::string& s = text(i);
  std::string out;
  out.reserve(s.size());
  for (std::size_t k = 0; k < s.size();) {
    char32_t cp = 0;
    if (!next_code_point(s, k, cp)) fail(cat(what, ": malformed UTF-8"));
    if (cp > 0xff) fail(cat(what, ": code point ", std::uint32_t(cp), " is not latin-1"));
    out += static_cast<char>(cp);
  }
  return out;
}

// INT and LONG: a decimal integer; INT's "00" and "01" are protocol 0's False and True.
void Machine::push_int_text(std::string_view t) {
  if (op_ == 'I' && (t == "00" || t == "01")) return push(make(Tag::boolean, t == "01"));
  const std::string_view digits = !t.empty() && t[0] == '+' ? t.substr(1) : t;
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec == std::errc::result_out_of_range) {
    fail(cat("int ", printable(t), " does not fit in int64"));
  }
  if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty()) {
    fail(cat("expected a decimal int, found '", printable(t), "'"));
  }
  push(make(Tag::integer, v));
}

void Machine::push_float_text(std::string_view t) {
  const std::string_view s = !t.empty() && t[0] == '+' ? t.substr(1) : t;
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) {
    fail(cat("expected a float, found '", printable(t), "'"));
  }
  push(make(Tag::floating, std::bit_cast<std::int64_t>(v)));
}

// STRING: protocol 0's quoted repr of a Python 2 str, with backslash escapes.
void Machine::push_quoted_string(std::string_view t) {
  if (t.size() < 2 || t.front() != t.back() || (t.front() != '\'' && t.front() != '"')) {
    fail(cat("expected a quoted string, found '", printable(t), "'"));
  }
  t = t.substr(1, t.size() - 2);
  std::string out;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] != '\\' || i + 1 == t.size()) {
      out += t[i];
      continue;
    }
    const char c = t[++i];
    if (simple_escape(c) >= 0) {
      out += static_cast<char>(simple_escape(c));
    } else if (c == 'x' && i + 2 < t.size() && hex_value(t[i + 1]) >= 0 &&
               hex_value(t[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(t[i + 1]) * 16 + hex_value(t[i + 2]));
      i += 2;
    } else if (c >= '0' && c <= '7') {
      int v = c - '0';
      for (int k = 0; k < 2 && i + 1 < t.size() && t[i + 1] >= '0' && t[i + 1] <= '7'; ++k) {
        v = v * 8 + (t[++i] - '0');
      }
      out += static_cast<char>(v & 0xff);
    } else {
      out += '\\';  // Python keeps an unknown escape as it is
      out += c;
    }
  }
  push(make_text(Tag::bytes, std::move(out)));
}

// UNICODE: protocol 0's raw-unicode-escape: latin-1 bytes, with \uXXXX and \UXXXXXXXX escapes
// where an odd number of backslashes precedes the u.
void Machine::push_raw_unicode_escape(std::string_view t) {
  std::string out;
  for (std::size_t i = 0; i < t.size();) {
    if (t[i] != '\\') {
      append_utf8(out, static_cast<unsigned char>(t[i++]));
      continue;
    }
    std::size_t run = 0;
    while (i + run < t.size() && t[i + run] == '\\') ++run;
    const std::size_t after = i + run;
    const bool escape = run % 2 == 1 && after < t.size() && (t[after] == 'u' || t[after] == 'U');
    out.append(escape ? run - 1 : run, '\\');
    i = after;
    if (!escape) continue;
    const std::size_t digits = t[after] == 'u' ? 4 : 8;
    if (t.size() - after - 1 < digits) fail("truncated \\u escape in a UNICODE string");
    std::uint32_t cp = 0;
    for (std::size_t k = 0; k < digits; ++k) {
      const int h = hex_value(t[after + 1 + k]);
      if (h < 0) fail(cat("malformed \\u escape in '", printable(t), "'"));
      cp = cp * 16 + static_cast<std::uint32_t>(h);
    }
    if (cp > 0x10ffff) fail(cat("code point ", cp, " is beyond Unicode"));
    append_utf8(out, cp);
    i = after + 1 + digits;
  }
  push(make_text(Tag::string, std::move(out)));
}

void Machine::push_unicode(std::string_view utf8) {
  for (std::size_t i = 0; i < utf8.size();) {
    char32_t cp = 0;
    if (!next_code_point(utf8, i, cp)) fail(cat("malformed UTF-8 at byte ", i, " of the string"));
  }
  push(make_text(Tag::string, std::string(utf8)));
}

}  // namespace ember::io::pickle_detail
