// float16 and bfloat16. Conversions against an independent decoding of every bit pattern and a
// brute-force search for the nearest value; printing as TensorFlow 2.21 prints (its output is
// quoted in each test); and every op family, forward and gradient, in 16 bits against the same op
// in float32 on the same (rounded) inputs.
//
// Tolerances come from the formats' unit roundoff u (half the distance from 1 to the next value):
// u = 2^-8 for bfloat16 (8 significant bits), 2^-11 for float16 (11 bits). An op computed in
// float32 and rounded once is within u·|y| of the float32 result (plus float32's own error,
// 2^-24 relative, far below). A gradient chain rounds at every op it passes (the incoming
// gradient, the op's result, the products of its rule): a few u relative to the largest
// element, so gradients are compared normwise within 8u.
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <random>

#include "tests/gradient_check.h"

namespace ember {
namespace {

using testing::expect_error;

// --- an independent reference: the formats decoded from their definitions ---------------------

double decode_float16(std::uint16_t b) {
  const int e = (b >> 10) & 31, m = b & 1023;
  const double sign = (b & 0x8000) ? -1.0 : 1.0;
  if (e == 31) return m ? std::numeric_limits<double>::quiet_NaN() : sign * INFINITY;
  if (e == 0) return sign * std::ldexp(m, -24);
  return sign * std::ldexp(1024 + m, e - 25);
}

double decode_bfloat16(std::uint16_t b) {
  const int e = (b >> 7) & 255, m = b & 127;
  const double sign = (b & 0x8000) ? -1.0 : 1.0;
  if (e == 255) return m ? std::numeric_limits<double>::quiet_NaN() : sign * INFINITY;
  if (e == 0) return sign * std::ldexp(m, -133);
  return sign * std::ldexp(128 + m, e - 134);
}

// The bits of the value nearest to v (ties to the even pattern), found by searching the sorted
// non-negative finite values; beyond the largest value plus half its spacing: infinity.
std::uint16_t nearest_bits(double v, std::uint16_t largest_finite, std::uint16_t infinity,
                           double (*decode)(std::uint16_t)) {
  const std::uint16_t sign = std::signbit(v) ? 0x8000 : 0;
  const double a = std::fabs(v);
  const double top = decode(largest_finite);
  const double spacing = top - decode(largest_finite - 1);
  if (a >= top + spacing / 2) return sign | infinity;
  std::uint16_t lo = 0, hi = largest_finite;  // decode(lo) <= a <= decode(hi)
  if (a >= top) return sign | largest_finite;
  while (hi - lo > 1) {
    const std::uint16_t mid = static_cast<std::uint16_t>((lo + hi) / 2);
    (decode(mid) <= a ? lo : hi) = mid;
  }
  const double below = a - decode(lo), above = decode(hi) - a;
  if (below < above) return sign | lo;
  if (above < below) return sign | hi;
  return sign | ((lo % 2 == 0) ? lo : hi);
}

float float_from_bits(std::uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

TEST(HalfConversion, EveryFloat16PatternDecodes) {
  for (std::uint32_t b = 0; b < 65536; ++b) {
    const double expected = decode_float16(static_cast<std::uint16_t>(b));
    const float got = static_cast<float>(Float16::from_bits(static_cast<std::uint16_t>(b)));
    if (std::isnan(expected)) {
      EXPECT_TRUE(std::isnan(got)) << b;
    } else {
      EXPECT_EQ(static_cast<double>(got), expected) << "pattern " << b;
    }
  }
}

TEST(HalfConversion, EveryBFloat16PatternDecodes) {
  for (std::uint32_t b = 0; b < 65536; ++b) {
    const double expected = decode_bfloat16(static_cast<std::uint16_t>(b));
    const float got = static_cast<float>(BFloat16::from_bits(static_cast<std::uint16_t>(b)));
    if (std::isnan(expected)) {
      EXPECT_TRUE(std::isnan(got)) << b;
    } else {
      EXPECT_EQ(static_cast<double>(got), expected) << "pattern " << b;
    }
  }
}

// Random float32 bit patterns (every exponent equally likely) and the hard cases: halfway points,
// the largest values, the overflow threshold, subnormals.
std::vector<float> conversion_cases() {
  std::vector<float> cases = {0.0f,
                              -0.0f,
                              1.0f,
                              -1.0f,
                              65504.0f,
                              65519.99f,
                              65520.0f,
                              65536.0f,
                              1e-8f,
                              2.98e-8f,
                              5.96e-8f,
                              6.1e-5f,
                              6.103515625e-5f,
                              1.00048828125f,
                              1.00146484375f,
                              1.00390625f,
                              1.01171875f,
                              3.3895314e38f,
                              3.39e38f,
                              INFINITY,
                              -INFINITY,
                              0.1f,
                              1e-40f};
  std::mt19937 rng(7);
  for (int i = 0; i < 200000; ++i) {
    const float f = float_from_bits(rng());
    if (!std::isnan(f)) cases.push_back(f);
  }
  // Exact midpoints between neighbouring float16 values (ties go to the even one).
  for (std::uint16_t b = 1; b < 0x7bff; b += 97) {
    cases.push_back(static_cast<float>((decode_float16(b) + decode_float16(b + 1)) / 2));
  }
  return cases;
}

TEST(HalfConversion, FloatToFloat16RoundsToNearestEven) {
  for (float f : conversion_cases()) {
    const std::uint16_t expected = nearest_bits(f, 0x7bff, 0x7c00, decode_float16);
    EXPECT_EQ(Float16(f).bits, expected) << "float " << f;
  }
  EXPECT_TRUE(std::isnan(static_cast<float>(Float16(NAN))));
}

TEST(HalfConversion, FloatToBFloat16RoundsToNearestEven) {
  for (float f : conversion_cases()) {
    const std::uint16_t expected = nearest_bits(f, 0x7f7f, 0x7f80, decode_bfloat16);
    EXPECT_EQ(BFloat16(f).bits, expected) << "float " << f;
  }
  EXPECT_TRUE(std::isnan(static_cast<float>(BFloat16(NAN))));
}

// --- dtypes, tensors, printing ---------------------------------------------------------------

TEST(HalfDType, Properties) {
  EXPECT_EQ(dtype_size(float16), 2u);
  EXPECT_EQ(dtype_size(bfloat16), 2u);
  EXPECT_STREQ(dtype_name(float16), "float16");
  EXPECT_STREQ(dtype_name(bfloat16), "bfloat16");
  EXPECT_TRUE(is_floating(float16) && is_floating(bfloat16));
  EXPECT_EQ(cast(constant({1.0f}), "bfloat16").dtype(), bfloat16);
  EXPECT_EQ(cast(constant({1.0f}), "float16").dtype(), float16);
}

TEST(HalfTensor, ValuesReadThroughFloat) {
  const Tensor x = constant({0.1, 1.0, 65504.0, 1e5}, Shape{4}, float16);
  const std::vector<float> v = x.to_vector<float>();
  EXPECT_EQ(v[0], static_cast<float>(decode_float16(0x2e66)));  // 0.0999755859375
  EXPECT_EQ(v[1], 1.0f);
  EXPECT_EQ(v[2], 65504.0f);
  EXPECT_TRUE(std::isinf(v[3]));
  EXPECT_EQ(x.to_vector<Float16>()[1].bits, 0x3c00);
  EXPECT_EQ(constant(2.5, Shape{}, bfloat16).item<float>(), 2.5f);
  EXPECT_EQ(constant(2.5, Shape{}, bfloat16).item<BFloat16>().bits, 0x4020);
  expect_error<DTypeError>([&] { x.to_vector<double>(); }, {"float16", "float64"});
}

TEST(HalfTensor, CastsRoundOnceAndBack) {
  const std::vector<float> values = {1.00390625f, 1.01171875f, 3e38f, -0.1f, 1e-30f};
  const Tensor x = constant(values);
  const std::vector<float> b = cast(x, bfloat16).to_vector<float>();
  const std::vector<float> h = cast(x, float16).to_vector<float>();
  for (std::size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(b[i], decode_bfloat16(nearest_bits(values[i], 0x7f7f, 0x7f80, decode_bfloat16)));
    EXPECT_EQ(h[i], decode_float16(nearest_bits(values[i], 0x7bff, 0x7c00, decode_float16)));
  }
  // Back to float32 and across to the integers (saturating, as every cast in ember).
  EXPECT_EQ(cast(cast(x, bfloat16), float32).to_vector<float>(), b);
  EXPECT_EQ(cast(constant({-3.7, 2.5, 1e5}, Shape{3}, bfloat16), int32).to_vector<std::int32_t>(),
            (std::vector<std::int32_t>{-3, 2, 99840}));
  EXPECT_EQ(cast(constant({true, false}), float16).to_vector<float>(), (std::vector<float>{1, 0}));
}

// TensorFlow 2.21 printed each of these (print(tf.constant(..., tf.bfloat16)) and so on).
TEST(HalfTensor, PrintsAsTensorFlow) {
  EXPECT_EQ(constant({0.1, 1.0, 3.14159, 65504.0, 1e-3}, Shape{5}, bfloat16).to_string(),
            "ember.Tensor([0.100098 1 3.14062 65536 0.000999451], shape=(5,), dtype=bfloat16)");
  EXPECT_EQ(constant({0.1, 1.0, 3.14159, 65504.0, 1e-3}, Shape{5}, float16).to_string(),
            "ember.Tensor([1.00e-01 1.00e+00 3.14e+00 6.55e+04 1.00e-03], shape=(5,), "
            "dtype=float16)");
  EXPECT_EQ(constant(0.1, Shape{}, bfloat16).to_string(),
            "ember.Tensor(0.100098, shape=(), dtype=bfloat16)");
  EXPECT_EQ(constant(0.1, Shape{}, float16).to_string(),
            "ember.Tensor(0.1, shape=(), dtype=float16)");
  EXPECT_EQ(constant({1e5, 70000.0}, Shape{2}, float16).to_string(),
            "ember.Tensor([inf inf], shape=(2,), dtype=float16)");
  EXPECT_EQ(cast(constant({1.00390625f, 1.01171875f, 3e38f}), bfloat16).to_string(),
            "ember.Tensor([1 1.01562 3.00406e+38], shape=(3,), dtype=bfloat16)");
  EXPECT_EQ(constant({1.5, 2.25, 3.0, 4.0}, Shape{2, 2}, bfloat16).to_string(),
            "ember.Tensor(\n[[1.5 2.25]\n [3 4]], shape=(2, 2), dtype=bfloat16)");
  const Tensor x = constant({1.0, 2.0, 3.0}, Shape{3}, bfloat16);
  EXPECT_EQ((x * 0.1).to_string(),
            "ember.Tensor([0.100098 0.200195 0.300781], shape=(3,), dtype=bfloat16)");
  EXPECT_EQ((x + constant(0.1, Shape{}, bfloat16)).to_string(),
            "ember.Tensor([1.10156 2.09375 3.09375], shape=(3,), dtype=bfloat16)");
  EXPECT_EQ(reduce_sum(ones({1000}, bfloat16)).to_string(),
            "ember.Tensor(1000, shape=(), dtype=bfloat16)");
}

// --- ops and gradients in 16 bits against float32 -------------------------------------------

double unit_roundoff(DType dtype) { return dtype == bfloat16 ? 0x1p-8 : 0x1p-11; }

struct HalfCase {
  const char* name;
  std::vector<Shape> shapes;
  std::function<Tensor(const std::vector<Tensor>&)> f;
  double lo = -2, hi = 2;
  int roundings = 1;  // of the forward result: one per 16-bit op in f, one per rounded scalar
};

std::vector<HalfCase> half_cases() {
  return {
      {"exp", {{3, 5}}, [](const auto& x) { return exp(x[0]); }},
      {"tanh", {{3, 5}}, [](const auto& x) { return tanh(x[0]); }},
      {"sigmoid", {{3, 5}}, [](const auto& x) { return sigmoid(x[0]); }},
      {"relu", {{3, 5}}, [](const auto& x) { return relu(x[0]); }},
      {"log", {{3, 5}}, [](const auto& x) { return log(x[0]); }, 0.5, 4},
      {"sqrt", {{3, 5}}, [](const auto& x) { return sqrt(x[0]); }, 0.5, 4},
      {"add broadcast", {{3, 5}, {5}}, [](const auto& x) { return x[0] + x[1]; }},
      {"multiply", {{3, 5}, {3, 5}}, [](const auto& x) { return x[0] * x[1]; }},
      {"divide", {{3, 5}, {3, 1}}, [](const auto& x) { return x[0] / (x[1] + 3.0); }, -2, 2, 2},
      {"maximum", {{3, 5}, {3, 5}}, [](const auto& x) { return maximum(x[0], x[1]); }},
      {"square by scalar", {{3, 5}}, [](const auto& x) { return x[0] * x[0] * 0.3; }, -2, 2, 3},
      {"reduce_sum", {{4, 6}}, [](const auto& x) { return reduce_sum(x[0], {1}); }},
      {"reduce_mean", {{4, 6}}, [](const auto& x) { return reduce_mean(x[0], {0}); }},
      {"reduce_max", {{4, 6}}, [](const auto& x) { return reduce_max(x[0], {1}); }},
      {"softmax", {{4, 6}}, [](const auto& x) { return softmax(x[0]); }},
      {"log_softmax", {{4, 6}}, [](const auto& x) { return log_softmax(x[0]); }},
      {"matmul", {{5, 7}, {7, 3}}, [](const auto& x) { return matmul(x[0], x[1]); }},
      {"matmul transposed batched",
       {{2, 7, 5}, {2, 3, 7}},
       [](const auto& x) {
         return matmul(x[0], x[1], {.transpose_a = true, .transpose_b = true});
       }},
      {"conv2d same stride 2",
       {{2, 7, 7, 3}, {3, 3, 3, 4}},
       [](const auto& x) { return conv2d(x[0], x[1], {.strides = 2, .padding = "SAME"}); }},
      {"conv2d valid 16 channels",
       {{2, 6, 6, 16}, {3, 3, 16, 16}},
       [](const auto& x) { return conv2d(x[0], x[1]); }},
      {"max_pool2d", {{2, 4, 4, 3}}, [](const auto& x) { return max_pool2d(x[0]); }},
      {"avg_pool2d", {{2, 4, 4, 3}}, [](const auto& x) { return avg_pool2d(x[0]); }},
      {"fused_batch_norm",
       {{8, 3}, {3}, {3}},
       [](const auto& x) { return fused_batch_norm(x[0], x[1], x[2]).y; }},
      {"gather",
       {{5, 3}},
       [](const auto& x) {
         return gather(x[0], constant({4, 0, 4}));
       }},
      {"where", {{3, 5}}, [](const auto& x) { return where(x[0] > 0.0, x[0], x[0] * 0.5); }},
  };
}

// |a - e| <= tol · max |e| over the elements.
void expect_normwise(const std::vector<float>& actual, const std::vector<float>& expected,
                     double tol, const std::string& what) {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  double largest = 0;
  for (float e : expected) largest = std::max(largest, std::fabs(static_cast<double>(e)));
  for (std::size_t i = 0; i < actual.size(); ++i) {
    EXPECT_NEAR(actual[i], expected[i], tol * std::max(largest, 1e-30)) << what << " element " << i;
  }
}

class HalfOps : public testing::OnDevice {};

TEST_P(HalfOps, EveryFamilyMatchesFloat32WithinRounding) {
  for (DType dtype : {bfloat16, float16}) {
    const double u = unit_roundoff(dtype);
    unsigned seed = 1;
    for (const HalfCase& c : half_cases()) {
      const std::string what = cat(c.name, " in ", dtype_name(dtype));
      std::vector<Tensor> narrow, wide;
      for (const Shape& shape : c.shapes) {
        narrow.push_back(cast(testing::random_tensor(shape, c.lo, c.hi, seed++), dtype));
        wide.push_back(cast(narrow.back(), float32));  // the same values, exactly
      }
      // L = sum(f(x) · W) with random weights W (the same values in both types), so that no
      // gradient cancels to zero (a constant W makes softmax's gradient vanish in float32).
      const Shape out_shape = c.f(wide).shape();
      const Tensor w16 = cast(testing::random_tensor(out_shape, -1, 1, seed++), dtype);
      const Tensor w32 = cast(w16, float32);
      Tensor y16, y32;
      std::vector<std::optional<Tensor>> g16, g32;
      {
        GradientTape tape;
        for (const Tensor& x : narrow) tape.watch(x);
        y16 = c.f(narrow);
        g16 = tape.gradient(reduce_sum(y16 * w16),
                            std::vector<GradientSource>(narrow.begin(), narrow.end()));
      }
      {
        GradientTape tape;
        for (const Tensor& x : wide) tape.watch(x);
        y32 = c.f(wide);
        g32 = tape.gradient(reduce_sum(y32 * w32),
                            std::vector<GradientSource>(wide.begin(), wide.end()));
      }
      ASSERT_EQ(y16.dtype(), dtype) << what;
      ASSERT_EQ(y16.shape(), y32.shape()) << what;
      // Elementwise within one rounding (and float32's sums: 1e-6 of the largest element).
      const std::vector<float> a = y16.to_vector<float>(), e = y32.to_vector<float>();
      double largest = 0;
      for (float v : e) largest = std::max(largest, std::fabs(static_cast<double>(v)));
      for (std::size_t i = 0; i < a.size(); ++i) {
        EXPECT_NEAR(a[i], e[i], c.roundings * u * std::fabs(e[i]) + 1e-6 * largest)
            << what << " element " << i;
      }
      for (std::size_t i = 0; i < narrow.size(); ++i) {
        if (!g32[i]) continue;  // no gradient in float32 either (indices)
        ASSERT_TRUE(g16[i].has_value()) << what << " input " << i;
        EXPECT_EQ(g16[i]->dtype(), dtype) << what;
        expect_normwise(g16[i]->to_vector<float>(), g32[i]->to_vector<float>(), 8 * u,
                        what + " gradient " + std::to_string(i));
      }
    }
  }
}

// A float32 variable read in bfloat16, as a mixed-precision layer reads its kernel: the gradient
// comes back through the cast in float32.
TEST_P(HalfOps, Float32VariableReadIn16Bits) {
  Variable w(constant({0.5f, -1.0f, 2.0f, 0.25f}, Shape{2, 2}));
  const Tensor x = constant({1.0f, 2.0f, 3.0f, 4.0f}, Shape{2, 2});
  GradientTape tape;
  const Tensor y = matmul(cast(x, bfloat16), cast(w, bfloat16));
  const Tensor loss = reduce_sum(cast(y, float32));
  const auto g = tape.gradient(loss, {w});
  ASSERT_TRUE(g[0].has_value());
  EXPECT_EQ(g[0]->dtype(), float32);
  // d(sum(x·w))/dw[k, j] = sum over i of x[i, k]: exact in bfloat16.
  EXPECT_EQ(g[0]->to_vector<float>(), (std::vector<float>{4, 4, 6, 6}));
}

TEST_P(HalfOps, RandomAndCreationOps) {
  const Tensor u = random::uniform({1000}, {.dtype = bfloat16});
  EXPECT_EQ(u.dtype(), bfloat16);
  for (float v : u.to_vector<float>()) {
    EXPECT_GE(v, 0.0f);
    EXPECT_LE(v, 1.0f);  // a float32 draw just below 1 may round up to 1 in 8 bits
  }
  EXPECT_EQ(zeros({2}, float16).to_vector<float>(), (std::vector<float>{0, 0}));
  EXPECT_EQ(fill({2}, Scalar(0.1)).dtype(), float32);
  EXPECT_EQ(ones({3}, bfloat16).to_vector<float>(), (std::vector<float>{1, 1, 1}));
}

TEST_P(HalfOps, MixedDTypesAreRejected) {
  const Tensor a = ones({2, 2}, bfloat16), b = ones({2, 2});
  expect_error<DTypeError>([&] { matmul(a, b); }, {"matmul", "bfloat16", "float32"});
  expect_error<DTypeError>(
      [&] {
        conv2d(ones({1, 3, 3, 1}, float16), ones({1, 1, 1, 1}));
      },
      {"conv2d", "float16", "float32"});
}

INSTANTIATE_TEST_SUITE_P(Devices, HalfOps, ::testing::ValuesIn(testing::all_devices()),
                         testing::device_name);

// The same 16-bit op on the CPU and the GPU (skipped without one).
TEST(HalfOnCuda, MatchesTheCpu) {
  EMBER_SKIP_WITHOUT_GPU();
  for (DType dtype : {bfloat16, float16}) {
    const Tensor x = cast(testing::random_tensor({2, 6, 6, 8}, -1, 1, 3), dtype);
    const Tensor f = cast(testing::random_tensor({3, 3, 8, 4}, -1, 1, 4), dtype);
    const Tensor cpu = relu(conv2d(x, f, {.padding = "SAME"}));
    const Tensor gpu =
        relu(conv2d(x.to(Device::cuda(0)), f.to(Device::cuda(0)), {.padding = "SAME"}));
    expect_normwise(gpu.to(Device::cpu()).to_vector<float>(), cpu.to_vector<float>(),
                    2 * unit_roundoff(dtype), dtype_name(dtype));
  }
}

}  // namespace
}  // namespace ember
