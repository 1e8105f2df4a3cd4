// Tensor::index and friends (NumPy/TensorFlow basic indexing: integers, slices, newaxis,
// ellipsis), gather and one_hot, and the adjoints of index and gather.
#include "core/ops/index.h"

#include "core/autodiff/gradients.h"
#include "core/error.h"
#include "core/ops/creation.h"
#include "core/ops/elementwise.h"
#include "core/ops/linalg.h"
#include "core/ops/op_support.h"
#include "core/ops/run_op.h"
#include "core/ops/shape.h"
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

namespace detail {

namespace {
/// The entries with `...` replaced by as many whole-axis slices as the other entries leave.
std::vector<Index> expand_ellipsis(const Shape& shape, const std::vector<Index>& entries) {
  int ellipses = 0, consumed = 0;
  for (const Index& e : entries) {
    if (std::holds_alternative<Ellipsis>(e.value()))
      ++ellipses;
    else if (!std::holds_alternative<NewAxis>(e.value()))
      ++consumed;
  }
  if (ellipses == 0) return entries;
  if (ellipses > 1)
    throw IndexError(cat("index: an index can have only one ellipsis (...), got ", ellipses));
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

Tensor index_forward(const Tensor& x, const std::vector<Index>& entries) {
  detail::check_defined(x, "index");
  const detail::IndexRegion region = detail::resolve_index(x.shape(), entries);
  if (detail::is_contiguous(region.layout)) {
    return detail::view(x, region.shape,
                        static_cast<std::size_t>(region.offset) * dtype_size(x.dtype()));
  }
  Tensor out = detail::empty(region.shape, x.dtype(), x.device());
  detail::copy_region(x, region.offset, region.layout, out, 0,
                      detail::contiguous_layout(region.shape));
  return out;
}

Tensor index_adjoint_forward(const Tensor& g, const Shape& shape,
                             const std::vector<Index>& entries) {
  const detail::IndexRegion region = detail::resolve_index(shape, entries);
  Tensor out = detail::full(shape, g.dtype(), g.device(), ScalarValue{});
  detail::copy_region(g, 0, detail::contiguous_layout(region.shape), out, region.offset,
                      region.layout);
  return out;
}

Tensor gather_adjoint_forward(const Tensor& g, const Tensor& indices, int axis,
                              const Shape& shape) {
  Tensor out = detail::full(shape, g.dtype(), g.device(), ScalarValue{});
  std::int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= shape.dims()[i];
  for (int i = axis + 1; i < shape.rank(); ++i) inner *= shape.dims()[i];
  if (g.size() > 0) {
    detail::backend_of(out).scatter_add(g.dtype(), g.raw_data(), outer, shape.dims()[axis], inner,
                                        indices.dtype(), indices.raw_data(), indices.size(),
                                        detail::mutable_data(out));
  }
  return out;
}

using detail::check_defined;

Tensor gather_forward(const Tensor& x, const Tensor& indices, std::int64_t axis) {
  check_defined(x, "gather");
  check_defined(indices, "gather");
  detail::check_same_device("gather", x, indices);
  detail::check_dtype_in("gather", indices, {DType::int32, DType::int64}, "int32 or int64 indices");
  if (x.rank() == 0) throw ShapeError("gather: cannot gather from a scalar");
  const int a = normalize_axis(axis, x.rank(), "gather");
  const std::int64_t axis_size = x.shape(a);
  if (indices.device().is_cpu()) {
    // On the host the check is free; on a GPU it would need a synchronisation (see Backend).
    const Tensor idx = cast(indices, DType::int64);
    const auto* p = idx.data<std::int64_t>();
    for (std::int64_t i = 0; i < idx.size(); ++i) {
      if (p[i] < 0 || p[i] >= axis_size) {
        throw IndexError(cat("gather: index ", p[i], " (position ", i, ") is out of range for ",
                             "axis ", axis, " of size ", axis_size, " (shape ", x.shape(), ")"));
      }
    }
  }
  std::vector<std::int64_t> dims(x.shape().dims().begin(), x.shape().dims().begin() + a);
  dims.insert(dims.end(), indices.shape().dims().begin(), indices.shape().dims().end());
  dims.insert(dims.end(), x.shape().dims().begin() + a + 1, x.shape().dims().end());
  if (static_cast<int>(dims.size()) > kMaxRank) {
    throw ShapeError(cat("gather: the result would have rank ", dims.size(), " > ", kMaxRank));
  }
  Tensor out = detail::empty(Shape(dims), x.dtype(), x.device());
  if (out.size() > 0) {
    std::int64_t outer = 1, inner = 1;
    for (int i = 0; i < a; ++i) outer *= x.shape(i);
    for (int i = a + 1; i < x.rank(); ++i) inner *= x.shape(i);
    detail::backend_of(out).gather(dtype_size(x.dtype()), x.raw_data(), outer, axis_size, inner,
                                   indices.dtype(), indices.raw_data(), indices.size(),
                                   detail::mutable_data(out));
  }
  return out;
}

Tensor one_hot_forward(const Tensor& indices, std::int64_t depth, const Scalar& on_value,
                       const Scalar& off_value, std::int64_t axis, DType dtype) {
  check_defined(indices, "one_hot");
  detail::check_dtype_in("one_hot", indices, {DType::int32, DType::int64, DType::uint8},
                         "integer indices");
  if (depth < 0) throw ShapeError(cat("one_hot: depth must be >= 0, got ", depth));
  const int a = normalize_axis(axis, indices.rank() + 1, "one_hot");
  // indices with a new axis at `a`, compared against 0..depth-1 laid along that axis.
  std::vector<std::int64_t> depth_dims(indices.rank() + 1, 1);
  depth_dims[a] = depth;
  const Tensor positions = reshape(detail::iota(depth, indices.device()), Shape(depth_dims));
  const Tensor hot = equal(expand_dims(cast(indices, DType::int64), a), positions);
  const Device device = indices.device();
  const Tensor on = detail::full({}, dtype, device, on_value.as(dtype, "one_hot"));
  const Tensor off = detail::full({}, dtype, device, off_value.as(dtype, "one_hot"));
  return where(hot, on, off);
}

}  // namespace

Tensor Tensor::index(const std::vector<Index>& entries) const {
  return detail::run_op("index", index_forward, grad::index_gradient, *this, entries);
}

Tensor gather(const Tensor& x, const Tensor& indices, std::int64_t axis) {
  return detail::run_op("gather", gather_forward, grad::gather_gradient, x, indices, axis);
}

Tensor gather(const Tensor& x, const std::vector<std::int64_t>& indices, std::int64_t axis) {
  check_defined(x, "gather");
  // Host indices are checked here, before the upload: on a GPU the device-side check of
  // gather_forward is skipped (it would need a synchronisation), so this is where they can be.
  const int a = normalize_axis(axis, x.rank(), "gather");
  const std::int64_t axis_size = x.shape(a);
  for (std::size_t i = 0; i < indices.size(); ++i) {
    if (indices[i] < 0 || indices[i] >= axis_size)
      throw IndexError(cat("gather: index ", indices[i], " (position ", i, ") is out of range for ",
                           "axis ", axis, " of size ", axis_size, " (shape ", x.shape(), ")"));
  }
  const Tensor idx = detail::from_host(
      indices.data(), Shape{static_cast<std::int64_t>(indices.size())}, DType::int64, x.device());
  return gather(x, idx, axis);
}

Tensor one_hot(const Tensor& indices, std::int64_t depth, const Scalar& on_value,
               const Scalar& off_value, std::int64_t axis, DType dtype) {
  return detail::run_op("one_hot", one_hot_forward, detail::no_gradient, indices, depth, on_value,
                        off_value, axis, dtype);
}

namespace detail {

Tensor index_adjoint(const Tensor& g, const Shape& shape, const std::vector<Index>& entries) {
  return run_op("index_adjoint", index_adjoint_forward, grad::index_adjoint_gradient, g, shape,
                entries);
}

Tensor gather_adjoint(const Tensor& g, const Tensor& indices, int axis, const Shape& shape) {
  return run_op("gather_adjoint", gather_adjoint_forward, grad::gather_adjoint_gradient, g, indices,
                axis, shape);
}

}  // namespace detail

Tensor Tensor::operator[](std::int64_t i) const { return index(std::vector<Index>{Index(i)}); }

Tensor Tensor::slice(std::int64_t start, std::int64_t stop, std::int64_t step) const {
  return index(std::vector<Index>{Index(Slice{start, stop, step})});
}

Tensor Tensor::matmul(const Tensor& other) const { return ember::matmul(*this, other); }

}  // namespace ember
