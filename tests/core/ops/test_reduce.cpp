// Reductions and softmax against float64 loops written here, on every device.
#include "tests/gradient_check.h"

namespace ember {
namespace {

using testing::check_gradient;
using testing::expect_close;
using testing::expect_error;
using testing::random_tensor;
using testing::random_values;
using testing::values_of;

class Reduce : public testing::OnDevice {};

// Reference: reduce a row-major (2, 3, 4) array over any subset of axes with `f`.
std::vector<double> reference_reduce(const std::vector<double>& x, const std::vector<int>& dims,
                                     const std::vector<bool>& reduced, double init,
                                     double (*f)(double, double)) {
  std::vector<int> out_dims;
  for (std::size_t d = 0; d < dims.size(); ++d) out_dims.push_back(reduced[d] ? 1 : dims[d]);
  int out_size = 1;
  for (int d : out_dims) out_size *= d;
  std::vector<double> out(out_size, init);
  std::vector<int> index(dims.size(), 0);
  for (std::size_t flat = 0; flat < x.size(); ++flat) {
    int rest = static_cast<int>(flat), o = 0;
    for (int d = static_cast<int>(dims.size()) - 1; d >= 0; --d) {
      index[d] = rest % dims[d];
      rest /= dims[d];
    }
    for (std::size_t d = 0; d < dims.size(); ++d) o = o * out_dims[d] + (reduced[d] ? 0 : index[d]);
    out[o] = f(out[o], x[flat]);
  }
  return out;
}

TEST_P(Reduce, EveryAxisSubsetMatchesLoops) {
  const auto xv = random_values(24, -2, 2, 7);
  const std::vector<int> dims = {2, 3, 4};
  const std::vector<std::vector<std::int64_t>> axis_sets = {{0},    {1},    {2},    {-1},
                                                            {0, 1}, {0, 2}, {1, 2}, {0, 1, 2}};
  for (DType dtype : {float32, float64}) {
    const Tensor x = constant(xv, Shape{2, 3, 4}, dtype);
    const auto xh = values_of(x);
    for (const auto& axes : axis_sets) {
      std::vector<bool> reduced(3, false);
      int count = 1;
      for (auto a : axes) {
        reduced[(a + 3) % 3] = true;
        count *= dims[(a + 3) % 3];
      }
      const double tol = dtype == float32 ? 1e-6 : 1e-14;
      auto sum = reference_reduce(xh, dims, reduced, 0, [](double a, double b) { return a + b; });
      expect_close(values_of(reduce_sum(x, axes)), sum, tol, "sum");
      std::vector<double> mean = sum;
      for (double& m : mean) m /= count;
      expect_close(values_of(reduce_mean(x, axes)), mean, tol, "mean");
      expect_close(values_of(reduce_max(x, axes)),
                   reference_reduce(xh, dims, reduced, -INFINITY,
                                    [](double a, double b) { return std::max(a, b); }),
                   0, "max");
      expect_close(values_of(reduce_min(x, axes)),
                   reference_reduce(xh, dims, reduced, INFINITY,
                                    [](double a, double b) { return std::min(a, b); }),
                   0, "min");
      expect_close(values_of(reduce_prod(x, axes)),
                   reference_reduce(xh, dims, reduced, 1, [](double a, double b) { return a * b; }),
                   tol, "prod");
      // keepdims keeps reduced axes as 1.
      const Tensor kept = reduce_sum(x, axes, true);
      ASSERT_EQ(kept.rank(), 3);
      for (int d = 0; d < 3; ++d) EXPECT_EQ(kept.shape(d), reduced[d] ? 1 : dims[d]);
    }
  }
}

TEST_P(Reduce, DefaultsAndShapes) {
  const Tensor m = constant({{1.f, 2.f, 3.f}, {4.f, 5.f, 6.f}});
  EXPECT_EQ(reduce_sum(m).rank(), 0);
  EXPECT_EQ(reduce_sum(m).item<float>(), 21.f);
  EXPECT_EQ(reduce_sum(m, 0).to_vector<float>(), (std::vector<float>{5, 7, 9}));
  EXPECT_EQ(reduce_sum(m, {0, 1}).item<float>(), 21.f);
  EXPECT_EQ(reduce_sum(m, -1).to_vector<float>(), (std::vector<float>{6, 15}));
  EXPECT_EQ(reduce_sum(m, {}, true).shape(), Shape({1, 1}));
  EXPECT_EQ(reduce_mean(m, 1).to_vector<float>(), (std::vector<float>{2, 5}));
  EXPECT_EQ(reduce_sum(constant(5.f)).item<float>(), 5.f);
}

TEST_P(Reduce, IntegersAndBooleans) {
  const Tensor i = constant({{1, 2}, {3, 4}});
  EXPECT_EQ(reduce_sum(i).item<std::int32_t>(), 10);
  EXPECT_EQ(reduce_prod(i).item<std::int32_t>(), 24);
  EXPECT_EQ(reduce_max(i, 0).to_vector<std::int32_t>(), (std::vector<std::int32_t>{3, 4}));
  EXPECT_EQ(reduce_mean(constant({1, 2})).item<std::int32_t>(), 1);  // truncated, like TF
  EXPECT_EQ(reduce_mean(constant({-1, -2})).item<std::int32_t>(), -1);
  const Tensor b = constant({{true, false}, {true, true}});
  EXPECT_EQ(reduce_any(b, 0).to_vector<bool>(), (std::vector<bool>{true, true}));
  EXPECT_EQ(reduce_all(b, 0).to_vector<bool>(), (std::vector<bool>{true, false}));
  EXPECT_EQ(reduce_all(b).item<bool>(), false);
  expect_error<DTypeError>([&] { reduce_sum(b); }, {"reduce_sum", "bool"});
  expect_error<DTypeError>([&] { reduce_any(i); }, {"reduce_any", "bool", "int32"});
}

TEST_P(Reduce, EmptyAxesGiveIdentities) {
  const Tensor e = zeros({0, 3});
  EXPECT_EQ(reduce_sum(e, 0).to_vector<float>(), (std::vector<float>{0, 0, 0}));
  EXPECT_EQ(reduce_prod(e, 0).to_vector<float>(), (std::vector<float>{1, 1, 1}));
  EXPECT_EQ(reduce_max(e, 0).to_vector<float>(), std::vector<float>(3, -INFINITY));
  EXPECT_EQ(reduce_min(e, 0).to_vector<float>(), std::vector<float>(3, INFINITY));
  EXPECT_TRUE(std::isnan(reduce_mean(e).item<float>()));
  EXPECT_EQ(reduce_sum(e, 1).shape(), Shape({0}));
}

TEST_P(Reduce, NaNPropagatesThroughMaxAndSum) {
  const Tensor x = constant({1.f, NAN, 3.f});
  EXPECT_TRUE(std::isnan(reduce_max(x).item<float>()));
  EXPECT_TRUE(std::isnan(reduce_min(x).item<float>()));
  EXPECT_TRUE(std::isnan(reduce_sum(x).item<float>()));
  EXPECT_EQ(argmax(x).item<std::int64_t>(), 1);
  EXPECT_EQ(argmin(x).item<std::int64_t>(), 1);
}

// 10^7 float32 values whose float64 sum is known: float32 accumulation would be off by ~1e-3.
// Long reduced axes with several outputs per row (a bias gradient: every axis but the channels):
// the chunked path (fewer than 8 output rows) and the row path, against float64 loops.
TEST_P(Reduce, LongAxesWithSeveralOutputsMatchLoops) {
  for (const std::vector<int>& dims :
       {std::vector<int>{1, 70000, 17}, {3, 30011, 5}, {9, 20000, 4}}) {
    const std::size_t n = static_cast<std::size_t>(dims[0]) * dims[1] * dims[2];
    const auto xv = random_values(n, -1, 1, 11);
    for (DType dtype : {float32, float64}) {
      const Tensor x = constant(xv, Shape{dims[0], dims[1], dims[2]}, dtype);
      const auto xh = values_of(x);
      const std::vector<bool> middle{false, true, false};
      const auto sum =
          reference_reduce(xh, dims, middle, 0, [](double a, double b) { return a + b; });
      const std::string what =
          cat("(", dims[0], ", ", dims[1], ", ", dims[2], ") ", dtype_name(dtype));
      expect_close(values_of(reduce_sum(x, {1})), sum, dtype == float32 ? 1e-4 : 1e-10,
                   "sum " + what);
      std::vector<double> mean = sum;
      for (double& m : mean) m /= dims[1];
      expect_close(values_of(reduce_mean(x, {1})), mean, dtype == float32 ? 1e-6 : 1e-14,
                   "mean " + what);
      expect_close(values_of(reduce_max(x, {1})),
                   reference_reduce(xh, dims, middle, -INFINITY,
                                    [](double a, double b) { return std::max(a, b); }),
                   0, "max " + what);
    }
  }
}

TEST_P(Reduce, TenMillionFloatSumIsAccurate) {
  const std::int64_t n = 10'000'000;
  std::vector<float> v(static_cast<std::size_t>(n));
  double expected = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    v[i] = 0.1f + static_cast<float>(i % 1000) * 1e-4f;
    expected += static_cast<double>(v[i]);
  }
  const Tensor x = constant(v, Shape{n});
  const double sum = reduce_sum(x).item<float>();
  EXPECT_NEAR(sum / expected, 1.0, 1e-6);
  EXPECT_NEAR(reduce_mean(x).item<float>() / (expected / n), 1.0, 1e-6);
  // The same along an axis of a (2, 5e6) view and over the rows of (5e6, 2).
  const Tensor rows = reduce_sum(reshape(x, {2, -1}), 1);
  EXPECT_NEAR((values_of(rows)[0] + values_of(rows)[1]) / expected, 1.0, 1e-6);
  const Tensor cols = reduce_sum(reshape(x, {-1, 2}), 0);
  EXPECT_NEAR((values_of(cols)[0] + values_of(cols)[1]) / expected, 1.0, 1e-6);
}

TEST_P(Reduce, ArgmaxArgmin) {
  const Tensor m = constant({{1.f, 9.f, 3.f}, {7.f, 2.f, 7.f}});
  EXPECT_EQ(argmax(m).to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, 0, 1}));
  EXPECT_EQ(argmax(m, 1).to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, 0}));
  EXPECT_EQ(argmin(m, -1).to_vector<std::int64_t>(), (std::vector<std::int64_t>{0, 1}));
  EXPECT_EQ(argmax(m, 1).dtype(), int64);
  EXPECT_EQ(argmax(constant({3, 3, 1})).item<std::int64_t>(), 0);  // first on ties
  expect_error<ShapeError>([] { argmax(zeros({0, 2})); }, {"argmax", "empty"});
  expect_error<IndexError>([&] { argmax(m, 2); }, {"argmax", "axis 2", "rank 2"});
}

TEST_P(Reduce, AxisErrors) {
  const Tensor m = zeros({2, 3});
  expect_error<IndexError>([&] { reduce_sum(m, 2); }, {"reduce_sum", "axis 2", "rank 2"});
  expect_error<IndexError>([&] { reduce_mean(m, {0, -3}); }, {"reduce_mean", "axis -3"});
}

INSTANTIATE_TEST_SUITE_P(Devices, Reduce, ::testing::ValuesIn(testing::all_devices()),
                         testing::device_name);

// --- gradients against float64 central differences (CPU) ----------------------------------------

class ReduceGradients : public ::testing::Test {
  DeviceScope cpu_{Device::cpu()};
};

TEST_F(ReduceGradients, Reductions) {
  const Tensor x = random_tensor({2, 3, 4}, -2, 2, 7);
  for (const Axes& axes : {Axes(), Axes(0), Axes(1), Axes(-1), Axes({0, 2})}) {
    for (bool keep : {false, true}) {
      check_gradient("reduce_sum", [&](auto& v) { return reduce_sum(v[0], axes, keep); }, {x});
      check_gradient("reduce_mean", [&](auto& v) { return reduce_mean(v[0], axes, keep); }, {x});
      check_gradient("reduce_max", [&](auto& v) { return reduce_max(v[0], axes, keep); }, {x});
      check_gradient("reduce_min", [&](auto& v) { return reduce_min(v[0], axes, keep); }, {x});
    }
  }
  const Tensor p = random_tensor({3, 4}, 0.5, 1.5, 8);
  check_gradient("reduce_prod", [](auto& v) { return reduce_prod(v[0], 1); }, {p});
  check_gradient("reduce_prod all", [](auto& v) { return reduce_prod(v[0]); }, {p});
  // One zero in a group: its gradient is the product of the others.
  const Tensor z = constant({{2.0, 0.0, 3.0}, {1.0, 4.0, 5.0}}, float64);
  check_gradient("reduce_prod with a zero", [](auto& v) { return reduce_prod(v[0], 1); }, {z});
}

}  // namespace
}  // namespace ember
