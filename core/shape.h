// Shape: the dimensions of a tensor, printed like a Python tuple: (2, 3), (4,), ().
#pragma once

#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace ember {

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<std::int64_t> dims) : dims_(dims) {}
  Shape(std::vector<std::int64_t> dims) : dims_(std::move(dims)) {}  // NOLINT: implicit on purpose

  int rank() const { return static_cast<int>(dims_.size()); }
  /// Dimension `axis`; negative axes count from the end (-1 is the last). Throws IndexError.
  std::int64_t operator[](int axis) const;
  std::int64_t& operator[](int axis);
  /// Product of the dimensions (1 for a scalar); ShapeError when it exceeds int64 (a shape a
  /// file or a config made up).
  std::int64_t num_elements() const;

  const std::vector<std::int64_t>& dims() const { return dims_; }
  auto begin() const { return dims_.begin(); }
  auto end() const { return dims_.end(); }
  void push_back(std::int64_t d) { dims_.push_back(d); }

  std::string to_string() const;
  bool operator==(const Shape& other) const = default;

 private:
  std::vector<std::int64_t> dims_;
};

std::ostream& operator<<(std::ostream& out, const Shape& shape);

/// Maps a possibly negative axis into [0, rank); throws IndexError naming `op` when out of range.
int normalize_axis(std::int64_t axis, int rank, const char* op);

/// NumPy broadcasting of two shapes; throws ShapeError naming `op` and both shapes.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

/// a·b for sizes (a, b >= 0), or nothing when the product exceeds int64: byte counts and element
/// counts that a file or a config may make as large as it likes.
std::optional<std::int64_t> checked_multiply(std::int64_t a, std::int64_t b);
/// The product of `dims`, or nothing when one is negative or the product exceeds int64.
std::optional<std::int64_t> checked_product(const std::vector<std::int64_t>& dims);

/// Row-major element strides of a contiguous tensor of this shape.
std::vector<std::int64_t> contiguous_strides(const Shape& shape);

}  // namespace ember
