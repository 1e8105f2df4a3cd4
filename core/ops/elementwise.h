// Elementwise ops with NumPy broadcasting, and the C++ operators that spell them.
// Both operands must have the same dtype (`int32 + float32` is a DTypeError that suggests
// `cast`, as in TensorFlow) and live on the same device; a C++ number on either side takes the
// dtype of the other.
#pragma once

#include <string>

#include "core/operand.h"
#include "core/tensor.h"

namespace ember {

// --- arithmetic (numeric dtypes) -----------------------------------------------------------
Tensor add(const Operand& a, const Operand& b);
Tensor subtract(const Operand& a, const Operand& b);
Tensor multiply(const Operand& a, const Operand& b);
/// True division. Integer operands are first cast as TensorFlow does (int32/int64 to float64,
/// uint8 to float32).
Tensor divide(const Operand& a, const Operand& b);
/// Floor division (rounds toward -inf, like Python's //). Integer division by zero gives 0.
Tensor floordiv(const Operand& a, const Operand& b);
/// Remainder with the sign of the divisor (Python's %). Integer modulo by zero gives 0.
Tensor floormod(const Operand& a, const Operand& b);
/// a to the power b. For integers, a negative exponent gives 0 unless |a| is 1.
Tensor pow(const Operand& a, const Operand& b);
/// Elementwise max/min; NaN in either operand gives NaN.
Tensor maximum(const Operand& a, const Operand& b);
Tensor minimum(const Operand& a, const Operand& b);

// --- comparisons (any dtype; the result is bool) -------------------------------------------
Tensor equal(const Operand& a, const Operand& b);
Tensor not_equal(const Operand& a, const Operand& b);
Tensor less(const Operand& a, const Operand& b);
Tensor less_equal(const Operand& a, const Operand& b);
Tensor greater(const Operand& a, const Operand& b);
Tensor greater_equal(const Operand& a, const Operand& b);

// --- logic (bool) --------------------------------------------------------------------------
Tensor logical_and(const Operand& a, const Operand& b);
Tensor logical_or(const Operand& a, const Operand& b);

namespace detail {
/// ReLU's gradient, TensorFlow's ReluGrad: dy where x > 0, else 0, in one pass (where(x > 0, dy,
/// 0) takes two and a bool tensor). For gradient rules.
Tensor relu_grad(const Operand& dy, const Operand& x);
}  // namespace detail
Tensor logical_not(const Tensor& x);

// --- unary ---------------------------------------------------------------------------------
Tensor negative(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor sign(const Tensor& x);
Tensor square(const Tensor& x);
// Floating dtypes only (cast integers first, as TensorFlow requires):
Tensor sqrt(const Tensor& x);
Tensor rsqrt(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor log1p(const Tensor& x);
Tensor sin(const Tensor& x);
Tensor cos(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
/// max(x, 0); NaN stays NaN. Also accepts integers.
Tensor relu(const Tensor& x);
/// x if x > 0 else alpha·x (alpha 0.2, TensorFlow's tf.nn.leaky_relu default).
Tensor leaky_relu(const Tensor& x, double alpha = 0.2);
/// x if x > 0 else alpha·(exp(x) − 1).
Tensor elu(const Tensor& x, double alpha = 1.0);
/// log(1 + exp(x)), computed without overflow.
Tensor softplus(const Tensor& x);
/// The error function, 2/sqrt(pi) · integral of exp(-t²) from 0 to x.
Tensor erf(const Tensor& x);

// --- selection -----------------------------------------------------------------------------
/// cond ? x : y elementwise, all three broadcast together; cond must be bool.
Tensor where(const Tensor& cond, const Operand& x, const Operand& y);
/// min(max(x, lo), hi); the result has x's shape.
Tensor clip_by_value(const Tensor& x, const Operand& lo, const Operand& hi);
/// x + bias along the last axis (tf.nn.bias_add); bias has shape (x.shape[-1],).
Tensor bias_add(const Tensor& x, const Tensor& bias);

/// Converts to another dtype (floats to ints truncate toward zero; to bool: non-zero is true).
Tensor cast(const Tensor& x, DType dtype);
/// The same with the dtype by name, as TensorFlow accepts it: cast(x, "int32").
Tensor cast(const Tensor& x, const std::string& dtype);
/// The dtype called `name` ("float32", "int64", "bool", ...); DTypeError naming `op` and the known
/// names otherwise.
DType dtype_from_name(const std::string& name, const char* op = "dtype");

// --- operators -----------------------------------------------------------------------------
Tensor operator+(const Operand& a, const Operand& b);
Tensor operator-(const Operand& a, const Operand& b);
Tensor operator*(const Operand& a, const Operand& b);
Tensor operator/(const Operand& a, const Operand& b);
/// Python's %: floormod.
Tensor operator%(const Operand& a, const Operand& b);
Tensor operator-(const Tensor& x);
Tensor operator<(const Operand& a, const Operand& b);
Tensor operator<=(const Operand& a, const Operand& b);
Tensor operator>(const Operand& a, const Operand& b);
Tensor operator>=(const Operand& a, const Operand& b);
/// Elementwise equality, as in TensorFlow 2 (a bool tensor, not a bool): `tf.cast(a, "int32") ==
/// b`.
Tensor operator==(const Operand& a, const Operand& b);
Tensor operator!=(const Operand& a, const Operand& b);
/// Logical and/or/not of bool tensors (TensorFlow's & | ~).
Tensor operator&(const Operand& a, const Operand& b);
Tensor operator|(const Operand& a, const Operand& b);
Tensor operator~(const Tensor& x);

/// Compound assignment gives the name a new tensor, as Python's `x += 1` does for a tf.Tensor:
/// tensors are immutable, so a tensor read earlier (another name for the old x) keeps its value.
/// (A Variable's `+=` does not compile: use assign_add.)
Tensor& operator+=(Tensor& a, const Operand& b);
Tensor& operator-=(Tensor& a, const Operand& b);
Tensor& operator*=(Tensor& a, const Operand& b);
Tensor& operator/=(Tensor& a, const Operand& b);
Tensor& operator%=(Tensor& a, const Operand& b);
Tensor& operator&=(Tensor& a, const Operand& b);
Tensor& operator|=(Tensor& a, const Operand& b);

}  // namespace ember
