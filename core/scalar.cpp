#include "core/scalar.h"

#include <cmath>
#include <limits>

#include "core/error.h"

namespace ember {
namespace {

std::string describe(const Scalar& s) {
  return is_floating(s.natural_dtype()) ? cat(s.as_double())
                                        : cat(static_cast<long long>(s.as_double()));
}

}  // namespace

ScalarValue Scalar::as(DType target, const char* op) const {
  ScalarValue out;
  if (target == DType::bool_ || dtype_ == DType::bool_) {
    if (target != dtype_) {
      throw DTypeError(cat(op, ": cannot use the ", dtype_name(dtype_), " value ", describe(*this),
                           " with a ", dtype_name(target), " tensor; cast explicitly"));
    }
    return value_;
  }
  if (is_floating(target)) {
    out.f = as_double();
    out.i = static_cast<std::int64_t>(out.f);
    return out;
  }
  // Integer target: the value must be a whole number inside the type's range.
  double lo = 0, hi = 0;
  switch (target) {
    case DType::int32:
      lo = std::numeric_limits<std::int32_t>::min();
      hi = std::numeric_limits<std::int32_t>::max();
      break;
    case DType::uint8:
      lo = 0;
      hi = 255;
      break;
    default:
      lo = -9.2233720368547758e18;
      hi = 9.2233720368547758e18;
      break;
  }
  const double v = as_double();
  const bool whole = is_floating_ ? (std::isfinite(v) && std::floor(v) == v) : true;
  const bool in_range = is_floating_ || target != DType::int64 ? (v >= lo && v <= hi) : true;
  if (!whole || !in_range) {
    throw DTypeError(cat(op, ": cannot convert ", describe(*this), " to ", dtype_name(target),
                         whole ? " (out of range)" : " (not a whole number)",
                         "; cast the tensor to a floating dtype first"));
  }
  out.i = is_floating_ ? static_cast<std::int64_t>(v) : value_.i;
  out.f = static_cast<double>(out.i);
  return out;
}

}  // namespace ember
