// Argument checks and layout helpers shared by the op implementations (internal).
#pragma once

#include <initializer_list>
#include <optional>
#include <vector>

#include "core/backend/kernel_types.h"
#include "core/ops/reduce.h"
#include "core/tensor.h"
#include "core/tensor_impl.h"

namespace ember::detail {

/// Throws DTypeError unless a and b have the same dtype; the message suggests cast.
void check_same_dtype(const char* op, const Tensor& a, const Tensor& b);
/// Throws DeviceError unless a and b live on the same device; the message suggests .to().
void check_same_device(const char* op, const Tensor& a, const Tensor& b);
/// Throws DTypeError unless x's dtype is floating ("sqrt: expected float32 or float64, got int32").
void check_floating(const char* op, const Tensor& x);
/// Throws DTypeError unless x's dtype is one of `allowed`.
void check_dtype_in(const char* op, const Tensor& x, std::initializer_list<DType> allowed,
                    const char* what);

/// The sorted, de-duplicated axes a reduction over `axes` of a rank-`rank` tensor reduces (all of
/// them when `axes` says so); throws ShapeError naming `op` for an axis out of range.
std::vector<int> reduced_axes(const Axes& axes, int rank, const char* op);

/// transpose's permutation of a rank-`rank` tensor: `perm` with negative axes resolved, or the
/// reversed axes when absent; throws ShapeError naming `op` for a repeated or out-of-range axis.
/// (The caller checks that `perm` has `rank` entries.)
std::vector<int> resolved_permutation(int rank,
                                      const std::optional<std::vector<std::int64_t>>& perm,
                                      const char* op);

/// The layout that reads a tensor of shape `in` as if it had the (broadcast) shape `out`:
/// broadcast axes get stride 0.
StridedLayout broadcast_layout(const Shape& in, const Shape& out);
/// The contiguous row-major layout of `shape`.
StridedLayout contiguous_layout(const Shape& shape);

/// Merges adjacent axes that every layout traverses contiguously and drops size-1 axes, so
/// kernels see the smallest rank. `shape` is the iteration shape; `layouts` share it.
void coalesce(StridedLayout& shape, std::vector<StridedLayout*> layouts);

/// True when `layout` walks `shape` in row-major order without gaps or broadcasting.
bool is_contiguous(const StridedLayout& layout);

/// An ElementwiseInput reading tensor `t` broadcast to `out_shape`.
ElementwiseInput elementwise_input(const Tensor& t, const Shape& out_shape);

/// Where an index expression (m[1, 2:5, ::-1]) lands in a row-major tensor: the first element's
/// offset, the strided layout of the selected region, and the result's shape.
struct IndexRegion {
  std::int64_t offset = 0;
  StridedLayout layout;
  Shape shape;
};
IndexRegion resolve_index(const Shape& shape, const std::vector<Index>& entries);

/// Writable data of `t`, after replacing `t` by a copy when its storage is shared with any other
/// handle or view (copy-on-write, so values others hold never change).
void* exclusive_data(Tensor& t);

/// A new tensor of `shape` on `device` with every element equal to `value`.
Tensor full(const Shape& shape, DType dtype, const Device& device, ScalarValue value);

/// Copies the region `src_layout` (element strides, starting `src_offset` elements into src) to
/// the region `dst_layout` of dst (starting `dst_offset` elements in); both have one shape.
void copy_region(const Tensor& src, std::int64_t src_offset, StridedLayout src_layout,
                 const Tensor& dst, std::int64_t dst_offset, StridedLayout dst_layout);

/// 0, 1, ..., n - 1 (int64) on `device`: the positions one_hot and the image augmentations compare
/// against. Made once per (device, n) and kept (the first 256 of them), so that a training step
/// uploads nothing for them.
Tensor iota(std::int64_t n, const Device& device);

}  // namespace ember::detail
