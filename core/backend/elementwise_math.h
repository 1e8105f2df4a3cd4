// The scalar semantics of every elementwise op (internal), written once for the CPU kernels and the
// CUDA kernels (thin, C++17, host+device). Backends loop; this file decides what one element
// becomes.
#pragma once

#include <math.h>

#include <cstdint>
#include <limits>
#include <type_traits>

#include "core/backend/kernel_types.h"
#include "core/random/philox.h"  // EMBER_HOST_DEVICE

namespace ember::math {

template <class T>
EMBER_HOST_DEVICE bool is_nan(T x) {
  if constexpr (std::is_floating_point_v<T>) return x != x;
  return false;
}

// --- libm, spelled for both float and double --------------------------------------------------
EMBER_HOST_DEVICE float exp_(float x) { return ::expf(x); }
EMBER_HOST_DEVICE double exp_(double x) { return ::exp(x); }
EMBER_HOST_DEVICE float expm1_(float x) { return ::expm1f(x); }
EMBER_HOST_DEVICE double expm1_(double x) { return ::expm1(x); }
EMBER_HOST_DEVICE float log_(float x) { return ::logf(x); }
EMBER_HOST_DEVICE double log_(double x) { return ::log(x); }
EMBER_HOST_DEVICE float log1p_(float x) { return ::log1pf(x); }
EMBER_HOST_DEVICE double log1p_(double x) { return ::log1p(x); }
EMBER_HOST_DEVICE float sqrt_(float x) { return ::sqrtf(x); }
EMBER_HOST_DEVICE double sqrt_(double x) { return ::sqrt(x); }
EMBER_HOST_DEVICE float sin_(float x) { return ::sinf(x); }
EMBER_HOST_DEVICE double sin_(double x) { return ::sin(x); }
EMBER_HOST_DEVICE float cos_(float x) { return ::cosf(x); }
EMBER_HOST_DEVICE double cos_(double x) { return ::cos(x); }
EMBER_HOST_DEVICE float tanh_(float x) { return ::tanhf(x); }
EMBER_HOST_DEVICE double tanh_(double x) { return ::tanh(x); }
EMBER_HOST_DEVICE float erf_(float x) { return ::erff(x); }
EMBER_HOST_DEVICE double erf_(double x) { return ::erf(x); }
EMBER_HOST_DEVICE float pow_(float a, float b) { return ::powf(a, b); }
EMBER_HOST_DEVICE double pow_(double a, double b) { return ::pow(a, b); }
EMBER_HOST_DEVICE float floor_(float x) { return ::floorf(x); }
EMBER_HOST_DEVICE double floor_(double x) { return ::floor(x); }
EMBER_HOST_DEVICE float fmod_(float a, float b) { return ::fmodf(a, b); }
EMBER_HOST_DEVICE double fmod_(double a, double b) { return ::fmod(a, b); }

// --- float32 exp and tanh for CPU loops -------------------------------------------------------
// glibc's expf/tanhf are scalar calls that stop the compiler from vectorising a loop; these are
// branch-free (selects only), so loops over them vectorise. Accuracy is within a few ulp. The GPU
// keeps CUDA's own functions.

/// e^x for float: Cephes' expf (range reduction by ln 2, degree-6 polynomial, exponent by bits).
inline float exp_vectorizable(float x) {
  const float clamped = x > 88.3762626647949f ? 88.3762626647949f : (x < -88.0f ? -88.0f : x);
  // Round clamped·log2(e) to the nearest integer with the 1.5·2^23 trick (no call, vectorises).
  const float n = (clamped * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const float r = (clamped - n * 0.693359375f) + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float y = p * r * r + r + 1.0f;
  // 2^n from its bits (n is within [-127, 128] after the clamp).
  const std::int32_t bits = (static_cast<std::int32_t>(n) + 127) << 23;
  float scale;
  __builtin_memcpy(&scale, &bits, sizeof scale);
  const float result = y * scale;
  return x < -87.33654f ? 0.0f : (x != x ? x : result);
}

/// tanh for float: Eigen's rational approximation (TensorFlow's CPU kernels use the same one).
inline float tanh_vectorizable(float x) {
  const float c = 7.90531110763549805f;  // beyond this, tanh is 1 in float
  const float xc = x > c ? c : (x < -c ? -c : x);
  const float x2 = xc * xc;
  float p = -2.76076847742355e-16f;
  p = p * x2 + 2.00018790482477e-13f;
  p = p * x2 + -8.60467152213735e-11f;
  p = p * x2 + 5.12229709037114e-08f;
  p = p * x2 + 1.48572235717979e-05f;
  p = p * x2 + 6.37261928875436e-04f;
  p = p * x2 + 4.89352455891786e-03f;
  p = p * xc;
  float q = 1.19825839466702e-06f;
  q = q * x2 + 1.18534705686654e-04f;
  q = q * x2 + 2.26843463243900e-03f;
  q = q * x2 + 4.89352518554385e-03f;
  const float t = p / q;
  return (x < 0.0004f && x > -0.0004f) ? x : t;  // tiny x: tanh(x) = x in float
}

/// y = op(x); `param` is leaky_relu's and elu's alpha.
template <UnaryOp Op, class T>
EMBER_HOST_DEVICE T unary(T x, T param) {
  if constexpr (Op == UnaryOp::negative) {
    return static_cast<T>(-x);
  } else if constexpr (Op == UnaryOp::abs) {
    if constexpr (std::is_unsigned_v<T>)
      return x;
    else
      return x < T(0) ? static_cast<T>(-x) : x;  // -0.0 stays -0.0; NaN stays NaN
  } else if constexpr (Op == UnaryOp::sign) {
    if constexpr (std::is_unsigned_v<T>) {
      return static_cast<T>(x != T(0));  // spelled apart: `x < 0` warns for unsigned T
    } else {
      if (is_nan(x)) return x;
      return static_cast<T>((T(0) < x) - (x < T(0)));
    }
  } else if constexpr (Op == UnaryOp::square) {
    return static_cast<T>(x * x);
  } else if constexpr (Op == UnaryOp::relu) {
    if constexpr (std::is_unsigned_v<T>)
      return x;
    else
      return x < T(0) ? T(0) : x;  // NaN passes through
  } else if constexpr (Op == UnaryOp::logical_not) {
    return !x;
  } else if constexpr (std::is_floating_point_v<T>) {
    if constexpr (Op == UnaryOp::sqrt) return sqrt_(x);
    if constexpr (Op == UnaryOp::rsqrt) return T(1) / sqrt_(x);
#ifndef __CUDA_ARCH__
    if constexpr (std::is_same_v<T, float>) {
      if constexpr (Op == UnaryOp::exp) return exp_vectorizable(x);
      if constexpr (Op == UnaryOp::tanh) return tanh_vectorizable(x);
      if constexpr (Op == UnaryOp::sigmoid) {
        // 1/(1+e^-x) for x >= 0 and e^x/(1+e^x) below, both without overflow.
        const float e = exp_vectorizable(x >= 0.0f ? -x : x);
        return x >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
      }
    }
#endif
    if constexpr (Op == UnaryOp::exp) return exp_(x);
    if constexpr (Op == UnaryOp::log) return log_(x);
    if constexpr (Op == UnaryOp::log1p) return log1p_(x);
    if constexpr (Op == UnaryOp::sin) return sin_(x);
    if constexpr (Op == UnaryOp::cos) return cos_(x);
    if constexpr (Op == UnaryOp::tanh) return tanh_(x);
    if constexpr (Op == UnaryOp::sigmoid) {
      // Two forms so exp never overflows: 1/(1+e^-x) for x >= 0, e^x/(1+e^x) below.
      if (x >= T(0)) return T(1) / (T(1) + exp_(-x));
      const T e = exp_(x);
      return e / (T(1) + e);
    }
    if constexpr (Op == UnaryOp::leaky_relu) return x > T(0) ? x : param * x;
    if constexpr (Op == UnaryOp::elu) return x > T(0) ? x : param * expm1_(x);
    if constexpr (Op == UnaryOp::erf) return erf_(x);
    if constexpr (Op == UnaryOp::softplus) {
      // log(1 + e^x) = max(x, 0) + log1p(e^-|x|), exact in both tails.
      const T m = x > T(0) ? x : T(0);
      return m + log1p_(exp_(x > T(0) ? -x : x));
    }
  }
  return x;
}

/// Whether a unary op is defined for element type T (the op layer rejects the rest).
template <UnaryOp Op, class T>
constexpr bool unary_supported() {
  if constexpr (is_half_type_v<T>)  // widened to float32 before a backend sees them
    return false;
  else if constexpr (std::is_same_v<T, bool>)
    return Op == UnaryOp::logical_not;
  else if constexpr (std::is_floating_point_v<T>)
    return Op != UnaryOp::logical_not;
  else
    return Op == UnaryOp::negative || Op == UnaryOp::abs || Op == UnaryOp::sign ||
           Op == UnaryOp::square || Op == UnaryOp::relu;
}

template <class T>
EMBER_HOST_DEVICE T integer_pow(T base, T exponent) {
  if constexpr (std::is_signed_v<T>) {  // unsigned exponents are never negative
    if (exponent < T(0)) {
      if (base == T(1)) return T(1);
      if (base == T(-1)) return (exponent % 2 == 0) ? T(1) : T(-1);
      return T(0);
    }
  }
  T result = 1;
  while (exponent > T(0)) {
    if (exponent & T(1)) result = static_cast<T>(result * base);
    base = static_cast<T>(base * base);
    exponent = static_cast<T>(exponent >> 1);
  }
  return result;
}

/// The result of a binary op on one pair: T for arithmetic, bool for comparisons and logic.
template <BinaryOp Op, class T>
EMBER_HOST_DEVICE auto binary(T a, T b) {
  if constexpr (Op == BinaryOp::equal)
    return a == b;
  else if constexpr (Op == BinaryOp::not_equal)
    return a != b;
  else if constexpr (Op == BinaryOp::less)
    return a < b;
  else if constexpr (Op == BinaryOp::less_equal)
    return a <= b;
  else if constexpr (Op == BinaryOp::greater)
    return a > b;
  else if constexpr (Op == BinaryOp::greater_equal)
    return a >= b;
  else if constexpr (Op == BinaryOp::logical_and)
    return static_cast<bool>(a && b);
  else if constexpr (Op == BinaryOp::logical_or)
    return static_cast<bool>(a || b);
  else if constexpr (Op == BinaryOp::add)
    return static_cast<T>(a + b);
  else if constexpr (Op == BinaryOp::subtract)
    return static_cast<T>(a - b);
  else if constexpr (Op == BinaryOp::multiply)
    return static_cast<T>(a * b);
  else if constexpr (Op == BinaryOp::divide)
    return static_cast<T>(a / b);  // floats only
  else if constexpr (Op == BinaryOp::maximum)
    return (a > b || is_nan(a)) ? a : b;
  else if constexpr (Op == BinaryOp::minimum)
    return (a < b || is_nan(a)) ? a : b;
  else if constexpr (Op == BinaryOp::relu_grad)
    return b > T(0) ? a : T(0);  // NaN in b gives 0, as where(b > 0, a, 0)
  else if constexpr (Op == BinaryOp::pow) {
    if constexpr (std::is_floating_point_v<T>)
      return pow_(a, b);
    else
      return integer_pow(a, b);
  } else if constexpr (Op == BinaryOp::floordiv) {
    if constexpr (std::is_floating_point_v<T>) {
      return floor_(a / b);
    } else {
      if (b == T(0)) return T(0);
      if constexpr (std::is_signed_v<T>) {
        if (b == T(-1)) return static_cast<T>(T(0) - a);  // avoids INT_MIN / -1
        const T q = static_cast<T>(a / b);
        return static_cast<T>((a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q);
      } else {
        return static_cast<T>(a / b);
      }
    }
  } else {  // floormod: the remainder takes the divisor's sign, as Python's %
    if constexpr (std::is_floating_point_v<T>) {
      T r = fmod_(a, b);
      if (r != T(0) && ((r < T(0)) != (b < T(0)))) r += b;
      return r;
    } else {
      if (b == T(0)) return T(0);
      if constexpr (std::is_signed_v<T>) {
        if (b == T(-1)) return T(0);
        T r = static_cast<T>(a % b);
        if (r != 0 && ((r < 0) != (b < 0))) r = static_cast<T>(r + b);
        return r;
      } else {
        return static_cast<T>(a % b);
      }
    }
  }
}

/// Whether a binary op is defined for element type T (the op layer rejects the rest).
template <BinaryOp Op, class T>
constexpr bool binary_supported() {
  if constexpr (is_half_type_v<T>) {  // widened to float32 before a backend sees them
    return false;
  } else if constexpr (Op == BinaryOp::logical_and || Op == BinaryOp::logical_or) {
    return std::is_same_v<T, bool>;
  } else if constexpr (is_comparison(Op)) {
    return true;
  } else if constexpr (std::is_same_v<T, bool>) {
    return false;
  } else if constexpr (Op == BinaryOp::divide) {
    return std::is_floating_point_v<T>;
  } else {
    return true;
  }
}

/// Saturating conversion: NaN becomes 0 and out-of-range reals clamp, which is what CUDA's
/// conversion instructions do, so both devices agree (and C++'s undefined cases never occur).
template <class To, class From>
EMBER_HOST_DEVICE To convert(From x) {
  if constexpr (is_half_type_v<From>) {  // 16-bit values are exact in float
    return convert<To>(static_cast<float>(x));
  } else if constexpr (is_half_type_v<To>) {  // through float, then rounded to nearest even
    return To(static_cast<float>(x));
  } else if constexpr (std::is_same_v<To, bool>) {
    return x != From(0);
  } else if constexpr (std::is_integral_v<To> && std::is_floating_point_v<From>) {
    if (x != x) return To(0);
    constexpr double lo = static_cast<double>(std::numeric_limits<To>::lowest());
    constexpr double hi = static_cast<double>(std::numeric_limits<To>::max());
    if (static_cast<double>(x) <= lo) return std::numeric_limits<To>::lowest();
    if (static_cast<double>(x) >= hi) return std::numeric_limits<To>::max();
    return static_cast<To>(x);
  } else {
    return static_cast<To>(x);
  }
}

// --- runtime op -> compile-time op ------------------------------------------------------------
template <UnaryOp Op>
using UnaryTag = std::integral_constant<UnaryOp, Op>;
template <BinaryOp Op>
using BinaryTag = std::integral_constant<BinaryOp, Op>;

/// Calls f(std::integral_constant<UnaryOp, op>{}).
template <class F>
void dispatch_unary(UnaryOp op, F&& f) {
  switch (op) {
    case UnaryOp::negative:
      f(UnaryTag<UnaryOp::negative>{});
      break;
    case UnaryOp::abs:
      f(UnaryTag<UnaryOp::abs>{});
      break;
    case UnaryOp::sign:
      f(UnaryTag<UnaryOp::sign>{});
      break;
    case UnaryOp::square:
      f(UnaryTag<UnaryOp::square>{});
      break;
    case UnaryOp::sqrt:
      f(UnaryTag<UnaryOp::sqrt>{});
      break;
    case UnaryOp::rsqrt:
      f(UnaryTag<UnaryOp::rsqrt>{});
      break;
    case UnaryOp::exp:
      f(UnaryTag<UnaryOp::exp>{});
      break;
    case UnaryOp::log:
      f(UnaryTag<UnaryOp::log>{});
      break;
    case UnaryOp::log1p:
      f(UnaryTag<UnaryOp::log1p>{});
      break;
    case UnaryOp::sin:
      f(UnaryTag<UnaryOp::sin>{});
      break;
    case UnaryOp::cos:
      f(UnaryTag<UnaryOp::cos>{});
      break;
    case UnaryOp::tanh:
      f(UnaryTag<UnaryOp::tanh>{});
      break;
    case UnaryOp::sigmoid:
      f(UnaryTag<UnaryOp::sigmoid>{});
      break;
    case UnaryOp::relu:
      f(UnaryTag<UnaryOp::relu>{});
      break;
    case UnaryOp::leaky_relu:
      f(UnaryTag<UnaryOp::leaky_relu>{});
      break;
    case UnaryOp::elu:
      f(UnaryTag<UnaryOp::elu>{});
      break;
    case UnaryOp::softplus:
      f(UnaryTag<UnaryOp::softplus>{});
      break;
    case UnaryOp::erf:
      f(UnaryTag<UnaryOp::erf>{});
      break;
    case UnaryOp::logical_not:
      f(UnaryTag<UnaryOp::logical_not>{});
      break;
  }
}

/// Calls f(std::integral_constant<BinaryOp, op>{}).
template <class F>
void dispatch_binary(BinaryOp op, F&& f) {
  switch (op) {
    case BinaryOp::add:
      f(BinaryTag<BinaryOp::add>{});
      break;
    case BinaryOp::subtract:
      f(BinaryTag<BinaryOp::subtract>{});
      break;
    case BinaryOp::multiply:
      f(BinaryTag<BinaryOp::multiply>{});
      break;
    case BinaryOp::divide:
      f(BinaryTag<BinaryOp::divide>{});
      break;
    case BinaryOp::floordiv:
      f(BinaryTag<BinaryOp::floordiv>{});
      break;
    case BinaryOp::floormod:
      f(BinaryTag<BinaryOp::floormod>{});
      break;
    case BinaryOp::pow:
      f(BinaryTag<BinaryOp::pow>{});
      break;
    case BinaryOp::maximum:
      f(BinaryTag<BinaryOp::maximum>{});
      break;
    case BinaryOp::minimum:
      f(BinaryTag<BinaryOp::minimum>{});
      break;
    case BinaryOp::equal:
      f(BinaryTag<BinaryOp::equal>{});
      break;
    case BinaryOp::not_equal:
      f(BinaryTag<BinaryOp::not_equal>{});
      break;
    case BinaryOp::less:
      f(BinaryTag<BinaryOp::less>{});
      break;
    case BinaryOp::less_equal:
      f(BinaryTag<BinaryOp::less_equal>{});
      break;
    case BinaryOp::greater:
      f(BinaryTag<BinaryOp::greater>{});
      break;
    case BinaryOp::greater_equal:
      f(BinaryTag<BinaryOp::greater_equal>{});
      break;
    case BinaryOp::logical_and:
      f(BinaryTag<BinaryOp::logical_and>{});
      break;
    case BinaryOp::logical_or:
      f(BinaryTag<BinaryOp::logical_or>{});
      break;
    case BinaryOp::relu_grad:
      f(BinaryTag<BinaryOp::relu_grad>{});
      break;
  }
}

}  // namespace ember::math
