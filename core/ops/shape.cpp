#include "core/function/trace.h"
#include "core/ops/shape.h"

#include <algorithm>

#include "core/constant.h"
#include "core/error.h"
#include "core/autodiff/gradients.h"
#include "core/ops/op_support.h"
#include "core/ops/creation.h"
#include "core/ops/elementwise.h"

namespace ember {
namespace {

using detail::check_defined;

// A layout for reading all of `x` in the order of `perm` (result axis i is x's axis perm[i]).
StridedLayout permuted_layout(const Shape& shape, const std::vector<int>& perm) {
  const auto strides = contiguous_strides(shape);
  StridedLayout layout;
  layout.rank = shape.rank();
  for (int i = 0; i < shape.rank(); ++i) {
    layout.shape[i] = shape.dims()[perm[i]];
    layout.strides[i] = strides[perm[i]];
  }
  return layout;
}

}  // namespace

Tensor reshape(const Tensor& x, const Shape& shape) {
  EMBER_TRACE_OP("reshape", reshape, x, shape);
  check_defined(x, "reshape");
  std::vector<std::int64_t> dims = shape.dims();
  int inferred = -1;
  std::int64_t known = 1;
  for (int i = 0; i < static_cast<int>(dims.size()); ++i) {
    if (dims[i] == -1) {
      if (inferred >= 0) {
        throw ShapeError(cat("reshape: only one dimension may be -1, got ", shape));
      }
      inferred = i;
    } else if (dims[i] < 0) {
      throw ShapeError(cat("reshape: invalid dimension ", dims[i], " in ", shape));
    } else {
      known *= dims[i];
    }
  }
  if (inferred >= 0) {
    if (known == 0 || x.size() % known != 0) {
      throw ShapeError(cat("reshape: cannot reshape a tensor of shape ", x.shape(), " (",
                           x.size(), " elements) into ", shape));
    }
    dims[inferred] = x.size() / known;
  } else if (known != x.size()) {
    throw ShapeError(cat("reshape: cannot reshape a tensor of shape ", x.shape(), " (", x.size(),
                         " elements) into ", shape, " (", known, " elements)"));
  }
  if (static_cast<int>(dims.size()) > kMaxRank) {
    throw ShapeError(cat("reshape: rank ", dims.size(), " exceeds the maximum rank ", kMaxRank));
  }
  Tensor out = detail::view(x, Shape(dims));
  autodiff::maybe_record("reshape", {&x}, out, [&] { return grad::reshape_backward(x.shape()); });
  return out;
}

Tensor transpose(const Tensor& x, std::optional<std::vector<std::int64_t>> perm_in) {
  EMBER_TRACE_OP("transpose", transpose, x, perm_in);
  check_defined(x, "transpose");
  const int rank = x.rank();
  std::vector<int> perm(rank);
  if (perm_in) {
    if (static_cast<int>(perm_in->size()) != rank) {
      throw ShapeError(cat("transpose: perm has ", perm_in->size(), " entries but the tensor has ",
                           "rank ", rank, " (shape ", x.shape(), ")"));
    }
    std::vector<bool> seen(rank, false);
    for (int i = 0; i < rank; ++i) {
      perm[i] = normalize_axis((*perm_in)[i], rank, "transpose");
      if (seen[perm[i]]) throw ShapeError(cat("transpose: axis ", perm[i], " repeats in perm"));
      seen[perm[i]] = true;
    }
  } else {
    for (int i = 0; i < rank; ++i) perm[i] = rank - 1 - i;
  }
  StridedLayout src = permuted_layout(x.shape(), perm);
  std::vector<std::int64_t> dims(src.shape, src.shape + rank);
  Tensor out = detail::empty(Shape(dims), x.dtype(), x.device());
  detail::copy_region(x, 0, src, out, 0, detail::contiguous_layout(out.shape()));
  autodiff::maybe_record("transpose", {&x}, out, [&] { return grad::transpose_backward(perm); });
  return out;
}

Tensor expand_dims(const Tensor& x, std::int64_t axis) {
  EMBER_TRACE_OP("expand_dims", expand_dims, x, axis);
  check_defined(x, "expand_dims");
  const int a = normalize_axis(axis, x.rank() + 1, "expand_dims");
  std::vector<std::int64_t> dims = x.shape().dims();
  dims.insert(dims.begin() + a, 1);
  return reshape(x, Shape(dims));
}

Tensor squeeze(const Tensor& x, std::optional<std::vector<std::int64_t>> axes) {
  EMBER_TRACE_OP("squeeze", squeeze, x, axes);
  check_defined(x, "squeeze");
  std::vector<bool> drop(x.rank(), false);
  if (axes) {
    for (std::int64_t axis : *axes) {
      const int a = normalize_axis(axis, x.rank(), "squeeze");
      if (x.shape(a) != 1) {
        throw ShapeError(cat("squeeze: axis ", axis, " of shape ", x.shape(), " has size ",
                             x.shape(a), ", not 1"));
      }
      drop[a] = true;
    }
  } else {
    for (int i = 0; i < x.rank(); ++i) drop[i] = x.shape(i) == 1;
  }
  std::vector<std::int64_t> dims;
  for (int i = 0; i < x.rank(); ++i) {
    if (!drop[i]) dims.push_back(x.shape(i));
  }
  return reshape(x, Shape(dims));
}

Tensor concat(const std::vector<Tensor>& values, std::int64_t axis) {
  EMBER_TRACE_OP("concat", concat, values, axis);
  if (values.empty()) throw ShapeError("concat: expected at least one tensor, got none");
  for (const Tensor& v : values) check_defined(v, "concat");
  const Tensor& first = values.front();
  if (first.rank() == 0) throw ShapeError("concat: cannot concatenate scalars; use stack");
  const int a = normalize_axis(axis, first.rank(), "concat");
  std::vector<std::int64_t> dims = first.shape().dims();
  dims[a] = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const Tensor& v = values[i];
    detail::check_same_device("concat", first, v);
    detail::check_same_dtype("concat", first, v);
    bool compatible = v.rank() == first.rank();
    for (int d = 0; compatible && d < v.rank(); ++d) {
      compatible = d == a || v.shape(d) == first.shape(d);
    }
    if (!compatible) {
      throw ShapeError(cat("concat: tensor ", i, " has shape ", v.shape(), " but tensor 0 has ",
                           first.shape(), "; all dimensions except axis ", a, " must match"));
    }
    dims[a] += v.shape(a);
  }
  Tensor out = detail::empty(Shape(dims), first.dtype(), first.device());
  const auto out_strides = contiguous_strides(out.shape());
  std::int64_t position = 0;
  std::vector<const Tensor*> inputs;
  std::vector<std::int64_t> sizes;
  for (const Tensor& v : values) {
    inputs.push_back(&v);
    sizes.push_back(v.shape(a));
    StridedLayout dst = detail::contiguous_layout(v.shape());
    for (int d = 0; d < v.rank(); ++d) dst.strides[d] = out_strides[d];
    detail::copy_region(v, 0, detail::contiguous_layout(v.shape()), out,
                        position * out_strides[a], dst);
    position += v.shape(a);
  }
  autodiff::maybe_record("concat", inputs, out, [&] { return grad::concat_backward(sizes, a); });
  return out;
}

Tensor stack(const std::vector<Tensor>& values, std::int64_t axis) {
  EMBER_TRACE_OP("stack", stack, values, axis);
  if (values.empty()) throw ShapeError("stack: expected at least one tensor, got none");
  std::vector<Tensor> expanded;
  for (std::size_t i = 0; i < values.size(); ++i) {
    check_defined(values[i], "stack");
    if (values[i].shape() != values[0].shape()) {
      throw ShapeError(cat("stack: tensor ", i, " has shape ", values[i].shape(),
                           " but tensor 0 has ", values[0].shape(), "; all must match"));
    }
    const int a = normalize_axis(axis, values[i].rank() + 1, "stack");
    expanded.push_back(expand_dims(values[i], a));
  }
  return concat(expanded, axis < 0 ? axis + values[0].rank() + 1 : axis);
}

std::vector<Tensor> split(const Tensor& x, std::int64_t num, std::int64_t axis) {
  EMBER_TRACE_OP("split", split, x, num, axis);
  check_defined(x, "split");
  const int a = normalize_axis(axis, x.rank(), "split");
  if (num <= 0 || x.shape(a) % num != 0) {
    throw ShapeError(cat("split: axis ", axis, " of shape ", x.shape(), " (size ", x.shape(a),
                         ") cannot be split into ", num, " equal parts"));
  }
  return split(x, std::vector<std::int64_t>(num, x.shape(a) / num), axis);
}

std::vector<Tensor> split(const Tensor& x, const std::vector<std::int64_t>& sizes_in,
                          std::int64_t axis) {
  EMBER_TRACE_OP("split", split, x, sizes_in, axis);
  check_defined(x, "split");
  const int a = normalize_axis(axis, x.rank(), "split");
  std::vector<std::int64_t> sizes = sizes_in;
  std::int64_t total = 0;
  int inferred = -1;
  for (int i = 0; i < static_cast<int>(sizes.size()); ++i) {
    if (sizes[i] == -1 && inferred < 0) {
      inferred = i;
    } else if (sizes[i] < 0) {
      throw ShapeError(cat("split: invalid size ", sizes[i], " (only one -1 is allowed)"));
    } else {
      total += sizes[i];
    }
  }
  if (inferred >= 0 && total <= x.shape(a)) sizes[inferred] = x.shape(a) - total;
  std::int64_t sum = 0;
  for (std::int64_t s : sizes) sum += s;
  if (sum != x.shape(a)) {
    throw ShapeError(cat("split: sizes add up to ", sum, " but axis ", axis, " of shape ",
                         x.shape(), " has size ", x.shape(a)));
  }
  std::vector<Tensor> parts;
  std::int64_t start = 0;
  for (std::int64_t s : sizes) {
    std::vector<Index> index(a, all);
    index.push_back(Slice{start, start + s});
    parts.push_back(x.index(index));
    start += s;
  }
  return parts;
}

Tensor broadcast_to(const Tensor& x, const Shape& shape) {
  EMBER_TRACE_OP("broadcast_to", broadcast_to, x, shape);
  check_defined(x, "broadcast_to");
  const Shape target = broadcast_shapes(x.shape(), shape, "broadcast_to");
  if (target != shape) {
    throw ShapeError(cat("broadcast_to: cannot broadcast shape ", x.shape(), " to ", shape));
  }
  if (target == x.shape()) return x;
  Tensor out = detail::empty(target, x.dtype(), x.device());
  detail::copy_region(x, 0, detail::broadcast_layout(x.shape(), target), out, 0,
                      detail::contiguous_layout(target));
  autodiff::maybe_record("broadcast_to", {&x}, out, [&] { return grad::broadcast_to_backward(x.shape()); });
  return out;
}

Tensor tile(const Tensor& x, const std::vector<std::int64_t>& multiples) {
  EMBER_TRACE_OP("tile", tile, x, multiples);
  check_defined(x, "tile");
  if (static_cast<int>(multiples.size()) != x.rank()) {
    throw ShapeError(cat("tile: multiples has ", multiples.size(), " entries but the tensor has ",
                         "rank ", x.rank(), " (shape ", x.shape(), ")"));
  }
  if (2 * x.rank() > kMaxRank) {
    throw ShapeError(cat("tile: rank ", x.rank(), " is above the supported ", kMaxRank / 2));
  }
  // Read x as [1, d0, 1, d1, ...] broadcast to [m0, d0, m1, d1, ...], then merge pairs.
  std::vector<std::int64_t> spread, tiled, result;
  for (int i = 0; i < x.rank(); ++i) {
    if (multiples[i] < 0) throw ShapeError(cat("tile: negative multiple ", multiples[i]));
    spread.insert(spread.end(), {1, x.shape(i)});
    tiled.insert(tiled.end(), {multiples[i], x.shape(i)});
    result.push_back(multiples[i] * x.shape(i));
  }
  return reshape(broadcast_to(reshape(x, Shape(spread)), Shape(tiled)), Shape(result));
}

Tensor pad(const Tensor& x, const std::vector<std::array<std::int64_t, 2>>& paddings,
           const Scalar& constant_value) {
  EMBER_TRACE_OP("pad", pad, x, paddings, constant_value);
  check_defined(x, "pad");
  if (static_cast<int>(paddings.size()) != x.rank()) {
    throw ShapeError(cat("pad: paddings has ", paddings.size(), " rows but the tensor has rank ",
                         x.rank(), " (shape ", x.shape(), ")"));
  }
  std::vector<std::int64_t> dims;
  for (int i = 0; i < x.rank(); ++i) {
    if (paddings[i][0] < 0 || paddings[i][1] < 0) {
      throw ShapeError(cat("pad: paddings must be >= 0, got {", paddings[i][0], ", ",
                           paddings[i][1], "} for axis ", i));
    }
    dims.push_back(x.shape(i) + paddings[i][0] + paddings[i][1]);
  }
  Tensor out = detail::full(Shape(dims), x.dtype(), x.device(), constant_value.as(x.dtype(), "pad"));
  const auto strides = contiguous_strides(out.shape());
  StridedLayout dst = detail::contiguous_layout(x.shape());
  std::int64_t offset = 0;
  for (int i = 0; i < x.rank(); ++i) {
    dst.strides[i] = strides[i];
    offset += paddings[i][0] * strides[i];
  }
  detail::copy_region(x, 0, detail::contiguous_layout(x.shape()), out, offset, dst);
  autodiff::maybe_record("pad", {&x}, out, [&] { return grad::pad_backward(x.shape(), paddings); });
  return out;
}

Tensor gather(const Tensor& x, const Tensor& indices, std::int64_t axis) {
  EMBER_TRACE_OP("gather", gather, x, indices, axis);
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
  autodiff::maybe_record("gather", {&x, &indices}, out,
                         [&] { return grad::gather_backward(indices, a, x.shape()); });
  return out;
}

Tensor gather(const Tensor& x, const std::vector<std::int64_t>& indices, std::int64_t axis) {
  check_defined(x, "gather");
  const Tensor idx = detail::from_host(indices.data(), Shape{static_cast<std::int64_t>(indices.size())},
                                       DType::int64, x.device());
  return gather(x, idx, axis);
}

Tensor one_hot(const Tensor& indices, std::int64_t depth, const Scalar& on_value,
               const Scalar& off_value, std::int64_t axis, DType dtype) {
  EMBER_TRACE_OP("one_hot", one_hot, indices, depth, on_value, off_value, axis, dtype);
  check_defined(indices, "one_hot");
  detail::check_dtype_in("one_hot", indices, {DType::int32, DType::int64, DType::uint8},
                         "integer indices");
  if (depth < 0) throw ShapeError(cat("one_hot: depth must be >= 0, got ", depth));
  const int a = normalize_axis(axis, indices.rank() + 1, "one_hot");
  // indices with a new axis at `a`, compared against 0..depth-1 laid along that axis.
  std::vector<std::int64_t> depth_dims(indices.rank() + 1, 1);
  depth_dims[a] = depth;
  const Tensor positions = reshape(range(std::int64_t{0}, depth, std::int64_t{1}, DType::int64)
                                       .to(indices.device()),
                                   Shape(depth_dims));
  const Tensor hot = equal(expand_dims(cast(indices, DType::int64), a), positions);
  const Device device = indices.device();
  const Tensor on = detail::full({}, dtype, device, on_value.as(dtype, "one_hot"));
  const Tensor off = detail::full({}, dtype, device, off_value.as(dtype, "one_hot"));
  return where(hot, on, off);
}

Tensor identity(const Tensor& x) {
  EMBER_TRACE_OP("identity", identity, x);
  check_defined(x, "identity");
  Tensor out = detail::view(x, x.shape());
  autodiff::maybe_record("identity", {&x}, out, [] { return grad::identity_backward(); });
  return out;
}

}  // namespace ember
