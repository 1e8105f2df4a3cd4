// Tensor: a cheap handle (shared pointer) to an immutable value: storage + shape + dtype + device.
// Copying a Tensor copies the handle; every op returns a new tensor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "core/device.h"
#include "core/dtype.h"
#include "core/shape.h"

namespace ember {

namespace detail {
struct TensorImpl;
}

/// A Python-style slice `start:stop:step`; missing bounds mean "from the start"/"to the end"
/// (or the reverse for negative steps). `Slice{1, 3}` is `1:3`, `Slice{.step = -1}` is `::-1`.
struct Slice {
  std::optional<std::int64_t> start = std::nullopt;
  std::optional<std::int64_t> stop = std::nullopt;
  std::optional<std::int64_t> step = std::nullopt;
};
/// The whole axis: `m.index(all, 1)` is `m[:, 1]`.
inline const Slice all{};
/// A new axis of size 1: `v.index(newaxis, all)` is `v[tf.newaxis, :]`.
struct NewAxis {};
inline constexpr NewAxis newaxis{};

/// Python's `...`: as many whole axes as the other entries leave: `x.index(ellipsis, newaxis)` is
/// `x[..., tf.newaxis]`.
struct Ellipsis {};
inline constexpr Ellipsis ellipsis{};

/// One entry of an index expression: an integer (drops the axis), a Slice, newaxis or ellipsis.
class Index {
 public:
  template <class T>
  requires std::is_integral_v<T> Index(T i)
      : value_(static_cast<std::int64_t>(i)) {}  // NOLINT: implicit like Python's m[1, 2]
  Index(Slice s) : value_(s) {}                  // NOLINT
  Index(NewAxis n) : value_(n) {}                // NOLINT
  Index(Ellipsis e) : value_(e) {}               // NOLINT
  const std::variant<std::int64_t, Slice, NewAxis, Ellipsis>& value() const { return value_; }

 private:
  std::variant<std::int64_t, Slice, NewAxis, Ellipsis> value_;
};

class Tensor {
 public:
  /// An undefined tensor (a handle to nothing); ops reject it.
  Tensor() = default;
  explicit Tensor(std::shared_ptr<detail::TensorImpl> impl);

  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  /// One dimension; negative axes count from the end: `x.shape(-1)`.
  std::int64_t shape(int axis) const { return shape()[axis]; }
  int rank() const { return shape().rank(); }
  /// Number of elements.
  std::int64_t size() const;
  DType dtype() const;
  Device device() const;

  /// A copy on `device` (this same handle when already there).
  Tensor to(const Device& device) const;
  /// The values in row-major order, copied to the host (the `.numpy()` of C++). T must be the
  /// tensor's element type (float for float32, bool for bool, ...): otherwise DTypeError. float16
  /// and bfloat16 tensors also give float (exact), or their own Float16 / BFloat16.
  template <class T>
  std::vector<T> to_vector() const;
  /// The single value of a one-element tensor (the same types as to_vector).
  template <class T>
  T item() const;
  /// The truth of a one-element tensor (non-zero), so `if (x < 2.0f)` works as in eager TF.
  explicit operator bool() const;

  /// `t[i]`: the i-th entry along the first axis (negative i counts from the end).
  Tensor operator[](std::int64_t i) const;
  /// `t[mask]` with a bool mask: the entries where it is true (boolean_mask, core/ops/index.h):
  /// `y_test[y_test == predicted]`.
  Tensor operator[](const Tensor& mask) const;

  /// Iterates over the first axis, as Python's `for row in t`: each row is t[i]. A 0-d tensor
  /// cannot be iterated (ShapeError), as in TensorFlow.
  class RowIterator {
   public:
    using value_type = Tensor;
    using difference_type = std::ptrdiff_t;
    RowIterator() = default;
    RowIterator(const Tensor* tensor, std::int64_t row) : tensor_(tensor), row_(row) {}
    Tensor operator*() const { return (*tensor_)[row_]; }
    RowIterator& operator++() {
      ++row_;
      return *this;
    }
    RowIterator operator++(int) {
      RowIterator before = *this;
      ++row_;
      return before;
    }
    bool operator==(const RowIterator& other) const { return row_ == other.row_; }

   private:
    const Tensor* tensor_ = nullptr;
    std::int64_t row_ = 0;
  };
  RowIterator begin() const;
  RowIterator end() const;
  /// `t[start:stop:step]` along the first axis.
  Tensor slice(std::int64_t start, std::int64_t stop, std::int64_t step = 1) const;
  /// NumPy/TensorFlow indexing: `m.index(1, 2)` is `m[1, 2]`, `m.index(all, 1)` is `m[:, 1]`,
  /// `m.index(Slice{1, 3}, Slice{.step = -1})` is `m[1:3, ::-1]`.
  template <class... I>
  requires(std::is_constructible_v<Index, const I&>&&...) Tensor index(const I&... entries)
  const { return index(std::vector<Index>{Index(entries)...}); }
  Tensor index(const std::vector<Index>& entries) const;
  /// Matrix product, `a @ b`.
  Tensor matmul(const Tensor& other) const;

  /// TensorFlow's repr: `ember.Tensor([1 2 3], shape=(3,), dtype=int32)`.
  std::string to_string() const;
  /// Only the values, formatted like NumPy's str(): `[[1. 2.]\n [3. 4.]]`.
  std::string values_string() const;

  /// Device pointer to the first element (for backends and interop).
  const void* raw_data() const;
  template <class T>
  const T* data() const {
    return static_cast<const T*>(raw_data());
  }
  const std::shared_ptr<detail::TensorImpl>& impl() const { return impl_; }

 private:
  std::shared_ptr<detail::TensorImpl> impl_;
};

std::ostream& operator<<(std::ostream& out, const Tensor& t);
/// TensorFlow's repr of a dtype: `<dtype: 'float32'>`.
std::ostream& operator<<(std::ostream& out, DType dtype);

/// Bytes currently held by live tensors on `device` (for leak tests and memory reports).
std::int64_t allocated_bytes(const Device& device);

}  // namespace ember
