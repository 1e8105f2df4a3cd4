// The gradient rule of every differentiable op (internal), written once with ember ops so it runs
// on every device and can be differentiated again. Each factory returns the backward function an
// op records: it maps the gradient of the op's output to the gradients of the op's tensor
// inputs, in the order the op listed them.
#pragma once

#include <cstdint>
#include <vector>

#include "core/autodiff.h"
#include "core/kernel_types.h"
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

}  // namespace ember::grad
