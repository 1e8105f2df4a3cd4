// Elementwise ops against float64 loops written here, on every device.
#include <functional>

#include "tests/gradient_check.h"

namespace ember {
namespace {

using testing::check_gradient;
using testing::expect_close;
using testing::expect_error;
using testing::Function;
using testing::random_tensor;
using testing::random_values;
using testing::values_of;

struct BinaryCase {
  const char* name;
  std::function<Tensor(const Tensor&, const Tensor&)> op;
  std::function<double(double, double)> reference;
  double lo, hi;  // input range (keeps log/pow/divide well defined)
};

double floor_mod(double a, double b) {
  double r = std::fmod(a, b);
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}

std::vector<BinaryCase> binary_cases() {
  return {
      {"add", [](auto& a, auto& b) { return add(a, b); }, [](double a, double b) { return a + b; },
       -3, 3},
      {"subtract", [](auto& a, auto& b) { return a - b; }, [](double a, double b) { return a - b; },
       -3, 3},
      {"multiply", [](auto& a, auto& b) { return a * b; }, [](double a, double b) { return a * b; },
       -3, 3},
      {"divide", [](auto& a, auto& b) { return a / b; }, [](double a, double b) { return a / b; },
       0.5, 3},
      {"floordiv", [](auto& a, auto& b) { return floordiv(a, b); },
       [](double a, double b) { return std::floor(a / b); }, 0.5, 7},
      {"floormod", [](auto& a, auto& b) { return a % b; }, floor_mod, 0.5, 7},
      {"pow", [](auto& a, auto& b) { return pow(a, b); },
       [](double a, double b) { return std::pow(a, b); }, 0.5, 2},
      {"maximum", [](auto& a, auto& b) { return maximum(a, b); },
       [](double a, double b) { return std::max(a, b); }, -3, 3},
      {"minimum", [](auto& a, auto& b) { return minimum(a, b); },
       [](double a, double b) { return std::min(a, b); }, -3, 3},
  };
}

class Elementwise : public testing::OnDevice {};

// (3, 1) with (1, 4), same shapes, and a scalar on either side, in float32 and float64.
TEST_P(Elementwise, BinaryOpsBroadcastLikeNumPy) {
  for (const BinaryCase& c : binary_cases()) {
    for (DType dtype : {float32, float64}) {
      const double tol = dtype == float32 ? 2e-6 : 1e-13;
      const auto av = random_values(3, c.lo, c.hi, 1), bv = random_values(4, c.lo, c.hi, 2);
      const Tensor a = constant(av, Shape{3, 1}, dtype), b = constant(bv, Shape{1, 4}, dtype);
      const Tensor out = c.op(a, b);
      ASSERT_EQ(out.shape(), Shape({3, 4})) << c.name;
      ASSERT_EQ(out.dtype(), dtype) << c.name;
      // Reference on the values the tensors really hold (float32-rounded for float32).
      const auto ah = values_of(a), bh = values_of(b);
      std::vector<double> expected;
      for (int i = 0; i < 3; ++i) {
        for (int j = 0; j < 4; ++j) expected.push_back(c.reference(ah[i], bh[j]));
      }
      expect_close(values_of(out), expected, tol, std::string(c.name) + " broadcast");

      const Tensor same = c.op(a, a);
      std::vector<double> same_expected;
      for (double x : ah) same_expected.push_back(c.reference(x, x));
      expect_close(values_of(same), same_expected, tol, std::string(c.name) + " same shape");
    }
  }
}

TEST_P(Elementwise, ScalarsTakeTheTensorsDtype) {
  const Tensor x = constant({1.f, 2.f, 3.f});
  EXPECT_EQ((x * 2).to_vector<float>(), (std::vector<float>{2, 4, 6}));
  EXPECT_EQ((2.0 * x).dtype(), float32);
  EXPECT_EQ((1 - x).to_vector<float>(), (std::vector<float>{0, -1, -2}));
  EXPECT_EQ((x / 2).to_vector<float>(), (std::vector<float>{0.5f, 1, 1.5f}));
  const Tensor i = constant({1, 2, 3});
  EXPECT_EQ((i + 5).dtype(), int32);
  EXPECT_EQ((i * 3).to_vector<std::int32_t>(), (std::vector<std::int32_t>{3, 6, 9}));
  expect_error<DTypeError>([&] { (void)(i + 2.5); }, {"add", "2.5", "int32"});
  // Two numbers make a scalar tensor, as tf.add(1, 2) does.
  const Tensor three = add(1, 2);
  EXPECT_EQ(three.dtype(), int32);
  EXPECT_EQ(three.item<std::int32_t>(), 3);
  EXPECT_EQ(pow(constant({2.f, 3.f}), 2).to_vector<float>(), (std::vector<float>{4, 9}));
  EXPECT_EQ((-x).to_vector<float>(), (std::vector<float>{-1, -2, -3}));
}

TEST_P(Elementwise, IntegerArithmeticFollowsPython) {
  const Tensor a = constant({7, -7, 7, -7, 5});
  const Tensor b = constant({2, 2, -2, -2, 0});
  EXPECT_EQ(floordiv(a, b).to_vector<std::int32_t>(), (std::vector<std::int32_t>{3, -4, -4, 3, 0}));
  EXPECT_EQ(floormod(a, b).to_vector<std::int32_t>(), (std::vector<std::int32_t>{1, 1, -1, -1, 0}));
  // True division casts int32 to float64, as TensorFlow does.
  const Tensor q = constant({1, 3}) / constant({2, 2});
  EXPECT_EQ(q.dtype(), float64);
  EXPECT_EQ(q.to_vector<double>(), (std::vector<double>{0.5, 1.5}));
  EXPECT_EQ((constant(std::vector<std::uint8_t>{3}) / 2).dtype(), float32);
  EXPECT_EQ(
      pow(constant({2, -2, 1, -1, 2}), constant({10, 3, -5, -3, -1})).to_vector<std::int32_t>(),
      (std::vector<std::int32_t>{1024, -8, 1, -1, 0}));
  EXPECT_EQ(abs(constant({-3, 4})).to_vector<std::int32_t>(), (std::vector<std::int32_t>{3, 4}));
  EXPECT_EQ(relu(constant({-3, 4})).to_vector<std::int32_t>(), (std::vector<std::int32_t>{0, 4}));
  EXPECT_EQ(floormod(constant({-7.5f}), 2.f).to_vector<float>(), (std::vector<float>{0.5f}));
}

TEST_P(Elementwise, UnaryOpsMatchTheFormulas) {
  struct UnaryCase {
    const char* name;
    std::function<Tensor(const Tensor&)> op;
    std::function<double(double)> reference;
    double lo, hi;
  };
  const std::vector<UnaryCase> cases = {
      {"negative", [](auto& x) { return negative(x); }, [](double x) { return -x; }, -3, 3},
      {"abs", [](auto& x) { return abs(x); }, [](double x) { return std::fabs(x); }, -3, 3},
      {"sign", [](auto& x) { return sign(x); }, [](double x) { return double((x > 0) - (x < 0)); },
       -3, 3},
      {"square", [](auto& x) { return square(x); }, [](double x) { return x * x; }, -3, 3},
      {"sqrt", [](auto& x) { return sqrt(x); }, [](double x) { return std::sqrt(x); }, 0, 9},
      {"rsqrt", [](auto& x) { return rsqrt(x); }, [](double x) { return 1 / std::sqrt(x); }, 0.1,
       9},
      {"exp", [](auto& x) { return exp(x); }, [](double x) { return std::exp(x); }, -5, 5},
      {"log", [](auto& x) { return log(x); }, [](double x) { return std::log(x); }, 0.01, 9},
      {"log1p", [](auto& x) { return log1p(x); }, [](double x) { return std::log1p(x); }, -0.9, 9},
      {"sin", [](auto& x) { return sin(x); }, [](double x) { return std::sin(x); }, -6, 6},
      {"cos", [](auto& x) { return cos(x); }, [](double x) { return std::cos(x); }, -6, 6},
      {"tanh", [](auto& x) { return tanh(x); }, [](double x) { return std::tanh(x); }, -5, 5},
      {"sigmoid", [](auto& x) { return sigmoid(x); },
       [](double x) { return 1 / (1 + std::exp(-x)); }, -30, 30},
      {"relu", [](auto& x) { return relu(x); }, [](double x) { return x > 0 ? x : 0; }, -3, 3},
      {"leaky_relu", [](auto& x) { return leaky_relu(x); },
       [](double x) { return x > 0 ? x : 0.2 * x; }, -3, 3},
      {"elu", [](auto& x) { return elu(x); }, [](double x) { return x > 0 ? x : std::exp(x) - 1; },
       -3, 3},
      {"softplus", [](auto& x) { return softplus(x); },
       [](double x) { return std::log1p(std::exp(x)); }, -30, 30},
      {"erf", [](auto& x) { return erf(x); }, [](double x) { return std::erf(x); }, -3, 3},
  };
  for (const auto& c : cases) {
    for (DType dtype : {float32, float64}) {
      const Tensor x = constant(random_values(257, c.lo, c.hi, 3), Shape{257}, dtype);
      const Tensor y = c.op(x);
      ASSERT_EQ(y.shape(), x.shape());
      std::vector<double> expected;
      for (double v : values_of(x)) expected.push_back(c.reference(v));
      expect_close(values_of(y), expected, dtype == float32 ? 4e-6 : 1e-13,
                   std::string(c.name) + " " + dtype_name(dtype));
    }
  }
  // Extreme inputs stay finite where the function is.
  expect_close(values_of(sigmoid(constant({-200.f, 200.f}))), {0, 1}, 1e-7, "sigmoid tails");
  expect_close(values_of(softplus(constant({-200.f, 200.f}))), {0, 200}, 1e-7, "softplus tails");
}

TEST_P(Elementwise, NaNPropagates) {
  const Tensor x = constant({NAN, 1.f});
  const Tensor y = constant({2.f, NAN});
  for (const Tensor& t : {x + y, maximum(x, y), minimum(x, y), exp(x), relu(x), abs(x), sign(x)}) {
    EXPECT_TRUE(std::isnan(values_of(t)[0])) << t;
  }
  EXPECT_TRUE(std::isnan(values_of(maximum(x, y))[1]));
  EXPECT_TRUE(std::isnan(values_of(minimum(x, y))[1]));
  EXPECT_EQ(equal(x, x).to_vector<bool>(), (std::vector<bool>{false, true}));
}

TEST_P(Elementwise, ComparisonsAndLogic) {
  const Tensor a = constant({1, 2, 3}), b = constant({3, 2, 1});
  EXPECT_EQ(equal(a, b).to_vector<bool>(), (std::vector<bool>{false, true, false}));
  EXPECT_EQ(not_equal(a, b).to_vector<bool>(), (std::vector<bool>{true, false, true}));
  EXPECT_EQ((a < b).to_vector<bool>(), (std::vector<bool>{true, false, false}));
  EXPECT_EQ((a <= b).to_vector<bool>(), (std::vector<bool>{true, true, false}));
  EXPECT_EQ((a > b).to_vector<bool>(), (std::vector<bool>{false, false, true}));
  EXPECT_EQ((a >= 2).to_vector<bool>(), (std::vector<bool>{false, true, true}));
  EXPECT_EQ((a < b).dtype(), bool_);
  const Tensor p = constant({true, true, false, false}), q = constant({true, false, true, false});
  EXPECT_EQ((p & q).to_vector<bool>(), (std::vector<bool>{true, false, false, false}));
  EXPECT_EQ((p | q).to_vector<bool>(), (std::vector<bool>{true, true, true, false}));
  EXPECT_EQ((~p).to_vector<bool>(), (std::vector<bool>{false, false, true, true}));
  EXPECT_EQ(logical_and(p, true).to_vector<bool>(), (std::vector<bool>{true, true, false, false}));
  expect_error<DTypeError>([&] { logical_and(a, b); }, {"logical_and", "bool", "int32"});
  expect_error<DTypeError>([&] { (void)(p + q); }, {"add", "bool"});
  if (constant(1.5f) < 2.0f)
    SUCCEED();
  else
    ADD_FAILURE() << "1.5 < 2 should be true";
}

TEST_P(Elementwise, WhereAndClip) {
  const Tensor cond = constant({{true}, {false}});                      // (2, 1)
  const Tensor x = constant({{1.f, 2.f, 3.f}});                         // (1, 3)
  const Tensor y = constant({{10.f, 20.f, 30.f}, {40.f, 50.f, 60.f}});  // (2, 3)
  const Tensor w = where(cond, x, y);
  EXPECT_EQ(w.shape(), Shape({2, 3}));
  EXPECT_EQ(w.to_vector<float>(), (std::vector<float>{1, 2, 3, 40, 50, 60}));
  EXPECT_EQ(where(constant({true, false}), 1.f, constant({5.f, 6.f})).to_vector<float>(),
            (std::vector<float>{1, 6}));
  EXPECT_EQ(where(constant({true, false}), 1, 0).to_vector<std::int32_t>(),
            (std::vector<std::int32_t>{1, 0}));
  const Tensor c = clip_by_value(constant({-2.f, 0.5f, 9.f}), -1.f, 1.f);
  EXPECT_EQ(c.to_vector<float>(), (std::vector<float>{-1, 0.5f, 1}));
  expect_error<DTypeError>([&] { where(constant({1, 0}), x, x); }, {"where", "bool"});
  expect_error<ShapeError>(
      [&] {
        clip_by_value(constant({1.f}), constant({0.f, 1.f}), 2.f);
      },
      {"clip_by_value", "(1,)", "(2,)"});
}

TEST_P(Elementwise, EmptyAndScalarTensors) {
  const Tensor e = zeros({0, 3});
  EXPECT_EQ((e + 1.f).shape(), Shape({0, 3}));
  EXPECT_EQ(exp(e).size(), 0);
  EXPECT_EQ((e + zeros({1, 3})).shape(), Shape({0, 3}));
  const Tensor s = constant(3.f);
  EXPECT_EQ((s * constant({1.f, 2.f})).to_vector<float>(), (std::vector<float>{3, 6}));
  EXPECT_EQ((s + s).rank(), 0);
}

TEST_P(Elementwise, ErrorsNameTheOpAndBothOperands) {
  const Tensor f = constant({1.f, 2.f}), i = constant({1, 2});
  expect_error<DTypeError>([&] { add(i, f); }, {"add", "int32", "float32", "cast"});
  expect_error<ShapeError>(
      [&] {
        multiply(zeros({2, 3}), zeros({4}));
      },
      {"multiply", "(2, 3)", "(4,)", "broadcast"});
  expect_error<DTypeError>([&] { sqrt(i); }, {"sqrt", "int32", "cast"});
  expect_error<DTypeError>([&] { exp(constant({true})); }, {"exp", "bool"});
  expect_error<Error>([&] { add(Tensor(), f); }, {"add", "undefined"});
  if (device().is_cuda()) {
    expect_error<DeviceError>([&] { add(f, f.to(Device::cpu())); }, {"add", "cuda:0", "cpu"});
  }
}

TEST_P(Elementwise, EqualityOperatorsAndCastByName) {
  // Lesson 15: values = tf.cast(y_true, "int32") == tf.cast(y_pred, "int32").
  const Tensor a = constant({1.2f, 2.7f, 3.0f}), b = constant({1, 3, 3});
  const Tensor same = cast(a, "int32") == b;
  EXPECT_EQ(same.dtype(), bool_);
  EXPECT_EQ(same.to_vector<bool>(), (std::vector<bool>{true, false, true}));
  EXPECT_EQ((b != 3).to_vector<bool>(), (std::vector<bool>{true, false, false}));
  EXPECT_EQ((2 == b).to_vector<bool>(), (std::vector<bool>{false, false, false}));
  EXPECT_EQ(cast(b, "float64").dtype(), float64);
  expect_error<DTypeError>([&] { (void)cast(b, "float16x"); }, {"cast", "float16x", "float32"});
}

TEST_P(Elementwise, IntegersOfDifferentDtypesCompareExactly) {
  // Lesson 7: uint8 labels against an int64 argmax (TensorFlow takes the labels as a NumPy array
  // and converts them; ember compares the two tensors exactly, as NumPy does).
  const Tensor labels = cast(constant({1, 0, 255}), uint8);
  const Tensor predicted = argmax(constant({{0.1f, 0.9f}, {0.8f, 0.2f}, {0.6f, 0.4f}}), 1);
  EXPECT_EQ(predicted.dtype(), int64);
  EXPECT_EQ((predicted == labels).to_vector<bool>(), (std::vector<bool>{true, true, false}));
  EXPECT_EQ((labels == predicted).to_vector<bool>(), (std::vector<bool>{true, true, false}));
  EXPECT_EQ((labels > constant({0, 0, 254})).to_vector<bool>(),
            (std::vector<bool>{true, false, true}));
  // Only integer comparisons convert: arithmetic and float/int mixes stay errors.
  expect_error<DTypeError>([&] { (void)(labels + predicted); }, {"add", "uint8", "int64"});
  expect_error<DTypeError>(
      [&] {
        (void)(predicted == constant({1.f, 0.f, 0.f}));
      },
      {"equal", "int64", "float32"});
}

TEST_P(Elementwise, CompoundAssignmentMakesANewTensor) {
  Tensor x = constant({1.f, 2.f});
  const Tensor before = x;  // another name for the old value: tensors are immutable
  x += 1;
  EXPECT_EQ(x.to_vector<float>(), (std::vector<float>{2, 3}));
  x *= constant({2.f, 10.f});
  x -= 0.5f;
  x /= 2;
  EXPECT_EQ(x.to_vector<float>(), (std::vector<float>{1.75f, 14.75f}));
  EXPECT_EQ(before.to_vector<float>(), (std::vector<float>{1, 2}));
  Tensor i = constant({7, -7});
  i %= 3;
  EXPECT_EQ(i.to_vector<std::int32_t>(), (std::vector<std::int32_t>{1, 2}));
  Tensor p = constant({true, false});
  p &= constant({true, true});
  p |= constant({false, true});
  EXPECT_EQ(p.to_vector<bool>(), (std::vector<bool>{true, true}));
  // Inside a tape, `y += x` is recorded like `y = y + x`.
  const Tensor w = constant({3.0}, float64);
  GradientTape tape;
  tape.watch(w);
  Tensor y = w * w;
  y += w;
  EXPECT_DOUBLE_EQ(tape.gradient(y, w)->item<double>(), 7.0);  // 2w + 1
}

INSTANTIATE_TEST_SUITE_P(Devices, Elementwise, ::testing::ValuesIn(testing::all_devices()),
                         testing::device_name);

TEST(Denormals, CpuKernelsFlushThemToZeroAsTensorFlowDoes) {
#if defined(__x86_64__) || defined(_M_X64)
  const DeviceScope cpu(Device::cpu());
  const float tiny = 1e-39f;  // below float32's smallest normal (1.18e-38)
  ASSERT_TRUE(std::fpclassify(tiny) == FP_SUBNORMAL);
  const std::vector<float> out = (constant({tiny, 1.0f}) * 1.0f).to_vector<float>();
  EXPECT_EQ(out[0], 0.0f) << "a denormal input reads as zero";
  EXPECT_EQ(out[1], 1.0f);
  EXPECT_EQ((constant({1e-30f}) * 1e-10f).to_vector<float>()[0], 0.0f)
      << "a denormal result is flushed";
  // The calling thread's own floating-point mode is left as it was.
  volatile float here = tiny;
  EXPECT_EQ(std::fpclassify(here * 1.0f), FP_SUBNORMAL);
#else
  GTEST_SKIP() << "denormals are flushed on x86-64 only";
#endif
}

// --- gradients against float64 central differences (CPU) ----------------------------------------

class ElementwiseGradients : public ::testing::Test {
  DeviceScope cpu_{Device::cpu()};
};

TEST_F(ElementwiseGradients, BinaryOpsWithBroadcasting) {
  const Tensor a = random_tensor({3, 1}, -2, 2, 1), b = random_tensor({1, 4}, -2, 2, 2);
  const Tensor pa = random_tensor({3, 1}, 0.5, 2, 3), pb = random_tensor({1, 4}, 0.5, 2, 4);
  check_gradient("add", [](auto& v) { return v[0] + v[1]; }, {a, b});
  check_gradient("subtract", [](auto& v) { return v[0] - v[1]; }, {a, b});
  check_gradient("multiply", [](auto& v) { return v[0] * v[1]; }, {a, b});
  check_gradient("divide", [](auto& v) { return v[0] / v[1]; }, {a, pb});
  check_gradient("pow", [](auto& v) { return pow(v[0], v[1]); }, {pa, b});
  // maximum/minimum away from ties (the tie rule is tested in test_autodiff.cpp).
  const Tensor c = constant({{-1.5}, {0.2}, {1.7}}, float64),
               d = constant({{-1.0, 0.5, 1.0, 2.0}}, float64);
  check_gradient("maximum", [](auto& v) { return maximum(v[0], v[1]); }, {c, d});
  check_gradient("minimum", [](auto& v) { return minimum(v[0], v[1]); }, {c, d});
  // floormod is smooth away from multiples of the divisor.
  const Tensor e = constant({{0.4}, {1.9}, {-2.45}}, float64),
               m = constant({{1.5, -1.3, 2.2, 3.1}}, float64);
  check_gradient("floormod", [](auto& v) { return floormod(v[0], v[1]); }, {e, m});
  // Same shapes, and a tensor operand on only one side of a C++ number.
  const Tensor x = random_tensor({2, 3}, 0.5, 2, 5);
  check_gradient("same shape", [](auto& v) { return v[0] * v[0] - v[0] / (v[0] + 1); }, {x});
  check_gradient("scalars",
                 [](auto& v) { return 2.5 * v[0] - 3 / v[0] + pow(v[0], 3) + pow(2, v[0]); }, {x});
}

TEST_F(ElementwiseGradients, UnaryOps) {
  const std::vector<std::pair<std::string, Function>> ops = {
      {"negative", [](auto& v) { return -v[0]; }},
      {"abs", [](auto& v) { return abs(v[0]); }},
      {"sign", [](auto& v) { return sign(v[0]) * v[0]; }},
      {"square", [](auto& v) { return square(v[0]); }},
      {"sqrt", [](auto& v) { return sqrt(abs(v[0]) + 0.5); }},
      {"rsqrt", [](auto& v) { return rsqrt(abs(v[0]) + 0.5); }},
      {"exp", [](auto& v) { return exp(v[0]); }},
      {"log", [](auto& v) { return log(abs(v[0]) + 0.5); }},
      {"log1p", [](auto& v) { return log1p(abs(v[0])); }},
      {"sin", [](auto& v) { return sin(v[0]); }},
      {"cos", [](auto& v) { return cos(v[0]); }},
      {"tanh", [](auto& v) { return tanh(v[0]); }},
      {"sigmoid", [](auto& v) { return sigmoid(v[0]); }},
      {"relu", [](auto& v) { return relu(v[0]); }},
      {"leaky_relu", [](auto& v) { return leaky_relu(v[0], 0.3); }},
      {"elu", [](auto& v) { return elu(v[0], 0.7); }},
      {"softplus", [](auto& v) { return softplus(v[0]); }},
      {"erf", [](auto& v) { return erf(v[0]); }},
  };
  // Away from the kinks of abs/relu/sign at 0.
  const Tensor x = constant({{-1.7, -0.6, -0.2}, {0.3, 0.8, 1.9}}, float64);
  for (const auto& [name, f] : ops) check_gradient(name, f, {x});
}

TEST_F(ElementwiseGradients, WhereClipAndCast) {
  const Tensor x = constant({{-1.7, -0.6, 0.4}, {0.3, 0.8, 1.9}}, float64);
  const Tensor y = random_tensor({1, 3}, -1, 1, 6);
  check_gradient("where", [](auto& v) { return where(v[0] > 0, v[0] * 3, v[1] * v[1]); }, {x, y});
  check_gradient("clip_by_value", [](auto& v) { return clip_by_value(v[0], -1.0, 1.0); }, {x});
  // cast float64 -> float64 is the identity; the float32 round trip is checked analytically.
  GradientTape tape;
  tape.watch(x);
  const Tensor s = reduce_sum(cast(cast(x, float32), float64) * 2);
  EXPECT_EQ(tape.gradient(s, x)->to_vector<double>(), std::vector<double>(6, 2.0));
}

TEST_F(ElementwiseGradients, ReluGradIsWhereInOnePass) {
  const Tensor dy = constant({{1.5, -2.0, 3.0}, {4.0, 5.0, -6.0}}, float64);
  const Tensor x = constant({{-1.0, 0.0, 2.0}, {0.5, std::nan(""), -0.1}}, float64);
  const std::vector<double> got = detail::relu_grad(dy, x).to_vector<double>();
  const std::vector<double> d = dy.to_vector<double>(), v = x.to_vector<double>();
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], v[i] > 0 ? d[i] : 0.0) << i;
  // Broadcasting, float32, and ReLU's gradient itself.
  const Tensor row = constant({-1.0f, 1.0f, 2.0f});
  EXPECT_EQ(detail::relu_grad(ones({2, 3}), row).to_vector<float>(),
            (std::vector<float>{0, 1, 1, 0, 1, 1}));
  GradientTape tape;
  tape.watch(x);
  const Tensor y = reduce_sum(relu(x) * dy);
  EXPECT_EQ(tape.gradient(y, x)->to_vector<double>(), got);
  // Second order: linear in dy (the same mask), flat in x.
  const Tensor at = constant({{-1.7, -0.6, 0.4}, {0.3, 0.8, 1.9}}, float64);
  check_gradient("relu_grad", [&](auto& v) { return detail::relu_grad(v[0], at); }, {dy});
  check_gradient("relu_grad_x", [&](auto& v) { return detail::relu_grad(dy, v[0]); }, {at});
  expect_error<DTypeError>([] { detail::relu_grad(constant({true}), constant({true})); },
                           {"relu_grad", "bool"});
}

TEST_F(ElementwiseGradients, BiasAdd) {
  const Tensor x = random_tensor({3, 4}, -1, 1, 16), b = random_tensor({4}, -1, 1, 17);
  testing::expect_close(values_of(bias_add(x, b)), values_of(x + b), 0, "bias_add");
  check_gradient("bias_add", [](auto& v) { return bias_add(v[0], v[1]); }, {x, b});
  expect_error<ShapeError>([&] { bias_add(x, ones({3}, float64)); }, {"bias_add", "(4,)", "(3,)"});
}

}  // namespace
}  // namespace ember
