// Tensor::index and friends: NumPy/TensorFlow basic indexing (integers, slices, newaxis).
#include "core/error.h"
#include "core/op_support.h"
#include "core/ops_linalg.h"
#include "core/tensor.h"

namespace ember {
namespace {

// Python's slice.indices(): the first element, the step and the count.
struct ResolvedSlice {
  std::int64_t start, step, count;
};

ResolvedSlice resolve(const Slice& s, std::int64_t n) {
  const std::int64_t step = s.step.value_or(1);
  if (step == 0) throw IndexError("index: slice step cannot be zero");
  auto clamp = [](std::int64_t v, std::int64_t lo, std::int64_t hi) {
    return v < lo ? lo : (v > hi ? hi : v);
  };
  std::int64_t start, stop;
  if (step > 0) {
    start = s.start ? clamp(*s.start < 0 ? *s.start + n : *s.start, 0, n) : 0;
    stop = s.stop ? clamp(*s.stop < 0 ? *s.stop + n : *s.stop, 0, n) : n;
    return {start, step, stop > start ? (stop - start + step - 1) / step : 0};
  }
  start = s.start ? clamp(*s.start < 0 ? *s.start + n : *s.start, -1, n - 1) : n - 1;
  stop = s.stop ? clamp(*s.stop < 0 ? *s.stop + n : *s.stop, -1, n - 1) : -1;
  return {start, step, start > stop ? (start - stop - step - 1) / (-step) : 0};
}

}  // namespace

Tensor Tensor::index(const std::vector<Index>& entries) const {
  detail::check_defined(*this, "index");
  int consumed = 0;
  for (const Index& e : entries) {
    if (!std::holds_alternative<NewAxis>(e.value())) ++consumed;
  }
  if (consumed > rank()) {
    throw IndexError(cat("index: ", consumed, " indices given for a tensor of rank ", rank(),
                         " (shape ", shape(), ")"));
  }
  const auto strides = contiguous_strides(shape());
  StridedLayout src;
  std::int64_t offset = 0;
  int axis = 0;
  auto add_dim = [&](std::int64_t size, std::int64_t stride) {
    if (src.rank == kMaxRank) throw IndexError(cat("index: result rank exceeds ", kMaxRank));
    src.shape[src.rank] = size;
    src.strides[src.rank] = stride;
    ++src.rank;
  };
  for (const Index& e : entries) {
    if (const auto* i = std::get_if<std::int64_t>(&e.value())) {
      const std::int64_t n = shape().dims()[axis];
      if (*i < -n || *i >= n) {
        throw IndexError(cat("index: index ", *i, " is out of range for axis ", axis, " of size ",
                             n, " (shape ", shape(), ")"));
      }
      offset += (*i < 0 ? *i + n : *i) * strides[axis];
      ++axis;
    } else if (const auto* s = std::get_if<Slice>(&e.value())) {
      const ResolvedSlice r = resolve(*s, shape().dims()[axis]);
      offset += (r.count > 0 ? r.start : 0) * strides[axis];
      add_dim(r.count, r.step * strides[axis]);
      ++axis;
    } else {
      add_dim(1, 0);
    }
  }
  for (; axis < rank(); ++axis) add_dim(shape().dims()[axis], strides[axis]);

  const Shape result(std::vector<std::int64_t>(src.shape, src.shape + src.rank));
  const std::size_t element = dtype_size(dtype());
  if (detail::is_contiguous(src)) {
    return detail::view(*this, result, static_cast<std::size_t>(offset) * element);
  }
  Tensor out = detail::empty(result, dtype(), device());
  detail::copy_region(*this, offset, src, out, 0, detail::contiguous_layout(result));
  return out;
}

Tensor Tensor::operator[](std::int64_t i) const { return index(std::vector<Index>{Index(i)}); }

Tensor Tensor::slice(std::int64_t start, std::int64_t stop, std::int64_t step) const {
  return index(std::vector<Index>{Index(Slice{start, stop, step})});
}

Tensor Tensor::matmul(const Tensor& other) const { return ember::matmul(*this, other); }

}  // namespace ember
