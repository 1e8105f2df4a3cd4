// Tensor::index and friends: NumPy/TensorFlow basic indexing (integers, slices, newaxis).
#include "core/autodiff/autodiff.h"
#include "core/error.h"
#include "core/ops/op_support.h"
#include "core/ops/linalg.h"
#include "core/tensor.h"
#include "core/function/trace.h"

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

namespace detail {

namespace {
/// The entries with `...` replaced by as many whole-axis slices as the other entries leave.
std::vector<Index> expand_ellipsis(const Shape& shape, const std::vector<Index>& entries) {
  int ellipses = 0, consumed = 0;
  for (const Index& e : entries) {
    if (std::holds_alternative<Ellipsis>(e.value())) ++ellipses;
    else if (!std::holds_alternative<NewAxis>(e.value())) ++consumed;
  }
  if (ellipses == 0) return entries;
  if (ellipses > 1) throw IndexError(cat("index: an index can have only one ellipsis (...), got ", ellipses));
  std::vector<Index> out;
  for (const Index& e : entries) {
    if (!std::holds_alternative<Ellipsis>(e.value())) {
      out.push_back(e);
      continue;
    }
    for (int k = consumed; k < shape.rank(); ++k) out.emplace_back(Slice{});
  }
  return out;
}
}  // namespace

IndexRegion resolve_index(const Shape& shape, const std::vector<Index>& given) {
  const std::vector<Index> entries = expand_ellipsis(shape, given);
  int consumed = 0;
  for (const Index& e : entries) {
    if (!std::holds_alternative<NewAxis>(e.value())) ++consumed;
  }
  if (consumed > shape.rank()) {
    throw IndexError(cat("index: ", consumed, " indices given for a tensor of rank ", shape.rank(),
                         " (shape ", shape, ")"));
  }
  const auto strides = contiguous_strides(shape);
  IndexRegion region;
  StridedLayout& src = region.layout;
  int axis = 0;
  auto add_dim = [&](std::int64_t size, std::int64_t stride) {
    if (src.rank == kMaxRank) throw IndexError(cat("index: result rank exceeds ", kMaxRank));
    src.shape[src.rank] = size;
    src.strides[src.rank] = stride;
    ++src.rank;
  };
  for (const Index& e : entries) {
    if (const auto* i = std::get_if<std::int64_t>(&e.value())) {
      const std::int64_t n = shape.dims()[axis];
      if (*i < -n || *i >= n) {
        throw IndexError(cat("index: index ", *i, " is out of range for axis ", axis, " of size ",
                             n, " (shape ", shape, ")"));
      }
      region.offset += (*i < 0 ? *i + n : *i) * strides[axis];
      ++axis;
    } else if (const auto* s = std::get_if<Slice>(&e.value())) {
      const ResolvedSlice r = resolve(*s, shape.dims()[axis]);
      region.offset += (r.count > 0 ? r.start : 0) * strides[axis];
      add_dim(r.count, r.step * strides[axis]);
      ++axis;
    } else {
      add_dim(1, 0);
    }
  }
  for (; axis < shape.rank(); ++axis) add_dim(shape.dims()[axis], strides[axis]);
  region.shape = Shape(std::vector<std::int64_t>(src.shape, src.shape + src.rank));
  return region;
}

}  // namespace detail

namespace {
Tensor index_of(const Tensor& x, const std::vector<Index>& entries) { return x.index(entries); }
}  // namespace

Tensor Tensor::index(const std::vector<Index>& entries) const {
  EMBER_TRACE_OP("index", index_of, *this, entries);
  detail::check_defined(*this, "index");
  const detail::IndexRegion region = detail::resolve_index(shape(), entries);
  Tensor out;
  if (detail::is_contiguous(region.layout)) {
    out = detail::view(*this, region.shape, static_cast<std::size_t>(region.offset) * dtype_size(dtype()));
  } else {
    out = detail::empty(region.shape, dtype(), device());
    detail::copy_region(*this, region.offset, region.layout, out, 0, detail::contiguous_layout(region.shape));
  }
  autodiff::maybe_record("index", {this}, out, [shape = shape(), entries] {
    return [shape, entries](const Tensor& g, autodiff::NeedsMask) -> autodiff::Gradients {
      return {detail::index_backward(g, shape, entries)};
    };
  });
  return out;
}

Tensor Tensor::operator[](std::int64_t i) const { return index(std::vector<Index>{Index(i)}); }

Tensor Tensor::slice(std::int64_t start, std::int64_t stop, std::int64_t step) const {
  return index(std::vector<Index>{Index(Slice{start, stop, step})});
}

Tensor Tensor::matmul(const Tensor& other) const { return ember::matmul(*this, other); }

}  // namespace ember
