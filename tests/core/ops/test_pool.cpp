// Pooling ops: values against float64 loops written here (TensorFlow's padding rules spelled out
// independently), float64 finite-difference gradients, second derivatives, argument errors, and
// the CPU against CUDA (skipped without a GPU).
#include <algorithm>
#include <cmath>

#include "tests/core/ops/tf_padding.h"
#include "tests/gradient_check.h"

namespace ember {
namespace {

using testing::check_gradient;
using testing::check_second_gradient;
using testing::expect_close;
using testing::expect_error;
using testing::random_tensor;
using testing::tf_axis;
using testing::values_of;

// --- reference loops ---------------------------------------------------------------------------

// Pooling: max or mean of the window clipped to the image.
std::vector<double> pool_loop(bool max, const std::vector<double>& x, std::int64_t n_count,
                              std::int64_t h, std::int64_t w, std::int64_t c_count, std::int64_t k,
                              std::int64_t s, bool same, std::int64_t& oh_n, std::int64_t& ow_n) {
  const auto [oh_size, pt] = tf_axis(h, k, s, 1, same);
  const auto [ow_size, pl] = tf_axis(w, k, s, 1, same);
  oh_n = oh_size;
  ow_n = ow_size;
  std::vector<double> y;
  for (std::int64_t n = 0; n < n_count; ++n)
    for (std::int64_t oh = 0; oh < oh_n; ++oh)
      for (std::int64_t ow = 0; ow < ow_n; ++ow)
        for (std::int64_t c = 0; c < c_count; ++c) {
          double best = -INFINITY, sum = 0;
          int count = 0;
          for (std::int64_t ih = oh * s - pt; ih < oh * s - pt + k; ++ih)
            for (std::int64_t iw = ow * s - pl; iw < ow * s - pl + k; ++iw) {
              if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
              const double v = x[((n * h + ih) * w + iw) * c_count + c];
              best = std::max(best, v);
              sum += v;
              ++count;
            }
          y.push_back(max ? best : sum / count);
        }
  return y;
}

class PoolOps : public ::testing::Test {
  DeviceScope cpu_{Device::cpu()};
};

TEST_F(PoolOps, MatchTheLoops) {
  struct Case {
    std::int64_t n, h, w, c, k, s;
    bool same;
  };
  for (const Case& p : {Case{1, 7, 7, 3, 2, 2, false}, Case{7, 5, 6, 2, 2, 2, true},
                        Case{2, 9, 8, 2, 3, 2, true}, Case{2, 6, 6, 1, 3, 1, true},
                        Case{1, 7, 5, 2, 3, 3, false}, Case{2, 4, 4, 2, 2, 1, false}}) {
    const Tensor x = random_tensor({p.n, p.h, p.w, p.c}, -2, 2, 11);
    const Pool2DOptions options{.ksize = p.k, .strides = p.s, .padding = p.same ? "same" : "valid"};
    const std::string label =
        cat("pool k", p.k, " s", p.s, p.same ? " same" : " valid", " h", p.h, " w", p.w);
    for (bool max : {true, false}) {
      std::int64_t oh, ow;
      const auto expected =
          pool_loop(max, values_of(x), p.n, p.h, p.w, p.c, p.k, p.s, p.same, oh, ow);
      const Tensor y = max ? max_pool2d(x, options) : avg_pool2d(x, options);
      ASSERT_EQ(y.shape(), Shape({p.n, oh, ow, p.c})) << label;
      expect_close(values_of(y), expected, 1e-12, label + (max ? " max" : " avg"));
      const Tensor y32 =
          max ? max_pool2d(cast(x, float32), options) : avg_pool2d(cast(x, float32), options);
      expect_close(values_of(y32), expected, 1e-6, label + " float32");
    }
  }
  // The lesson's max pooling: (1, 16, 16, 32) -> (1, 8, 8, 32); strides default to the window.
  EXPECT_EQ(max_pool2d(zeros({1, 16, 16, 32}), _ksize = 2, _strides = 2, _padding = "SAME").shape(),
            Shape({1, 8, 8, 32}));
  EXPECT_EQ(avg_pool2d(zeros({1, 7, 7, 1}), _ksize = 3).shape(), Shape({1, 2, 2, 1}));
  // Max pooling's gradient goes to the first maximum of a window on ties.
  const Tensor ties = ones({1, 2, 2, 1}, float64);
  GradientTape tape;
  tape.watch(ties);
  const Tensor pooled = max_pool2d(ties);
  EXPECT_EQ(tape.gradient(pooled, ties)->to_vector<double>(), std::vector<double>({1, 0, 0, 0}));
  // Global pooling and upsampling.
  const Tensor x = random_tensor({2, 3, 4, 5}, -1, 1, 12);
  expect_close(values_of(global_average_pool2d(x)), values_of(reduce_mean(x, {1, 2})), 1e-15,
               "gap");
  EXPECT_EQ(global_max_pool2d(x, true).shape(), Shape({2, 1, 1, 5}));
  const Tensor up = upsampling2d(x, {2, 3});
  ASSERT_EQ(up.shape(), Shape({2, 6, 12, 5}));
  const auto xv = values_of(x), uv = values_of(up);
  for (std::int64_t i = 0; i < 6; ++i)
    for (std::int64_t j = 0; j < 12; ++j)
      EXPECT_EQ(uv[((1 * 6 + i) * 12 + j) * 5 + 4], xv[((1 * 3 + i / 2) * 4 + j / 3) * 5 + 4]);
}

TEST_F(PoolOps, Gradients) {
  // Distinct values keep max pooling away from ties, where it is not differentiable.
  std::vector<double> distinct(2 * 5 * 6 * 2);
  for (std::size_t i = 0; i < distinct.size(); ++i)
    distinct[i] = std::sin(1.7 * double(i) + 0.3) * 2;
  const Tensor x = constant(distinct, {2, 5, 6, 2}, float64);
  for (const Pool2DOptions& o :
       {Pool2DOptions{.ksize = 2}, Pool2DOptions{.ksize = 3, .strides = 2, .padding = "same"},
        Pool2DOptions{.ksize = {2, 3}, .strides = 1, .padding = "same"}}) {
    check_gradient("max_pool2d", [&](auto& v) { return max_pool2d(v[0], o); }, {x});
    check_gradient("avg_pool2d", [&](auto& v) { return avg_pool2d(v[0], o); }, {x});
    const Tensor dy = random_tensor(avg_pool2d(x, o).shape(), -1, 1, 40);
    check_gradient("avg_pool2d_backward",
                   [&](auto& v) { return avg_pool2d_backward(x.shape(), v[0], o); }, {dy});
  }
  check_gradient("global pools",
                 [](auto& v) { return global_average_pool2d(v[0]) * global_max_pool2d(v[0]); },
                 {x});
  check_gradient("upsampling2d", [](auto& v) { return upsampling2d(v[0], {2, 1}); }, {x});
  check_gradient("upsampling2d bilinear",
                 [](auto& v) {
                   return upsampling2d(v[0], {2, 3}, "bilinear");
                 },
                 {x});
}

TEST_F(PoolOps, SecondDerivatives) {
  const Tensor x = random_tensor({1, 4, 4, 2}, -1, 1, 50);
  check_second_gradient(
      "avg_pool2d",
      [](auto& v) { return square(avg_pool2d(v[0], _ksize = 3, _strides = 1, _padding = "same")); },
      {x});
  // Max pooling has first derivatives only, and says so.
  GradientTape outer;
  outer.watch(x);
  std::optional<Tensor> first;
  {
    GradientTape inner;
    inner.watch(x);
    first = inner.gradient(reduce_sum(square(max_pool2d(x))), x);
  }
  expect_error<Error>([&] { outer.gradient(*first, x); }, {"max_pool2d", "second derivatives"});
}

TEST_F(PoolOps, BadArgumentsAreErrorsNamingTheOpAndShapes) {
  const Tensor x = zeros({2, 5, 5, 3});
  expect_error<ShapeError>([&] { max_pool2d(zeros({4, 4})); }, {"max_pool2d", "rank 4"});
  expect_error<ShapeError>(
      [&] {
        max_pool2d_backward(x, zeros({2, 2, 2, 3}), zeros({2, 3, 3, 3}));
      },
      {"max_pool2d_backward", "(2, 2, 2, 3)"});
}

// --- the CPU against CUDA -----------------------------------------------------------------------

class PoolCpuVsCuda : public testing::CpuVsCudaGradients {};

TEST_F(PoolCpuVsCuda, ForwardAndGradients) {
  std::vector<double> distinct(4 * 9 * 8 * 3);
  for (std::size_t i = 0; i < distinct.size(); ++i)
    distinct[i] = std::sin(1.3 * double(i) + 0.1) * 2;
  const Tensor x = constant(distinct, {4, 9, 8, 3}, float64);
  for (const Pool2DOptions& o :
       {Pool2DOptions{.ksize = 2}, Pool2DOptions{.ksize = 3, .strides = 2, .padding = "same"}}) {
    compare(
        "max_pool2d", {x}, [&](auto& v) { return max_pool2d(v[0], o); }, 1e-5);
    compare(
        "avg_pool2d", {x}, [&](auto& v) { return avg_pool2d(v[0], o); }, 1e-5);
  }
  compare(
      "global pools and upsampling", {x},
      [](auto& v) {
        return reduce_sum(upsampling2d(v[0], {2, 3}), {1, 2}) + global_average_pool2d(v[0]) +
               reduce_sum(upsampling2d(v[0], {3, 2}, "bilinear"), {1, 2}) + global_max_pool2d(v[0]);
      },
      1e-4);
}

}  // namespace
}  // namespace ember
