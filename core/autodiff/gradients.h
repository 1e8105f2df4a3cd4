// The gradient rule of every differentiable op (internal), written once with ember ops so it runs
// on every device and can be differentiated again. `grad::X_gradient` is the rule of op X: it
// takes the op's result and then the op's arguments, exactly as detail::run_op hands them over
// (core/ops/run_op.h), and returns the backward function the tape keeps. A backward function maps
// the gradient of the op's result to one gradient per tensor argument, in argument order. Each
// family's rules live in core/ops/<family>_grad.cpp.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/autodiff/autodiff.h"
#include "core/backend/kernel_types.h"
#include "core/operand.h"
#include "core/ops/conv.h"
#include "core/ops/linalg.h"
#include "core/ops/norm.h"
#include "core/ops/pool.h"
#include "core/ops/reduce.h"
#include "core/scalar.h"
#include "core/tensor.h"

namespace ember::grad {

using autodiff::BackwardFunction;

/// Sums `g` over the axes broadcasting added or stretched, so that it has `shape`.
Tensor reduce_to_shape(const Tensor& g, const Shape& shape);

// --- elementwise_grad.cpp -------------------------------------------------------------------
/// Gradients for the tensor operands among a and b (a first). Ties of maximum/minimum go to a.
/// None for floordiv, comparisons, logic and integer operands.
BackwardFunction binary_gradient(const Tensor& out, BinaryOp op, const Operand& a,
                                 const Operand& b);
BackwardFunction unary_gradient(const Tensor& out, UnaryOp op, const char* name, const Tensor& x,
                                double param);
/// None for cond; gradients for the tensor operands among x and y.
BackwardFunction where_gradient(const Tensor& out, const Tensor& cond, const Operand& x,
                                const Operand& y);
BackwardFunction cast_gradient(const Tensor& out, const Tensor& x, DType dtype);

// --- reduce_grad.cpp ------------------------------------------------------------------------
BackwardFunction reduce_gradient(const Tensor& out, ReduceOp op, const Tensor& x, const Axes& axes,
                                 bool keepdims);

// --- softmax_grad.cpp -----------------------------------------------------------------------
BackwardFunction softmax_gradient(const Tensor& out, bool log, const Tensor& x, std::int64_t axis);
/// From the inputs again (not the saved forward values), so that an outer tape differentiates
/// through the backward pass (second derivatives).
BackwardFunction softmax_cross_entropy_with_logits_gradient(const Tensor& loss,
                                                            const Tensor& labels,
                                                            const Tensor& logits,
                                                            std::int64_t axis);
/// None for the integer labels.
BackwardFunction sparse_softmax_cross_entropy_with_logits_gradient(const Tensor& loss,
                                                                   const Tensor& labels,
                                                                   const Tensor& logits);

// --- linalg_grad.cpp ------------------------------------------------------------------------
/// Of the product of two matrices (or batches of them) of rank >= 2.
BackwardFunction matmul_gradient(const Tensor& out, const Tensor& a, const Tensor& b,
                                 MatmulOptions options);

// --- shape_grad.cpp -------------------------------------------------------------------------
BackwardFunction reshape_gradient(const Tensor& out, const Tensor& x, const Shape& shape);
BackwardFunction transpose_gradient(const Tensor& out, const Tensor& x,
                                    const std::optional<std::vector<std::int64_t>>& perm);
BackwardFunction concat_gradient(const Tensor& out, const std::vector<Tensor>& values,
                                 std::int64_t axis);
BackwardFunction broadcast_to_gradient(const Tensor& out, const Tensor& x, const Shape& shape);
BackwardFunction pad_gradient(const Tensor& out, const Tensor& x,
                              const std::vector<std::array<std::int64_t, 2>>& paddings,
                              const Scalar& constant_value);
BackwardFunction identity_gradient(const Tensor& out, const Tensor& x);

// --- index_grad.cpp -------------------------------------------------------------------------
BackwardFunction index_gradient(const Tensor& out, const Tensor& x,
                                const std::vector<Index>& entries);
BackwardFunction index_adjoint_gradient(const Tensor& out, const Tensor& g, const Shape& shape,
                                        const std::vector<Index>& entries);
/// None for the indices.
BackwardFunction gather_gradient(const Tensor& out, const Tensor& x, const Tensor& indices,
                                 std::int64_t axis);
BackwardFunction gather_adjoint_gradient(const Tensor& out, const Tensor& g, const Tensor& indices,
                                         int axis, const Shape& shape);

// --- conv_grad.cpp --------------------------------------------------------------------------
/// conv2d: dx = conv2d_backward_input, dfilter = conv2d_backward_filter.
BackwardFunction conv2d_gradient(const Tensor& y, const Tensor& x, const Tensor& filter,
                                 const Conv2DOptions& options);
/// conv2d_backward_input (tensor arguments filter, dy): its adjoints, conv2d_backward_filter and
/// conv2d.
BackwardFunction conv2d_backward_input_gradient(const Tensor& dx, const Shape& input_shape,
                                                const Tensor& filter, const Tensor& dy,
                                                const Conv2DOptions& options);
/// conv2d_backward_filter (tensor arguments x, dy): conv2d_backward_input and conv2d.
BackwardFunction conv2d_backward_filter_gradient(const Tensor& dfilter, const Tensor& x,
                                                 const Shape& filter_shape, const Tensor& dy,
                                                 const Conv2DOptions& options);

// --- pool_grad.cpp --------------------------------------------------------------------------
BackwardFunction max_pool2d_gradient(const Tensor& y, const Tensor& x,
                                     const Pool2DOptions& options);
BackwardFunction avg_pool2d_gradient(const Tensor& y, const Tensor& x,
                                     const Pool2DOptions& options);
/// max_pool2d_backward (tensor arguments x, y, dy): none for x and y (piecewise constant); an
/// Error for dy (second derivatives of max pooling are not implemented).
BackwardFunction max_pool2d_backward_gradient(const Tensor& dx, const Tensor& x, const Tensor& y,
                                              const Tensor& dy, const Pool2DOptions& options);
/// avg_pool2d_backward (tensor argument dy) is linear: its gradient is avg_pool2d.
BackwardFunction avg_pool2d_backward_gradient(const Tensor& dx, const Shape& input_shape,
                                              const Tensor& dy, const Pool2DOptions& options);

// --- norm_grad.cpp --------------------------------------------------------------------------
/// fused_batch_norm (tensor arguments x, scale, offset): one backward function per result, y
/// (the backend's fused backward, or the same formula in ops when a tape records the gradient
/// computation, for second derivatives), then the batch mean and the batch variance (both in x).
std::vector<BackwardFunction> fused_batch_norm_gradient(const FusedBatchNormResult& result,
                                                        const Tensor& x, const Tensor& scale,
                                                        const Tensor& offset, double epsilon);

}  // namespace ember::grad
