#include "core/ops/op_support.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <tuple>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/tensor_impl.h"

namespace ember::detail {

std::vector<int> reduced_axes(const Axes& axes, int rank, const char* op) {
  std::vector<int> out;
  if (axes.all()) {
    for (int i = 0; i < rank; ++i) out.push_back(i);
    return out;
  }
  for (std::int64_t a : axes.list()) out.push_back(normalize_axis(a, rank, op));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<int> resolved_permutation(int rank,
                                      const std::optional<std::vector<std::int64_t>>& perm_in,
                                      const char* op) {
  std::vector<int> perm(rank);
  if (!perm_in) {
    for (int i = 0; i < rank; ++i) perm[i] = rank - 1 - i;
    return perm;
  }
  std::vector<bool> seen(rank, false);
  for (int i = 0; i < rank; ++i) {
    perm[i] = normalize_axis((*perm_in)[i], rank, op);
    if (seen[perm[i]]) throw ShapeError(cat(op, ": axis ", perm[i], " repeats in perm"));
    seen[perm[i]] = true;
  }
  return perm;
}

void check_same_dtype(const char* op, const Tensor& a, const Tensor& b) {
  if (a.dtype() == b.dtype()) return;
  // Suggest the cast that loses nothing: integers to the floating type, never floats to ints.
  DType target = a.dtype(), other = b.dtype();
  if (is_floating(b.dtype()) && !is_floating(a.dtype())) std::swap(target, other);
  throw DTypeError(cat(op, ": dtypes differ: ", dtype_name(a.dtype()), " vs ",
                       dtype_name(b.dtype()), "; ember does not convert implicitly, use ",
                       "ember::cast(x, ember::", dtype_name(target), ") on the ", dtype_name(other),
                       " operand"));
}

void check_same_device(const char* op, const Tensor& a, const Tensor& b) {
  if (a.device() != b.device()) {
    throw DeviceError(cat(op, ": operands are on different devices: ", a.device(), " vs ",
                          b.device(), "; move one with .to(device)"));
  }
}

void check_floating(const char* op, const Tensor& x) {
  if (!is_floating(x.dtype())) {
    throw DTypeError(
        cat(op, ": expected a floating dtype (float32, float64, float16 or bfloat16), got ",
            dtype_name(x.dtype()), "; use ember::cast(x, ember::float32)"));
  }
}

void check_dtype_in(const char* op, const Tensor& x, std::initializer_list<DType> allowed,
                    const char* what) {
  for (DType d : allowed) {
    if (x.dtype() == d) return;
  }
  throw DTypeError(cat(op, ": expected ", what, ", got ", dtype_name(x.dtype())));
}

StridedLayout broadcast_layout(const Shape& in, const Shape& out) {
  StridedLayout layout;
  layout.rank = out.rank();
  const auto in_strides = contiguous_strides(in);
  const int shift = out.rank() - in.rank();
  for (int i = 0; i < out.rank(); ++i) {
    layout.shape[i] = out.dims()[i];
    const int j = i - shift;
    layout.strides[i] = (j >= 0 && in.dims()[j] != 1) ? in_strides[j] : 0;
  }
  return layout;
}

StridedLayout contiguous_layout(const Shape& shape) { return broadcast_layout(shape, shape); }

void coalesce(StridedLayout& shape, std::vector<StridedLayout*> layouts) {
  // Drop size-1 axes: they contribute nothing to addressing.
  int rank = 0;
  for (int i = 0; i < shape.rank; ++i) {
    if (shape.shape[i] == 1) continue;
    shape.shape[rank] = shape.shape[i];
    shape.strides[rank] = shape.strides[i];
    for (StridedLayout* l : layouts) {
      l->shape[rank] = l->shape[i];
      l->strides[rank] = l->strides[i];
    }
    ++rank;
  }
  // Merge axis i into i-1 when every layout steps over i-1 exactly as far as over all of i.
  int merged = 0;
  for (int i = 0; i < rank; ++i) {
    bool can_merge = merged > 0;
    if (can_merge) {
      if (shape.strides[merged - 1] != shape.strides[i] * shape.shape[i]) can_merge = false;
      for (StridedLayout* l : layouts) {
        if (l->strides[merged - 1] != l->strides[i] * shape.shape[i]) can_merge = false;
      }
    }
    if (can_merge) {
      shape.shape[merged - 1] *= shape.shape[i];
      shape.strides[merged - 1] = shape.strides[i];
      for (StridedLayout* l : layouts) {
        l->shape[merged - 1] = shape.shape[merged - 1];
        l->strides[merged - 1] = l->strides[i];
      }
    } else {
      shape.shape[merged] = shape.shape[i];
      shape.strides[merged] = shape.strides[i];
      for (StridedLayout* l : layouts) {
        l->shape[merged] = shape.shape[i];
        l->strides[merged] = l->strides[i];
      }
      ++merged;
    }
  }
  shape.rank = merged;
  for (StridedLayout* l : layouts) l->rank = merged;
}

bool is_contiguous(const StridedLayout& layout) {
  std::int64_t expected = 1;
  for (int i = layout.rank - 1; i >= 0; --i) {
    if (layout.shape[i] != 1 && layout.strides[i] != expected) return false;
    expected *= layout.shape[i];
  }
  return true;
}

ElementwiseInput elementwise_input(const Tensor& t, const Shape& out_shape) {
  ElementwiseInput in;
  in.data = t.raw_data();
  in.layout = broadcast_layout(t.shape(), out_shape);
  return in;
}

void* exclusive_data(Tensor& t) {
  const auto& impl = t.impl();
  if (impl.use_count() > 1 || impl->storage.use_count() > 1) {
    Tensor copy = empty(t.shape(), t.dtype(), t.device());
    const std::size_t bytes = static_cast<std::size_t>(t.size()) * dtype_size(t.dtype());
    if (bytes > 0) backend_of(copy).copy(mutable_data(copy), t.raw_data(), bytes);
    t = copy;
  }
  return mutable_data(t);
}

Tensor full(const Shape& shape, DType dtype, const Device& device, ScalarValue value) {
  Tensor t = empty(shape, dtype, device);
  if (t.size() > 0) backend_of(t).fill(dtype, mutable_data(t), t.size(), value);
  return t;
}

void copy_region(const Tensor& src, std::int64_t src_offset, StridedLayout src_layout,
                 const Tensor& dst, std::int64_t dst_offset, StridedLayout dst_layout) {
  std::int64_t n = 1;
  for (int i = 0; i < src_layout.rank; ++i) n *= src_layout.shape[i];
  if (n == 0) return;
  StridedLayout iteration = dst_layout;
  coalesce(iteration, {&src_layout, &dst_layout});
  const std::size_t element = dtype_size(src.dtype());
  backend_of(dst).strided_copy(
      element, static_cast<const char*>(src.raw_data()) + src_offset * std::int64_t(element),
      src_layout, static_cast<char*>(mutable_data(dst)) + dst_offset * std::int64_t(element),
      dst_layout);
}

Tensor iota(std::int64_t n, const Device& device) {
  constexpr std::size_t kMaxKept = 256;
  static std::mutex mutex;
  static std::map<std::tuple<int, int, std::int64_t>, Tensor> kept;
  const auto key = std::make_tuple(static_cast<int>(device.kind), device.index, n);
  {
    const std::lock_guard<std::mutex> lock(mutex);
    const auto it = kept.find(key);
    if (it != kept.end()) return it->second;
  }
  std::vector<std::int64_t> values(static_cast<std::size_t>(std::max<std::int64_t>(n, 0)));
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<std::int64_t>(i);
  const Tensor made = from_host(values.data(), Shape{static_cast<std::int64_t>(values.size())},
                                DType::int64, device);
  const std::lock_guard<std::mutex> lock(mutex);
  if (kept.size() < kMaxKept) kept.emplace(key, made);
  return made;
}

}  // namespace ember::detail
