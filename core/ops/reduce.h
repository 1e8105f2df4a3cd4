// Reductions over one axis, a list of axes (negative allowed) or all axes, with keepdims.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <vector>

#include "core/tensor.h"

namespace ember {

/// The axes to reduce: `{}` (the default) is all of them, `1`, `-1`, `{0, 2}`.
class Axes {
 public:
  Axes() = default;
  Axes(std::int64_t axis) : axes_(std::vector<std::int64_t>{axis}) {}  // NOLINT
  Axes(int axis) : Axes(static_cast<std::int64_t>(axis)) {}            // NOLINT
  Axes(std::initializer_list<std::int64_t> axes) : axes_(std::vector<std::int64_t>(axes)) {
    if (axes.size() == 0) axes_.reset();  // `{}` reads as "all axes"
  }
  Axes(std::vector<std::int64_t> axes) : axes_(std::move(axes)) {}  // NOLINT
  bool all() const { return !axes_.has_value(); }
  const std::vector<std::int64_t>& list() const { return *axes_; }

 private:
  std::optional<std::vector<std::int64_t>> axes_;
};

/// Sum; float sums are accurate (float64 accumulation on every device).
Tensor reduce_sum(const Tensor& x, const Axes& axis = {}, bool keepdims = false);
/// Mean; for integers the result is truncated, as in TensorFlow. Empty input gives NaN.
Tensor reduce_mean(const Tensor& x, const Axes& axis = {}, bool keepdims = false);
/// Max/min; NaN propagates. Over an empty axis: the lowest (highest) value of the dtype.
Tensor reduce_max(const Tensor& x, const Axes& axis = {}, bool keepdims = false);
Tensor reduce_min(const Tensor& x, const Axes& axis = {}, bool keepdims = false);
Tensor reduce_prod(const Tensor& x, const Axes& axis = {}, bool keepdims = false);
/// Logical or/and over bool tensors.
Tensor reduce_any(const Tensor& x, const Axes& axis = {}, bool keepdims = false);
Tensor reduce_all(const Tensor& x, const Axes& axis = {}, bool keepdims = false);

/// Index (int64) of the largest/smallest entry along `axis` (TensorFlow's default axis 0);
/// the first one on ties; a NaN counts as the largest and as the smallest.
Tensor argmax(const Tensor& x, std::int64_t axis = 0);
Tensor argmin(const Tensor& x, std::int64_t axis = 0);

}  // namespace ember
