#include "core/ops/shape.h"

#include <algorithm>

#include "core/autodiff/gradients.h"
#include "core/constant.h"
#include "core/error.h"
#include "core/ops/creation.h"
#include "core/ops/elementwise.h"
#include "core/ops/op_support.h"
#include "core/ops/run_op.h"

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

Tensor reshape_forward(const Tensor& x, const Shape& shape) {
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
      throw ShapeError(cat("reshape: cannot reshape a tensor of shape ", x.shape(), " (", x.size(),
                           " elements) into ", shape));
    }
    dims[inferred] = x.size() / known;
  } else if (known != x.size()) {
    throw ShapeError(cat("reshape: cannot reshape a tensor of shape ", x.shape(), " (", x.size(),
                         " elements) into ", shape, " (", known, " elements)"));
  }
  if (static_cast<int>(dims.size()) > kMaxRank) {
    throw ShapeError(cat("reshape: rank ", dims.size(), " exceeds the maximum rank ", kMaxRank));
  }
  return detail::view(x, Shape(dims));
}

Tensor transpose_forward(const Tensor& x, const std::optional<std::vector<std::int64_t>>& perm_in) {
  check_defined(x, "transpose");
  if (perm_in && static_cast<int>(perm_in->size()) != x.rank()) {
    throw ShapeError(cat("transpose: perm has ", perm_in->size(), " entries but the tensor has ",
                         "rank ", x.rank(), " (shape ", x.shape(), ")"));
  }
  const std::vector<int> perm = detail::resolved_permutation(x.rank(), perm_in, "transpose");
  const int rank = x.rank();
  StridedLayout src = permuted_layout(x.shape(), perm);
  std::vector<std::int64_t> dims(src.shape, src.shape + rank);
  Tensor out = detail::empty(Shape(dims), x.dtype(), x.device());
  detail::copy_region(x, 0, src, out, 0, detail::contiguous_layout(out.shape()));
  return out;
}

Tensor expand_dims_forward(const Tensor& x, std::int64_t axis) {
  check_defined(x, "expand_dims");
  const int a = normalize_axis(axis, x.rank() + 1, "expand_dims");
  std::vector<std::int64_t> dims = x.shape().dims();
  dims.insert(dims.begin() + a, 1);
  return reshape(x, Shape(dims));
}

Tensor squeeze_forward(const Tensor& x, const std::optional<std::vector<std::int64_t>>& axes) {
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

Tensor concat_forward(const std::vector<Tensor>& values, std::int64_t axis) {
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
  for (const Tensor& v : values) {
    StridedLayout dst = detail::contiguous_layout(v.shape());
    for (int d = 0; d < v.rank(); ++d) dst.strides[d] = out_strides[d];
    detail::copy_region(v, 0, detail::contiguous_layout(v.shape()), out, position * out_strides[a],
                        dst);
    position += v.shape(a);
  }
  return out;
}

Tensor stack_forward(const std::vector<Tensor>& values, std::int64_t axis) {
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

std::vector<Tensor> split_evenly_forward(const Tensor& x, std::int64_t num, std::int64_t axis) {
  check_defined(x, "split");
  const int a = normalize_axis(axis, x.rank(), "split");
  if (num <= 0 || x.shape(a) % num != 0) {
    throw ShapeError(cat("split: axis ", axis, " of shape ", x.shape(), " (size ", x.shape(a),
                         ") cannot be split into ", num, " equal parts"));
  }
  return split(x, std::vector<std::int64_t>(num, x.shape(a) / num), axis);
}

std::vector<Tensor> split_sizes_forward(const Tensor& x, const std::vector<std::int64_t>& sizes_in,
                                        std::int64_t axis) {
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

Tensor broadcast_to_forward(const Tensor& x, const Shape& shape) {
  check_defined(x, "broadcast_to");
  const Shape target = broadcast_shapes(x.shape(), shape, "broadcast_to");
  if (target != shape) {
    throw ShapeError(cat("broadcast_to: cannot broadcast shape ", x.shape(), " to ", shape));
  }
  if (target == x.shape()) return x;
  Tensor out = detail::empty(target, x.dtype(), x.device());
  detail::copy_region(x, 0, detail::broadcast_layout(x.shape(), target), out, 0,
                      detail::contiguous_layout(target));
  return out;
}

Tensor tile_forward(const Tensor& x, const std::vector<std::int64_t>& multiples) {
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

Tensor pad_forward(const Tensor& x, const std::vector<std::array<std::int64_t, 2>>& paddings,
                   const Scalar& constant_value) {
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
  Tensor out =
      detail::full(Shape(dims), x.dtype(), x.device(), constant_value.as(x.dtype(), "pad"));
  const auto strides = contiguous_strides(out.shape());
  StridedLayout dst = detail::contiguous_layout(x.shape());
  std::int64_t offset = 0;
  for (int i = 0; i < x.rank(); ++i) {
    dst.strides[i] = strides[i];
    offset += paddings[i][0] * strides[i];
  }
  detail::copy_region(x, 0, detail::contiguous_layout(x.shape()), out, offset, dst);
  return out;
}

Tensor identity_forward(const Tensor& x) {
  check_defined(x, "identity");
  return detail::view(x, x.shape());
}

}  // namespace

using detail::no_gradient;
using detail::run_op;

Tensor reshape(const Tensor& x, const Shape& shape) {
  return run_op("reshape", reshape_forward, grad::reshape_gradient, x, shape);
}
Tensor transpose(const Tensor& x, Optional<std::vector<std::int64_t>> perm) {
  return run_op("transpose", transpose_forward, grad::transpose_gradient, x, perm);
}
Tensor expand_dims(const Tensor& x, std::int64_t axis) {
  return run_op("expand_dims", expand_dims_forward, no_gradient, x, axis);
}
Tensor squeeze(const Tensor& x, Optional<std::vector<std::int64_t>> axes) {
  return run_op("squeeze", squeeze_forward, no_gradient, x, axes);
}
Tensor concat(const std::vector<Tensor>& values, std::int64_t axis) {
  return run_op("concat", concat_forward, grad::concat_gradient, values, axis);
}
Tensor stack(const std::vector<Tensor>& values, std::int64_t axis) {
  return run_op("stack", stack_forward, no_gradient, values, axis);
}
std::vector<Tensor> split(const Tensor& x, std::int64_t num, std::int64_t axis) {
  return run_op("split", split_evenly_forward, no_gradient, x, num, axis);
}
std::vector<Tensor> split(const Tensor& x, const std::vector<std::int64_t>& sizes,
                          std::int64_t axis) {
  return run_op("split", split_sizes_forward, no_gradient, x, sizes, axis);
}
Tensor broadcast_to(const Tensor& x, const Shape& shape) {
  return run_op("broadcast_to", broadcast_to_forward, grad::broadcast_to_gradient, x, shape);
}
Tensor tile(const Tensor& x, const std::vector<std::int64_t>& multiples) {
  return run_op("tile", tile_forward, no_gradient, x, multiples);
}
Tensor pad(const Tensor& x, const std::vector<std::array<std::int64_t, 2>>& paddings,
           const Scalar& constant_value) {
  return run_op("pad", pad_forward, grad::pad_gradient, x, paddings, constant_value);
}
Tensor identity(const Tensor& x) {
  return run_op("identity", identity_forward, grad::identity_gradient, x);
}

}  // namespace ember
