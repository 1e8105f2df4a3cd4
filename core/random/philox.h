// Philox 4x32-10 (internal; Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011)
// and the transforms from its bits to uniform and normal values. Shared verbatim by the CPU kernels
// and the CUDA kernels (thin, C++17), so that a seed gives bit-identical values on every device.
//
// Bit-identity needs every floating operation to round the same way on both sides: the helpers
// below use the correctly rounded CUDA intrinsics on the device (no FMA contraction) and plain
// IEEE operations on the host (compiled with -ffp-contract=off), and log/sin/cos are our own
// polynomials instead of the two vendors' differently rounded libraries.
#pragma once

#include <cstdint>
#include <type_traits>

#include "core/backend/kernel_types.h"

#ifdef __CUDACC__
#define EMBER_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define EMBER_HOST_DEVICE inline
#endif

namespace ember::philox {

struct Block {
  std::uint32_t v[4];
};

EMBER_HOST_DEVICE std::uint32_t mulhilo(std::uint32_t a, std::uint32_t b, std::uint32_t* hi) {
  const std::uint64_t product = static_cast<std::uint64_t>(a) * b;
  *hi = static_cast<std::uint32_t>(product >> 32);
  return static_cast<std::uint32_t>(product);
}

/// The 10-round Philox 4x32 bijection of `counter` under `key`.
EMBER_HOST_DEVICE Block philox4x32(Block counter, std::uint32_t key0, std::uint32_t key1) {
  for (int round = 0; round < 10; ++round) {
    std::uint32_t hi0, hi1;
    const std::uint32_t lo0 = mulhilo(0xD2511F53u, counter.v[0], &hi0);
    const std::uint32_t lo1 = mulhilo(0xCD9E8D57u, counter.v[2], &hi1);
    counter = Block{{hi1 ^ counter.v[1] ^ key0, lo1, hi0 ^ counter.v[3] ^ key1, lo0}};
    key0 += 0x9E3779B9u;
    key1 += 0xBB67AE85u;
  }
  return counter;
}

/// The block of element `index` (attempt `attempt`) in call number `call` of stream `key`.
EMBER_HOST_DEVICE Block element_block(std::uint64_t key, std::uint64_t call, std::uint32_t index,
                                      std::uint32_t attempt) {
  const Block counter{
      {index, attempt, static_cast<std::uint32_t>(call), static_cast<std::uint32_t>(call >> 32)}};
  return philox4x32(counter, static_cast<std::uint32_t>(key),
                    static_cast<std::uint32_t>(key >> 32));
}

// --- correctly rounded double arithmetic, identical on host and device ------------------------
EMBER_HOST_DEVICE double add(double a, double b) {
#ifdef __CUDA_ARCH__
  return __dadd_rn(a, b);
#else
  return a + b;
#endif
}
EMBER_HOST_DEVICE double mul(double a, double b) {
#ifdef __CUDA_ARCH__
  return __dmul_rn(a, b);
#else
  return a * b;
#endif
}
EMBER_HOST_DEVICE double div(double a, double b) {
#ifdef __CUDA_ARCH__
  return __ddiv_rn(a, b);
#else
  return a / b;
#endif
}
EMBER_HOST_DEVICE double sqrt_rn(double a) {
#ifdef __CUDA_ARCH__
  return __dsqrt_rn(a);
#else
  return __builtin_sqrt(a);
#endif
}

EMBER_HOST_DEVICE std::uint64_t to_bits(double x) {
#ifdef __CUDA_ARCH__
  return static_cast<std::uint64_t>(__double_as_longlong(x));
#else
  std::uint64_t bits;
  __builtin_memcpy(&bits, &x, sizeof bits);
  return bits;
#endif
}
EMBER_HOST_DEVICE double from_bits(std::uint64_t bits) {
#ifdef __CUDA_ARCH__
  return __longlong_as_double(static_cast<long long>(bits));
#else
  double x;
  __builtin_memcpy(&x, &bits, sizeof x);
  return x;
#endif
}

/// 53 random bits from two words, as a double in [0, 1).
EMBER_HOST_DEVICE double unit_double(std::uint32_t hi, std::uint32_t lo) {
  const std::uint64_t bits = ((static_cast<std::uint64_t>(hi) << 32) | lo) >> 11;
  return static_cast<double>(bits) * (1.0 / 9007199254740992.0);  // 2^-53
}
/// 24 random bits as a float in [0, 1).
EMBER_HOST_DEVICE float unit_float(std::uint32_t word) {
  return static_cast<float>(word >> 8) * (1.0f / 16777216.0f);  // 2^-24
}

/// Natural logarithm of x in (0, 1], to about 1e-16 relative: x = m·2^e with m near 1, then
/// log(m) = 2·atanh((m − 1)/(m + 1)) by its series.
EMBER_HOST_DEVICE double log_deterministic(double x) {
  // Split x into mantissa m in [0.5, 1) and exponent e by reading its bits (exact).
  std::uint64_t bits = to_bits(x);
  int e = static_cast<int>((bits >> 52) & 0x7ff) - 1022;
  bits = (bits & 0x000fffffffffffffull) | (static_cast<std::uint64_t>(1022) << 52);
  double m = from_bits(bits);
  if (m < 0.70710678118654752) {  // keep m in [sqrt(1/2), sqrt(2)) so the series converges fast
    m = mul(m, 2.0);
    e -= 1;
  }
  const double s = div(add(m, -1.0), add(m, 1.0));
  const double s2 = mul(s, s);
  double series = 1.0 / 25.0;
  for (int k = 11; k >= 0; --k) series = add(mul(series, s2), 1.0 / (2 * k + 1));
  return add(mul(static_cast<double>(e), 0.69314718055994531), mul(mul(2.0, s), series));
}

/// cos(2πu) and sin(2πu) for u in [0, 1): quadrant by 4u, then Taylor series on [0, π/2).
EMBER_HOST_DEVICE void cos_sin_2pi(double u, double* c, double* s) {
  const double scaled = mul(u, 4.0);
  const int quadrant = static_cast<int>(scaled);  // 0..3; scaled - quadrant is exact
  const double theta = mul(add(scaled, -static_cast<double>(quadrant)), 1.5707963267948966);
  const double t2 = mul(theta, theta);
  double cs = 0.0, sn = 0.0;  // Horner over 1 - t²/2! + ... and t - t³/3! + ...
  for (int k = 12; k >= 1; --k) {
    cs = mul(add(1.0, -cs), div(t2, static_cast<double>((2 * k - 1) * (2 * k))));
    sn = mul(add(1.0, -sn), div(t2, static_cast<double>((2 * k) * (2 * k + 1))));
  }
  cs = add(1.0, -cs);
  sn = mul(theta, add(1.0, -sn));
  switch (quadrant) {
    case 0:
      *c = cs;
      *s = sn;
      break;
    case 1:
      *c = -sn;
      *s = cs;
      break;
    case 2:
      *c = -cs;
      *s = -sn;
      break;
    default:
      *c = sn;
      *s = -cs;
      break;
  }
}

/// A standard normal value from one block (Box-Muller on two 53-bit uniforms).
EMBER_HOST_DEVICE double standard_normal(const Block& b) {
  const double u1 = add(unit_double(b.v[0], b.v[1]), 1.0 / 9007199254740992.0);  // (0, 1]
  const double u2 = unit_double(b.v[2], b.v[3]);
  const double radius = sqrt_rn(mul(-2.0, log_deterministic(u1)));
  double c, s;
  cos_sin_2pi(u2, &c, &s);
  return mul(radius, c);
}

/// Element `index` of a truncated standard normal: re-drawn (next attempt) beyond 2 sigma.
EMBER_HOST_DEVICE double truncated_standard_normal(std::uint64_t key, std::uint64_t call,
                                                   std::uint32_t index) {
  for (std::uint32_t attempt = 0;; ++attempt) {
    const double z = standard_normal(element_block(key, call, index, attempt));
    if ((z <= 2.0 && z >= -2.0) || attempt == 1000) return z;  // P(1000 misses) ~ 1e-1340
  }
}

/// Element `index` of the values `r` asks for (RandomArgs: distribution, parameters, key, call),
/// T being r.dtype's type. The single definition behind the CPU and the CUDA kernels: every
/// floating step goes through add/mul so both devices round alike.
template <class T>
EMBER_HOST_DEVICE T random_element(const RandomArgs& r, std::uint32_t index) {
  switch (r.distribution) {
    case RandomDistribution::uniform: {
      const Block b = element_block(r.key, r.call, index, 0);
      const double u = std::is_same_v<T, float> ? static_cast<double>(unit_float(b.v[0]))
                                                : unit_double(b.v[0], b.v[1]);
      return static_cast<T>(add(r.a, mul(u, add(r.b, -r.a))));
    }
    case RandomDistribution::uniform_int: {
      const Block b = element_block(r.key, r.call, index, 0);
      const std::uint64_t bits = (static_cast<std::uint64_t>(b.v[0]) << 32) | b.v[1];
      // Unsigned arithmetic: the span of [lo, hi) may exceed int64 (it is below 2^64).
      const std::uint64_t span =
          static_cast<std::uint64_t>(r.hi) - static_cast<std::uint64_t>(r.lo);
      return static_cast<T>(
          static_cast<std::int64_t>(static_cast<std::uint64_t>(r.lo) + bits % span));
    }
    case RandomDistribution::normal: {
      const double z = standard_normal(element_block(r.key, r.call, index, 0));
      return static_cast<T>(add(r.a, mul(r.b, z)));
    }
    case RandomDistribution::truncated_normal: {
      const double z = truncated_standard_normal(r.key, r.call, index);
      return static_cast<T>(add(r.a, mul(r.b, z)));
    }
  }
  return T(0);
}

}  // namespace ember::philox
