#include "core/ops/elementwise.h"

#include "core/autodiff/gradients.h"
#include "core/constant.h"
#include "core/error.h"
#include "core/ops/op_support.h"
#include "core/ops/run_op.h"

namespace ember {
namespace {

using detail::backend_of;
using detail::mutable_data;

const char* binary_name(BinaryOp op) {
  switch (op) {
    case BinaryOp::add:
      return "add";
    case BinaryOp::subtract:
      return "subtract";
    case BinaryOp::multiply:
      return "multiply";
    case BinaryOp::divide:
      return "divide";
    case BinaryOp::floordiv:
      return "floordiv";
    case BinaryOp::floormod:
      return "floormod";
    case BinaryOp::pow:
      return "pow";
    case BinaryOp::maximum:
      return "maximum";
    case BinaryOp::minimum:
      return "minimum";
    case BinaryOp::equal:
      return "equal";
    case BinaryOp::not_equal:
      return "not_equal";
    case BinaryOp::less:
      return "less";
    case BinaryOp::less_equal:
      return "less_equal";
    case BinaryOp::greater:
      return "greater";
    case BinaryOp::greater_equal:
      return "greater_equal";
    case BinaryOp::logical_and:
      return "logical_and";
    case BinaryOp::logical_or:
      return "logical_or";
    case BinaryOp::relu_grad:
      return "relu_grad";
  }
  return "binary";
}

// TensorFlow's true division casts integers to floats first.
DType truediv_dtype(DType t) { return t == DType::uint8 ? DType::float32 : DType::float64; }

void check_binary_dtype(BinaryOp op, DType dtype) {
  const char* name = binary_name(op);
  if (op == BinaryOp::logical_and || op == BinaryOp::logical_or) {
    if (dtype != DType::bool_) {
      throw DTypeError(cat(name, ": expected bool operands, got ", dtype_name(dtype),
                           "; compare first (e.g. x > 0) or cast to bool"));
    }
  } else if (!is_comparison(op) && dtype == DType::bool_) {
    throw DTypeError(cat(name, ": bool operands are not numbers; use logical_and/logical_or ",
                         "or cast to a numeric dtype"));
  }
}

// Turns an operand into a kernel input broadcast to `out_shape`, converting a host number to
// `dtype` (which may differ from its own dtype: `x * 2` with float x).
ElementwiseInput operand_input(const Operand& v, DType dtype, const Shape& out_shape,
                               const char* op) {
  if (v.is_scalar()) {
    ElementwiseInput in;
    in.is_scalar = true;
    in.scalar = v.scalar().as(dtype, op);
    in.layout = detail::contiguous_layout(out_shape);
    return in;
  }
  return detail::elementwise_input(v.tensor(), out_shape);
}

Tensor binary(BinaryOp op, const Operand& a, const Operand& b);

Tensor binary_forward(BinaryOp op, const Operand& a_in, const Operand& b_in) {
  const char* name = binary_name(op);
  if (a_in.is_scalar() && b_in.is_scalar()) {
    return binary(op, constant(a_in.scalar()), b_in);  // like tf.add(1, 2): a scalar tensor
  }
  Operand a = a_in, b = b_in;
  if (!a.is_scalar()) detail::check_defined(a.tensor(), name);
  if (!b.is_scalar()) detail::check_defined(b.tensor(), name);
  if (!a.is_scalar() && !b.is_scalar()) {
    detail::check_same_device(name, a.tensor(), b.tensor());
    const DType ta = a.tensor().dtype(), tb = b.tensor().dtype();
    if (is_comparison(op) && ta != tb && is_integer(ta) && is_integer(tb)) {
      // Integers of different widths compare exactly in int64 (uint8 labels against an int64
      // argmax), as NumPy compares them; no other mix is converted silently.
      a = cast(a.tensor(), DType::int64);
      b = cast(b.tensor(), DType::int64);
    }
    detail::check_same_dtype(name, a.tensor(), b.tensor());
  }
  const Tensor& ref = a.is_scalar() ? b.tensor() : a.tensor();
  DType dtype = ref.dtype();
  check_binary_dtype(op, dtype);
  if (op == BinaryOp::divide && is_integer(dtype)) {
    dtype = truediv_dtype(dtype);
    if (!a.is_scalar()) a = cast(a.tensor(), dtype);
    if (!b.is_scalar()) b = cast(b.tensor(), dtype);
  }
  const Shape out_shape = a.is_scalar() ? b.tensor().shape()
                          : b.is_scalar()
                              ? a.tensor().shape()
                              : broadcast_shapes(a.tensor().shape(), b.tensor().shape(), name);
  ElementwiseInput ia = operand_input(a, dtype, out_shape, name);
  ElementwiseInput ib = operand_input(b, dtype, out_shape, name);
  const bool logical = op == BinaryOp::logical_and || op == BinaryOp::logical_or;
  const DType out_dtype = is_comparison(op) || logical ? DType::bool_ : dtype;
  Tensor out = detail::empty(out_shape, out_dtype, ref.device());
  if (out.size() > 0) {
    StridedLayout iteration = detail::contiguous_layout(out_shape);
    detail::coalesce(iteration, {&ia.layout, &ib.layout});
    ia.contiguous = !ia.is_scalar && detail::is_contiguous(ia.layout);
    ib.contiguous = !ib.is_scalar && detail::is_contiguous(ib.layout);
    backend_of(out).binary(op, dtype, ia, ib, mutable_data(out), iteration);
  }
  return out;
}

Tensor binary(BinaryOp op, const Operand& a, const Operand& b) {
  return detail::run_op(binary_name(op), binary_forward, grad::binary_gradient, op, a, b);
}

Tensor unary_forward(UnaryOp op, const char* name, const Tensor& x, double param) {
  detail::check_defined(x, name);
  switch (op) {
    case UnaryOp::negative:
    case UnaryOp::abs:
    case UnaryOp::sign:
    case UnaryOp::square:
    case UnaryOp::relu:
      if (x.dtype() == DType::bool_) {
        throw DTypeError(cat(name, ": expected a numeric dtype, got bool; cast it first"));
      }
      break;
    case UnaryOp::logical_not:
      detail::check_dtype_in(name, x, {DType::bool_}, "bool");
      break;
    default:
      detail::check_floating(name, x);
  }
  Tensor out = detail::empty(x.shape(), x.dtype(), x.device());
  if (out.size() > 0) {
    backend_of(out).unary(op, x.dtype(), x.raw_data(), mutable_data(out), x.size(), param);
  }
  return out;
}

Tensor unary(UnaryOp op, const char* name, const Tensor& x, double param = 0) {
  return detail::run_op(name, unary_forward, grad::unary_gradient, op, name, x, param);
}

}  // namespace

Tensor add(const Operand& a, const Operand& b) { return binary(BinaryOp::add, a, b); }
Tensor subtract(const Operand& a, const Operand& b) { return binary(BinaryOp::subtract, a, b); }
Tensor multiply(const Operand& a, const Operand& b) { return binary(BinaryOp::multiply, a, b); }
Tensor divide(const Operand& a, const Operand& b) { return binary(BinaryOp::divide, a, b); }
Tensor floordiv(const Operand& a, const Operand& b) { return binary(BinaryOp::floordiv, a, b); }
Tensor floormod(const Operand& a, const Operand& b) { return binary(BinaryOp::floormod, a, b); }
Tensor pow(const Operand& a, const Operand& b) { return binary(BinaryOp::pow, a, b); }
Tensor maximum(const Operand& a, const Operand& b) { return binary(BinaryOp::maximum, a, b); }
Tensor minimum(const Operand& a, const Operand& b) { return binary(BinaryOp::minimum, a, b); }
Tensor equal(const Operand& a, const Operand& b) { return binary(BinaryOp::equal, a, b); }
Tensor not_equal(const Operand& a, const Operand& b) { return binary(BinaryOp::not_equal, a, b); }
Tensor less(const Operand& a, const Operand& b) { return binary(BinaryOp::less, a, b); }
Tensor less_equal(const Operand& a, const Operand& b) { return binary(BinaryOp::less_equal, a, b); }
Tensor greater(const Operand& a, const Operand& b) { return binary(BinaryOp::greater, a, b); }
Tensor greater_equal(const Operand& a, const Operand& b) {
  return binary(BinaryOp::greater_equal, a, b);
}
Tensor logical_and(const Operand& a, const Operand& b) {
  return binary(BinaryOp::logical_and, a, b);
}
Tensor logical_or(const Operand& a, const Operand& b) { return binary(BinaryOp::logical_or, a, b); }
Tensor detail::relu_grad(const Operand& dy, const Operand& x) {
  return binary(BinaryOp::relu_grad, dy, x);
}

Tensor logical_not(const Tensor& x) { return unary(UnaryOp::logical_not, "logical_not", x); }
Tensor negative(const Tensor& x) { return unary(UnaryOp::negative, "negative", x); }
Tensor abs(const Tensor& x) { return unary(UnaryOp::abs, "abs", x); }
Tensor sign(const Tensor& x) { return unary(UnaryOp::sign, "sign", x); }
Tensor square(const Tensor& x) { return unary(UnaryOp::square, "square", x); }
Tensor sqrt(const Tensor& x) { return unary(UnaryOp::sqrt, "sqrt", x); }
Tensor rsqrt(const Tensor& x) { return unary(UnaryOp::rsqrt, "rsqrt", x); }
Tensor exp(const Tensor& x) { return unary(UnaryOp::exp, "exp", x); }
Tensor log(const Tensor& x) { return unary(UnaryOp::log, "log", x); }
Tensor log1p(const Tensor& x) { return unary(UnaryOp::log1p, "log1p", x); }
Tensor sin(const Tensor& x) { return unary(UnaryOp::sin, "sin", x); }
Tensor cos(const Tensor& x) { return unary(UnaryOp::cos, "cos", x); }
Tensor tanh(const Tensor& x) { return unary(UnaryOp::tanh, "tanh", x); }
Tensor sigmoid(const Tensor& x) { return unary(UnaryOp::sigmoid, "sigmoid", x); }
Tensor relu(const Tensor& x) { return unary(UnaryOp::relu, "relu", x); }
Tensor leaky_relu(const Tensor& x, double alpha) {
  return unary(UnaryOp::leaky_relu, "leaky_relu", x, alpha);
}
Tensor elu(const Tensor& x, double alpha) { return unary(UnaryOp::elu, "elu", x, alpha); }
Tensor softplus(const Tensor& x) { return unary(UnaryOp::softplus, "softplus", x); }
Tensor erf(const Tensor& x) { return unary(UnaryOp::erf, "erf", x); }

namespace {

Tensor where_forward(const Tensor& cond, const Operand& x_in, const Operand& y_in) {
  detail::check_defined(cond, "where");
  detail::check_dtype_in("where", cond, {DType::bool_}, "a bool condition");
  Operand x = x_in, y = y_in;
  // With two numbers, the first one's dtype rules (TensorFlow converts both to one tensor type).
  if (x.is_scalar() && y.is_scalar()) x = constant(x.scalar()).to(cond.device());
  const Tensor& ref = x.is_scalar() ? y.tensor() : x.tensor();
  detail::check_same_device("where", cond, ref);
  if (!x.is_scalar() && !y.is_scalar()) {
    detail::check_same_device("where", x.tensor(), y.tensor());
    detail::check_same_dtype("where", x.tensor(), y.tensor());
  }
  const DType dtype = ref.dtype();
  Shape out_shape = broadcast_shapes(cond.shape(), ref.shape(), "where");
  if (!x.is_scalar() && !y.is_scalar())
    out_shape = broadcast_shapes(out_shape, y.tensor().shape(), "where");
  ElementwiseInput ic = detail::elementwise_input(cond, out_shape);
  ElementwiseInput ix = operand_input(x, dtype, out_shape, "where");
  ElementwiseInput iy = operand_input(y, dtype, out_shape, "where");
  Tensor out = detail::empty(out_shape, dtype, cond.device());
  if (out.size() > 0) {
    StridedLayout iteration = detail::contiguous_layout(out_shape);
    detail::coalesce(iteration, {&ic.layout, &ix.layout, &iy.layout});
    ic.contiguous = detail::is_contiguous(ic.layout);
    ix.contiguous = !ix.is_scalar && detail::is_contiguous(ix.layout);
    iy.contiguous = !iy.is_scalar && detail::is_contiguous(iy.layout);
    backend_of(out).where(dtype, ic, ix, iy, mutable_data(out), iteration);
  }
  return out;
}

Tensor cast_forward(const Tensor& x, DType dtype) {
  detail::check_defined(x, "cast");
  if (x.dtype() == dtype) return x;
  Tensor out = detail::empty(x.shape(), dtype, x.device());
  if (out.size() > 0) {
    backend_of(out).cast(x.dtype(), x.raw_data(), dtype, mutable_data(out), x.size());
  }
  return out;
}

}  // namespace

Tensor where(const Tensor& cond, const Operand& x, const Operand& y) {
  return detail::run_op("where", where_forward, grad::where_gradient, cond, x, y);
}

Tensor clip_by_value(const Tensor& x, const Operand& lo, const Operand& hi) {
  detail::check_defined(x, "clip_by_value");
  Tensor out = minimum(maximum(x, lo), hi);
  if (out.shape() != x.shape()) {
    throw ShapeError(cat("clip_by_value: the bounds would broadcast x from ", x.shape(), " to ",
                         out.shape(), "; the result must keep x's shape"));
  }
  return out;
}

DType dtype_from_name(const std::string& name, const char* op) {
  for (DType t : {DType::float32, DType::float64, DType::float16, DType::bfloat16, DType::int32,
                  DType::int64, DType::uint8, DType::bool_}) {
    if (name == dtype_name(t)) return t;
  }
  throw DTypeError(
      cat(op, ": unknown dtype \"", name,
          "\"; known: float32, float64, float16, bfloat16, int32, int64, uint8, bool"));
}

Tensor cast(const Tensor& x, const std::string& dtype) {
  return cast(x, dtype_from_name(dtype, "cast"));
}

Tensor cast(const Tensor& x, DType dtype) {
  return detail::run_op("cast", cast_forward, grad::cast_gradient, x, dtype);
}

Tensor bias_add(const Tensor& x, const Tensor& bias) {
  constexpr const char* op = "bias_add";
  detail::check_defined(x, op);
  detail::check_defined(bias, op);
  detail::check_same_device(op, x, bias);
  detail::check_same_dtype(op, x, bias);
  if (x.rank() < 2) throw ShapeError(cat(op, ": expected x of rank >= 2, got shape ", x.shape()));
  if (bias.rank() != 1 || bias.shape(0) != x.shape(-1)) {
    throw ShapeError(cat(op, ": expected bias of shape (", x.shape(-1),
                         ",) (x's last dimension), got ", bias.shape(), " for x ", x.shape()));
  }
  return x + bias;
}

Tensor operator+(const Operand& a, const Operand& b) { return add(a, b); }
Tensor operator-(const Operand& a, const Operand& b) { return subtract(a, b); }
Tensor operator*(const Operand& a, const Operand& b) { return multiply(a, b); }
Tensor operator/(const Operand& a, const Operand& b) { return divide(a, b); }
Tensor operator%(const Operand& a, const Operand& b) { return floormod(a, b); }
Tensor operator-(const Tensor& x) { return negative(x); }
Tensor operator<(const Operand& a, const Operand& b) { return less(a, b); }
Tensor operator==(const Operand& a, const Operand& b) { return equal(a, b); }
Tensor operator!=(const Operand& a, const Operand& b) { return not_equal(a, b); }
Tensor operator<=(const Operand& a, const Operand& b) { return less_equal(a, b); }
Tensor operator>(const Operand& a, const Operand& b) { return greater(a, b); }
Tensor operator>=(const Operand& a, const Operand& b) { return greater_equal(a, b); }
Tensor operator&(const Operand& a, const Operand& b) { return logical_and(a, b); }
Tensor operator|(const Operand& a, const Operand& b) { return logical_or(a, b); }
Tensor operator~(const Tensor& x) { return logical_not(x); }

Tensor& operator+=(Tensor& a, const Operand& b) { return a = add(a, b); }
Tensor& operator-=(Tensor& a, const Operand& b) { return a = subtract(a, b); }
Tensor& operator*=(Tensor& a, const Operand& b) { return a = multiply(a, b); }
Tensor& operator/=(Tensor& a, const Operand& b) { return a = divide(a, b); }
Tensor& operator%=(Tensor& a, const Operand& b) { return a = floormod(a, b); }
Tensor& operator&=(Tensor& a, const Operand& b) { return a = logical_and(a, b); }
Tensor& operator|=(Tensor& a, const Operand& b) { return a = logical_or(a, b); }

}  // namespace ember
