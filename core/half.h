// The 16-bit floating types, float16 (IEEE 754 binary16) and bfloat16 (the upper half of a
// float32), as storage types with exact conversions. Thin on purpose (C++17, bit operations only):
// the CUDA sources include it through core/dtype.h, and its conversions run on host and device
// alike, so both backends round the same way.
//
// They carry no arithmetic operators on purpose: an op on 16-bit tensors computes in float32 and
// rounds once (as TensorFlow's and PyTorch's CPU kernels do), so a sum accumulated in 16 bits
// cannot slip in unnoticed; it would not compile.
#pragma once

#include <cstdint>
#include <type_traits>

#if defined(__CUDACC__)
#define EMBER_HALF_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define EMBER_HALF_HOST_DEVICE inline
#endif

namespace ember {
namespace half_bits {

EMBER_HALF_HOST_DEVICE std::uint32_t float_bits(float f) {
  std::uint32_t u;
  __builtin_memcpy(&u, &f, sizeof u);
  return u;
}
EMBER_HALF_HOST_DEVICE float bits_float(std::uint32_t u) {
  float f;
  __builtin_memcpy(&f, &u, sizeof f);
  return f;
}

/// float -> bfloat16, rounding to nearest even; NaNs stay NaN (quiet), infinities stay infinite.
/// (Branch-free, so loops over it vectorise.)
EMBER_HALF_HOST_DEVICE std::uint16_t bfloat16_from_float(float f) {
  const std::uint32_t u = float_bits(f);
  const std::uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
  const std::uint32_t quiet_nan = (u >> 16) | 0x0040u;
  return static_cast<std::uint16_t>((u & 0x7fffffffu) > 0x7f800000u ? quiet_nan : rounded);
}
EMBER_HALF_HOST_DEVICE float bfloat16_to_float(std::uint16_t h) {
  return bits_float(static_cast<std::uint32_t>(h) << 16);
}

/// float -> float16, rounding to nearest even, with subnormals; values from 65520 up become
/// infinity (65504 is the largest float16), as IEEE 754 rounds.
EMBER_HALF_HOST_DEVICE std::uint16_t float16_from_float(float f) {
  std::uint32_t u = float_bits(f);
  const std::uint32_t sign = (u >> 16) & 0x8000u;
  u &= 0x7fffffffu;
  if (u >= 0x7f800000u)
    return static_cast<std::uint16_t>(sign | (u > 0x7f800000u ? 0x7e00u : 0x7c00u));
  if (u >= 0x477ff000u) return static_cast<std::uint16_t>(sign | 0x7c00u);
  if (u < 0x38800000u) {
    // Below 2^-14 the result is subnormal: adding 0.5 puts the value's bits at float16's last
    // place (2^-24 is the ulp of 0.5f), and the FPU rounds to nearest even on the way.
    const float shifted = bits_float(u) + 0.5f;
    return static_cast<std::uint16_t>(sign | (float_bits(shifted) - 0x3f000000u));
  }
  const std::uint32_t odd = (u >> 13) & 1u;
  u += 0xc8000fffu + odd;  // rebias the exponent (127 -> 15) and round the 13 dropped bits
  return static_cast<std::uint16_t>(sign | (u >> 13));
}
EMBER_HALF_HOST_DEVICE float float16_to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t exponent = (h >> 10) & 0x1fu;
  const std::uint32_t mantissa = h & 0x3ffu;
  if (exponent == 0x1fu) return bits_float(sign | 0x7f800000u | (mantissa << 13));
  if (exponent == 0) {
    const float magnitude = static_cast<float>(mantissa) * 5.9604644775390625e-8f;  // m * 2^-24
    return sign ? -magnitude : magnitude;
  }
  return bits_float(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

}  // namespace half_bits

/// IEEE 754 half precision: 1 sign, 5 exponent and 10 mantissa bits (largest 65504, epsilon 2^-10).
struct Float16 {
  std::uint16_t bits = 0;

  Float16() = default;
  EMBER_HALF_HOST_DEVICE explicit Float16(float f) : bits(half_bits::float16_from_float(f)) {}
  EMBER_HALF_HOST_DEVICE explicit Float16(double d) : Float16(static_cast<float>(d)) {}
  EMBER_HALF_HOST_DEVICE explicit operator float() const {
    return half_bits::float16_to_float(bits);
  }
  EMBER_HALF_HOST_DEVICE explicit operator double() const { return static_cast<float>(*this); }
  EMBER_HALF_HOST_DEVICE static Float16 from_bits(std::uint16_t b) {
    Float16 h;
    h.bits = b;
    return h;
  }
};

/// Brain floating point: float32's 8 exponent bits and 7 of its mantissa bits (epsilon 2^-7).
struct BFloat16 {
  std::uint16_t bits = 0;

  BFloat16() = default;
  EMBER_HALF_HOST_DEVICE explicit BFloat16(float f) : bits(half_bits::bfloat16_from_float(f)) {}
  EMBER_HALF_HOST_DEVICE explicit BFloat16(double d) : BFloat16(static_cast<float>(d)) {}
  EMBER_HALF_HOST_DEVICE explicit operator float() const {
    return half_bits::bfloat16_to_float(bits);
  }
  EMBER_HALF_HOST_DEVICE explicit operator double() const { return static_cast<float>(*this); }
  EMBER_HALF_HOST_DEVICE static BFloat16 from_bits(std::uint16_t b) {
    BFloat16 h;
    h.bits = b;
    return h;
  }
};

// Comparisons by value (so -0 == +0 and NaN != NaN, as for float).
#define EMBER_HALF_COMPARISONS(T)                                                   \
  EMBER_HALF_HOST_DEVICE bool operator==(T a, T b) { return float(a) == float(b); } \
  EMBER_HALF_HOST_DEVICE bool operator!=(T a, T b) { return float(a) != float(b); } \
  EMBER_HALF_HOST_DEVICE bool operator<(T a, T b) { return float(a) < float(b); }   \
  EMBER_HALF_HOST_DEVICE bool operator>(T a, T b) { return float(a) > float(b); }   \
  EMBER_HALF_HOST_DEVICE bool operator<=(T a, T b) { return float(a) <= float(b); } \
  EMBER_HALF_HOST_DEVICE bool operator>=(T a, T b) { return float(a) >= float(b); }
EMBER_HALF_COMPARISONS(Float16)
EMBER_HALF_COMPARISONS(BFloat16)
#undef EMBER_HALF_COMPARISONS

template <class T>
struct is_half_type : std::false_type {};
template <>
struct is_half_type<Float16> : std::true_type {};
template <>
struct is_half_type<BFloat16> : std::true_type {};
template <class T>
inline constexpr bool is_half_type_v = is_half_type<T>::value;

}  // namespace ember
