#include "core/shape.h"

#include <ostream>

#include "core/backend/kernel_types.h"
#include "core/error.h"

namespace ember {

std::int64_t Shape::operator[](int axis) const {
  return dims_[normalize_axis(axis, rank(), "Shape")];
}

std::int64_t& Shape::operator[](int axis) { return dims_[normalize_axis(axis, rank(), "Shape")]; }

std::int64_t Shape::num_elements() const {
  std::int64_t n = 1;
  for (std::int64_t d : dims_) {
    // Signed: a -1 (reshape's "the rest") gives a negative count, as it always did.
    if (__builtin_mul_overflow(n, d, &n)) {
      throw ShapeError(cat("shape ", *this, " has more elements than an int64 holds"));
    }
  }
  return n;
}

std::optional<std::int64_t> checked_multiply(std::int64_t a, std::int64_t b) {
  std::int64_t product = 0;
  if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &product)) return std::nullopt;
  return product;
}

std::optional<std::int64_t> checked_product(const std::vector<std::int64_t>& dims) {
  std::int64_t n = 1;
  for (std::int64_t d : dims) {
    const std::optional<std::int64_t> next = checked_multiply(n, d);
    if (!next) return std::nullopt;
    n = *next;
  }
  return n;
}

std::string Shape::to_string() const {
  std::string s = "(";
  for (std::size_t i = 0; i < dims_.size(); ++i) {
    if (i > 0) s += ", ";
    s += std::to_string(dims_[i]);
  }
  if (dims_.size() == 1) s += ",";
  return s + ")";
}

std::ostream& operator<<(std::ostream& out, const Shape& shape) { return out << shape.to_string(); }

int normalize_axis(std::int64_t axis, int rank, const char* op) {
  if (axis < -rank || axis >= rank) {
    throw IndexError(cat(op, ": axis ", axis, " is out of range for a tensor of rank ", rank,
                         " (expected ", -rank, " <= axis < ", rank, ")"));
  }
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  const int rank = std::max(a.rank(), b.rank());
  std::vector<std::int64_t> out(rank);
  for (int i = 0; i < rank; ++i) {
    const int ia = a.rank() - rank + i, ib = b.rank() - rank + i;
    const std::int64_t da = ia >= 0 ? a.dims()[ia] : 1;
    const std::int64_t db = ib >= 0 ? b.dims()[ib] : 1;
    if (da != db && da != 1 && db != 1) {
      throw ShapeError(cat(op, ": shapes ", a, " and ", b, " cannot be broadcast together (",
                           "dimension ", i, " is ", da, " vs ", db, ")"));
    }
    out[i] = da == 1 ? db : da;
  }
  if (rank > kMaxRank) {
    throw ShapeError(cat(op, ": rank ", rank, " exceeds the maximum rank ", kMaxRank));
  }
  return Shape(std::move(out));
}

std::vector<std::int64_t> contiguous_strides(const Shape& shape) {
  std::vector<std::int64_t> strides(shape.rank());
  std::int64_t s = 1;
  for (int i = shape.rank() - 1; i >= 0; --i) {
    strides[i] = s;
    s *= shape.dims()[i];
  }
  return strides;
}

}  // namespace ember
