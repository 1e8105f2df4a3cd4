// Gradient rules of the elementwise ops.
#include <cmath>

#include "core/autodiff/gradients.h"
#include "core/error.h"
#include "core/ops/creation.h"
#include "core/ops/elementwise.h"
#include "core/ops/reduce.h"
#include "core/ops/shape.h"

namespace ember::grad {

Tensor reduce_to_shape(const Tensor& g, const Shape& shape) {
  if (g.shape() == shape) return g;
  const int lead = g.rank() - shape.rank();
  std::vector<std::int64_t> axes;
  for (int i = 0; i < g.rank(); ++i) {
    if (i < lead || (shape.dims()[i - lead] == 1 && g.shape(i) != 1)) axes.push_back(i);
  }
  return reshape(reduce_sum(g, axes, true), shape);
}

namespace {

// The gradient list for the tensor operands among a and b.
autodiff::Gradients for_tensors(const Operand& a, const Operand& b, std::optional<Tensor> ga,
                                std::optional<Tensor> gb) {
  autodiff::Gradients out;
  if (!a.is_scalar())
    out.push_back(ga ? std::optional(reduce_to_shape(*ga, a.tensor().shape())) : std::nullopt);
  if (!b.is_scalar())
    out.push_back(gb ? std::optional(reduce_to_shape(*gb, b.tensor().shape())) : std::nullopt);
  return out;
}

}  // namespace

BackwardFunction binary_gradient(const Tensor& out, BinaryOp op, const Operand& a,
                                 const Operand& b) {
  // floordiv, comparisons and logic have no gradient, and neither has arithmetic on integers
  // (an integer division's float result included).
  if (op == BinaryOp::floordiv || is_comparison(op) || op == BinaryOp::logical_and ||
      op == BinaryOp::logical_or) {
    return {};
  }
  for (const Operand* operand : {&a, &b}) {
    if (!operand->is_scalar() && !is_floating(operand->tensor().dtype())) return {};
  }
  return [op, a, b, out](const Tensor& g, autodiff::NeedsMask mask) -> autodiff::Gradients {
    // Which of a and b want a gradient: the mask counts tensor operands only.
    const bool want_a = !a.is_scalar() && autodiff::needs(mask, 0);
    const bool want_b = !b.is_scalar() && autodiff::needs(mask, a.is_scalar() ? 0 : 1);
    std::optional<Tensor> ga, gb;
    switch (op) {
      case BinaryOp::add:
        if (want_a) ga = g;
        if (want_b) gb = g;
        break;
      case BinaryOp::subtract:
        if (want_a) ga = g;
        if (want_b) gb = negative(g);
        break;
      case BinaryOp::multiply:
        if (want_a) ga = g * b;
        if (want_b) gb = g * a;
        break;
      case BinaryOp::divide:
        if (want_a) ga = g / b;
        if (want_b) gb = negative(g * out) / b;  // -g·a/b² = -g·(a/b)/b
        break;
      case BinaryOp::pow:
        if (want_a) {
          // b·a^(b−1); with a host exponent the arithmetic stays on the host.
          ga = b.is_scalar() ? g * b.scalar().as_double() * pow(a, b.scalar().as_double() - 1.0)
                             : g * b * pow(a, b - 1);
        }
        if (want_b) {
          // a^b·log(a), taken as 0 where a <= 0 (as TensorFlow does) instead of NaN.
          if (a.is_scalar()) {
            const double base = a.scalar().as_double();
            gb = g * out * (base > 0 ? std::log(base) : 0.0);
          } else {
            const Tensor& x = a.tensor();
            gb = g * out * where(x > 0, log(where(x > 0, x, 1)), 0);
          }
        }
        break;
      case BinaryOp::maximum:
      case BinaryOp::minimum: {
        const Tensor a_wins = op == BinaryOp::maximum ? (a >= b) : (a <= b);
        if (want_a) ga = where(a_wins, g, 0);
        if (want_b) gb = where(a_wins, 0, g);
        break;
      }
      case BinaryOp::floormod:
        if (want_a) ga = g;
        if (want_b) gb = negative(g * floordiv(a, b));
        break;
      case BinaryOp::relu_grad:  // linear in dy with the same mask; flat in x almost everywhere
        if (want_a) ga = detail::relu_grad(g, b);
        if (want_b) gb = zeros_like(b.tensor());
        break;
      default:
        internal_error(__FILE__, __LINE__, "binary op without a gradient was recorded");
    }
    return for_tensors(a, b, ga, gb);
  };
}

BackwardFunction unary_gradient(const Tensor& out, UnaryOp op, const char*, const Tensor& x,
                                double param) {
  if (op == UnaryOp::logical_not) return {};
  return [op, x, out, param](const Tensor& g, autodiff::NeedsMask) -> autodiff::Gradients {
    switch (op) {
      case UnaryOp::negative:
        return {negative(g)};
      case UnaryOp::abs:
        return {g * sign(x)};
      case UnaryOp::sign:
        return {zeros_like(g)};
      case UnaryOp::square:
        return {g * x * 2};
      case UnaryOp::sqrt:
        return {g / (out * 2)};
      case UnaryOp::rsqrt:
        return {g * out * out * out * -0.5};
      case UnaryOp::exp:
        return {g * out};
      case UnaryOp::log:
        return {g / x};
      case UnaryOp::log1p:
        return {g / (x + 1)};
      case UnaryOp::sin:
        return {g * cos(x)};
      case UnaryOp::cos:
        return {negative(g * sin(x))};
      case UnaryOp::tanh:
        return {g * (1 - out * out)};
      case UnaryOp::sigmoid:
        return {g * out * (1 - out)};
      case UnaryOp::relu:
        return {detail::relu_grad(g, x)};
      case UnaryOp::leaky_relu:
        return {where(x > 0, g, g * param)};
      case UnaryOp::elu:
        return {where(x > 0, g, g * (out + param))};
      case UnaryOp::softplus:
        return {g * sigmoid(x)};
      case UnaryOp::erf:
        return {g * exp(negative(square(x))) * 1.1283791670955126};  // 2/sqrt(pi)
      case UnaryOp::logical_not:
        break;
    }
    internal_error(__FILE__, __LINE__, "unary op without a gradient was recorded");
  };
}

BackwardFunction where_gradient(const Tensor&, const Tensor& cond, const Operand& x,
                                const Operand& y) {
  return [cond, x, y](const Tensor& g, autodiff::NeedsMask mask) -> autodiff::Gradients {
    // Input 0 is cond (no gradient), then the tensor operands among x and y.
    const bool want_x = !x.is_scalar() && autodiff::needs(mask, 1);
    const bool want_y = !y.is_scalar() && autodiff::needs(mask, x.is_scalar() ? 1 : 2);
    autodiff::Gradients grads{std::nullopt};
    const autodiff::Gradients operands =
        for_tensors(x, y, want_x ? std::optional(where(cond, g, 0)) : std::nullopt,
                    want_y ? std::optional(where(cond, 0, g)) : std::nullopt);
    grads.insert(grads.end(), operands.begin(), operands.end());
    return grads;
  };
}

BackwardFunction cast_gradient(const Tensor&, const Tensor& x, DType dtype) {
  // Casts from integers or bool carry no gradient, and a cast to x's own dtype is x itself.
  const DType input_dtype = x.dtype();
  if (!is_floating(input_dtype) || input_dtype == dtype) return {};
  return [input_dtype](const Tensor& g, autodiff::NeedsMask) -> autodiff::Gradients {
    return {ember::cast(g, input_dtype)};
  };
}

}  // namespace ember::grad
