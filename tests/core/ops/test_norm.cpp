// Batch normalization and dropout: values against the formulas computed here in float64, float64
// finite-difference gradients, second derivatives, argument errors, and the CPU against CUDA
// (skipped without a GPU).
#include <algorithm>
#include <cmath>

#include "tests/gradient_check.h"

namespace ember {
namespace {

using testing::check_gradient;
using testing::check_second_gradient;
using testing::expect_close;
using testing::expect_error;
using testing::random_tensor;
using testing::values_of;

class NormOps : public ::testing::Test {
  DeviceScope cpu_{Device::cpu()};
};

TEST_F(NormOps, BatchNormalizationMatchesTheFormulas) {
  const Tensor x = random_tensor({7, 3, 5, 4}, -2, 3, 13);
  const Tensor scale = random_tensor({4}, 0.5, 2, 14), offset = random_tensor({4}, -1, 1, 15);
  const auto result = fused_batch_norm(x, scale, offset, 1e-3);
  const auto xv = values_of(x), sv = values_of(scale), ov = values_of(offset);
  const std::int64_t rows = 7 * 3 * 5;
  std::vector<double> mean(4, 0), var(4, 0), expected(xv.size());
  for (std::int64_t r = 0; r < rows; ++r)
    for (int c = 0; c < 4; ++c) mean[c] += xv[r * 4 + c] / rows;
  for (std::int64_t r = 0; r < rows; ++r)
    for (int c = 0; c < 4; ++c)
      var[c] += (xv[r * 4 + c] - mean[c]) * (xv[r * 4 + c] - mean[c]) / rows;
  for (std::int64_t r = 0; r < rows; ++r)
    for (int c = 0; c < 4; ++c)
      expected[r * 4 + c] = (xv[r * 4 + c] - mean[c]) / std::sqrt(var[c] + 1e-3) * sv[c] + ov[c];
  expect_close(values_of(result.y), expected, 1e-12, "fused_batch_norm y");
  expect_close(values_of(result.mean), mean, 1e-12, "batch mean");
  expect_close(values_of(result.variance), var, 1e-12, "batch variance (biased)");
  const auto r32 = fused_batch_norm(cast(x, float32), cast(scale, float32), cast(offset, float32));
  expect_close(values_of(r32.y), expected, 1e-5, "fused_batch_norm float32");
  // Inference with given statistics: TensorFlow's formula.
  const Tensor y = batch_normalization(x, result.mean, result.variance, offset, scale, 1e-3);
  expect_close(values_of(y), expected, 1e-12, "batch_normalization");
  const Tensor bare =
      batch_normalization(x, result.mean, result.variance, std::nullopt, std::nullopt, 1e-3);
  EXPECT_NEAR(values_of(bare)[5], (xv[5] - mean[1]) / std::sqrt(var[1] + 1e-3), 1e-12);
}

TEST_F(NormOps, Dropout) {
  const Tensor big = ones({100000});
  const Tensor d = dropout(big, 0.25, random::Generator(3));
  const auto v = d.to_vector<float>();
  const double kept =
      static_cast<double>(std::count_if(v.begin(), v.end(), [](float a) { return a != 0; }));
  EXPECT_NEAR(kept / v.size(), 0.75, 0.01);
  for (float a : v) EXPECT_TRUE(a == 0.f || std::fabs(a - 4.f / 3.f) < 1e-6f);
  EXPECT_EQ(dropout(big, 0.25, random::Generator(3)).to_vector<float>(),
            v);  // same seed, same mask
  EXPECT_EQ(dropout(big, 0.0).to_vector<float>(), big.to_vector<float>());
  expect_error<Error>([&] { dropout(big, 1.0); }, {"dropout", "rate"});
}

TEST_F(NormOps, Gradients) {
  std::vector<double> distinct(2 * 5 * 6 * 2);
  for (std::size_t i = 0; i < distinct.size(); ++i)
    distinct[i] = std::sin(1.7 * double(i) + 0.3) * 2;
  const Tensor x = constant(distinct, {2, 5, 6, 2}, float64);
  const Tensor scale = random_tensor({2}, 0.5, 2, 41), offset = random_tensor({2}, -1, 1, 42);
  check_gradient("fused_batch_norm y", [](auto& v) { return fused_batch_norm(v[0], v[1], v[2]).y; },
                 {x, scale, offset});
  check_gradient("fused_batch_norm mean and variance",
                 [&](auto& v) {
                   const auto r = fused_batch_norm(v[0], scale, offset);
                   return r.mean * 3 + square(r.variance);
                 },
                 {x});
  const Tensor mean = random_tensor({2}, -1, 1, 43), variance = random_tensor({2}, 0.5, 2, 44);
  check_gradient("batch_normalization",
                 [](auto& v) { return batch_normalization(v[0], v[1], v[2], v[3], v[4]); },
                 {x, mean, variance, offset, scale});
  check_gradient("dropout", [](auto& v) { return dropout(v[0], 0.4, random::Generator(5)); }, {x});
}

TEST_F(NormOps, SecondDerivatives) {
  const Tensor x = random_tensor({1, 4, 4, 2}, -1, 1, 50);
  const Tensor scale = random_tensor({2}, 0.5, 2, 52), offset = random_tensor({2}, -1, 1, 53);
  check_second_gradient("fused_batch_norm",
                        [](auto& v) { return square(fused_batch_norm(v[0], v[1], v[2]).y) * v[0]; },
                        {x, scale, offset});
}

TEST_F(NormOps, BadArgumentsAreErrorsNamingTheOpAndShapes) {
  const Tensor x = zeros({2, 5, 5, 3});
  expect_error<ShapeError>([&] { fused_batch_norm(x, ones({2}), zeros({3})); },
                           {"fused_batch_norm", "(3,)", "(2,)"});
  expect_error<DTypeError>(
      [&] { batch_normalization(x, zeros({3}, float64), ones({3}), std::nullopt, std::nullopt); },
      {"batch_normalization", "float64"});
}

// --- the CPU against CUDA -----------------------------------------------------------------------

class NormCpuVsCuda : public testing::CpuVsCudaGradients {};

TEST_F(NormCpuVsCuda, ForwardAndGradients) {
  std::vector<double> distinct(4 * 9 * 8 * 3);
  for (std::size_t i = 0; i < distinct.size(); ++i)
    distinct[i] = std::sin(1.3 * double(i) + 0.1) * 2;
  const Tensor x = constant(distinct, {4, 9, 8, 3}, float64);
  const Tensor scale = random_tensor({3}, 0.5, 2, 310), offset = random_tensor({3}, -1, 1, 311);
  compare(
      "fused_batch_norm", {x, scale, offset},
      [](auto& v) { return fused_batch_norm(v[0], v[1], v[2]).y; }, 1e-4);
  compare(
      "batch statistics", {x},
      [&](auto& v) {
        const auto r = fused_batch_norm(v[0], cast(scale, v[0].dtype()).to(v[0].device()),
                                        cast(offset, v[0].dtype()).to(v[0].device()));
        return r.mean + r.variance;
      },
      1e-4);
  // The ops made of other ops: the same kernels as elsewhere, in these combinations.
  compare(
      "composites", {x, scale, offset},
      [](auto& v) {
        const Tensor mean = reduce_mean(v[0], {0, 1, 2}), variance = square(v[1]);
        return reduce_sum(bias_add(v[0], v[2]), {1, 2}) +
               reduce_sum(batch_normalization(v[0], mean, variance, v[2], v[1]), {1, 2}) +
               reduce_sum(dropout(v[0], 0.3, random::Generator(5)), {1, 2});
      },
      1e-4);
}

}  // namespace
}  // namespace ember
