// ember reports every failure as an exception derived from ember::Error. Messages name the op or
// file, what was expected and what was got: "matmul: inner dimensions differ: (64, 784) x (128,
// 10)".
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace ember {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
/// Shapes that do not fit: wrong rank, sizes that differ, broadcasting that fails.
class ShapeError : public Error {
 public:
  using Error::Error;
};
/// A dtype an op does not accept, or two dtypes that must match and do not.
class DTypeError : public Error {
 public:
  using Error::Error;
};
/// A device that is missing, or operands that live on different devices.
class DeviceError : public Error {
 public:
  using Error::Error;
};
/// An index or axis out of range.
class IndexError : public Error {
 public:
  using Error::Error;
};
/// A file that cannot be read or written, or whose contents are malformed.
class IoError : public Error {
 public:
  using Error::Error;
};
/// Memory that cannot be had: an allocation larger than the device or the address space allows
/// (TensorFlow's ResourceExhaustedError). The message gives the bytes asked for.
class ResourceExhaustedError : public Error {
 public:
  using Error::Error;
};

/// Concatenates anything printable into a string: cat("axis ", 3, " of ", shape).
template <class... Parts>
std::string cat(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}

/// Prints "ember: WARNING: <message>" to standard error (what TensorFlow logs as a warning).
void warn(const std::string& message);

/// A broken internal invariant (a bug in ember, not in the caller's input).
[[noreturn]] void internal_error(const char* file, int line, const std::string& what);

}  // namespace ember

#define EMBER_ASSERT(cond)                                                        \
  do {                                                                            \
    if (!(cond)) ::ember::internal_error(__FILE__, __LINE__, "assertion " #cond); \
  } while (0)
