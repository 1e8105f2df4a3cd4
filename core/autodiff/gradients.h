// The gradient rule of every differentiable op (internal), written once with ember ops so it runs
// on every device and can be differentiated again. Each factory returns the backward function an
// op records: it maps the gradient of the op's output to the gradients of the op's tensor
// inputs, in the order the op listed them.
#pragma once

#include <cstdint>
#include <vector>

#include "core/autodiff/autodiff.h"
#include "core/backend/kernel_types.h"
#include "core/ops/conv.h"
#include "core/operand.h"
#include "core/tensor.h"

namespace ember::grad {

using autodiff::BackwardFunction;

/// Sums `g` over the axes broadcasting added or stretched, so that it has `shape`.
Tensor reduce_to_shape(const Tensor& g, const Shape& shape);

// gradients_elementwise.cpp
/// Gradients for the tensor operands among a and b (a first). Ties of maximum/minimum go to a.
BackwardFunction binary_backward(BinaryOp op, const Operand& a, const Operand& b, const Tensor& out);
BackwardFunction unary_backward(UnaryOp op, const Tensor& x, const Tensor& out, double param);
/// Gradients for the tensor operands among x and y.
BackwardFunction where_backward(const Tensor& cond, const Operand& x, const Operand& y);
BackwardFunction cast_backward(DType input_dtype);

// gradients_reduce.cpp
/// `axes` are the reduced axes of x (sorted, non-negative).
BackwardFunction reduce_backward(ReduceOp op, const Tensor& x, const Tensor& out, std::vector<int> axes);
BackwardFunction softmax_backward(bool log, const Tensor& out, int axis);

// gradients_shape.cpp
BackwardFunction matmul_backward(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b);
BackwardFunction reshape_backward(const Shape& input_shape);
BackwardFunction transpose_backward(const std::vector<int>& perm);
BackwardFunction concat_backward(const std::vector<std::int64_t>& sizes, int axis);
BackwardFunction broadcast_to_backward(const Shape& input_shape);
BackwardFunction pad_backward(const Shape& input_shape, const std::vector<std::array<std::int64_t, 2>>& paddings);
BackwardFunction gather_backward(const Tensor& indices, int axis, const Shape& input_shape);
BackwardFunction identity_backward();

// gradients_conv.cpp
/// conv2d: dx = conv2d_backward_input, dfilter = conv2d_backward_filter.
BackwardFunction conv2d_backward(const Tensor& x, const Tensor& filter, const Conv2DOptions& options);
/// conv2d_backward_input (inputs filter, dy): its adjoints, conv2d_backward_filter and conv2d.
BackwardFunction conv2d_backward_input_backward(const Tensor& filter, const Tensor& dy,
                                                const Conv2DOptions& options);
/// conv2d_backward_filter (inputs x, dy): conv2d_backward_input and conv2d.
BackwardFunction conv2d_backward_filter_backward(const Tensor& x, const Tensor& dy,
                                                 const Conv2DOptions& options);
BackwardFunction max_pool2d_backward_rule(const Tensor& x, const Tensor& y, const Pool2DOptions& options);
/// max_pool2d_backward (inputs x, y, dy): none for x and y (piecewise constant); an Error for
/// dy (second derivatives of max pooling are not implemented).
BackwardFunction max_pool2d_second_order_rule();
BackwardFunction avg_pool2d_backward_rule(const Shape& input_shape, const Pool2DOptions& options);
/// avg_pool2d_backward (input dy) is linear: its gradient is avg_pool2d.
BackwardFunction avg_pool2d_second_order_rule(const Pool2DOptions& options);
/// fused_batch_norm (inputs x, scale, offset): the backend's fused backward, or the same
/// formula in ops when a tape records the gradient computation (second derivatives).
BackwardFunction fused_batch_norm_backward(const Tensor& x, const Tensor& scale, const Tensor& mean,
                                           const Tensor& variance, double epsilon);
/// The batch mean and batch variance per channel of fused_batch_norm, with respect to x.
BackwardFunction batch_mean_backward(const Tensor& x);
BackwardFunction batch_variance_backward(const Tensor& x);

}  // namespace ember::grad
