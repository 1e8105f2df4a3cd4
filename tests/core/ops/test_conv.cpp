// Convolution, pooling and normalization ops: values against float64 loops written here
// (TensorFlow's padding rules spelled out independently), float64 finite-difference gradients of
// every op and input, second derivatives, argument errors, and the CPU against CUDA (skipped
// without a GPU).
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

// --- reference loops ---------------------------------------------------------------------------

struct Geometry {
  std::int64_t n, h, w, c, kh, kw, o;
  std::int64_t stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  bool same = false;
  std::int64_t groups = 1;
  std::string label() const {
    return cat("x(", n, ",", h, ",", w, ",", c, ") k", kh, "x", kw, " o", o, " s", stride_h, ",",
               stride_w, " d", dilation_h, ",", dilation_w, same ? " same" : " valid", " g",
               groups);
  }
  Conv2DOptions options() const {
    return {.strides = {stride_h, stride_w},
            .padding = same ? "SAME" : "valid",
            .dilation_rate = {dilation_h, dilation_w}};
  }
};

// TensorFlow's rule for one axis: the output size and the padding before it.
std::pair<std::int64_t, std::int64_t> tf_axis(std::int64_t in, std::int64_t k, std::int64_t s,
                                              std::int64_t d, bool same) {
  const std::int64_t kd = (k - 1) * d + 1;
  if (!same) return {(in - kd) / s + 1, 0};
  const std::int64_t out = (in + s - 1) / s;
  const std::int64_t total = std::max<std::int64_t>((out - 1) * s + kd - in, 0);
  return {out, total / 2};
}

// y[n, oh, ow, o] = sum over i, j, c of x[n, oh·s − pad + i·d, ow·s − pad + j·d, g·cg + c] · f[i,
// j, c, o].
std::vector<double> conv_loop(const Geometry& g, const std::vector<double>& x,
                              const std::vector<double>& f, std::int64_t& oh_out,
                              std::int64_t& ow_out) {
  const auto [oh_n, pt] = tf_axis(g.h, g.kh, g.stride_h, g.dilation_h, g.same);
  const auto [ow_n, pl] = tf_axis(g.w, g.kw, g.stride_w, g.dilation_w, g.same);
  oh_out = oh_n;
  ow_out = ow_n;
  const std::int64_t cg = g.c / g.groups, og = g.o / g.groups;
  std::vector<double> y(g.n * oh_n * ow_n * g.o, 0.0);
  for (std::int64_t n = 0; n < g.n; ++n)
    for (std::int64_t oh = 0; oh < oh_n; ++oh)
      for (std::int64_t ow = 0; ow < ow_n; ++ow)
        for (std::int64_t o = 0; o < g.o; ++o) {
          double sum = 0;
          const std::int64_t group = o / og;
          for (std::int64_t i = 0; i < g.kh; ++i)
            for (std::int64_t j = 0; j < g.kw; ++j) {
              const std::int64_t ih = oh * g.stride_h - pt + i * g.dilation_h,
                                 iw = ow * g.stride_w - pl + j * g.dilation_w;
              if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
              for (std::int64_t c = 0; c < cg; ++c) {
                sum += x[((n * g.h + ih) * g.w + iw) * g.c + group * cg + c] *
                       f[((i * g.kw + j) * cg + c) * g.o + o];
              }
            }
          y[((n * oh_n + oh) * ow_n + ow) * g.o + o] = sum;
        }
  return y;
}

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

const std::vector<Geometry>& conv_cases() {
  static const std::vector<Geometry> cases = {
      {.n = 1, .h = 7, .w = 5, .c = 3, .kh = 3, .kw = 3, .o = 4},
      {.n = 7, .h = 5, .w = 6, .c = 2, .kh = 3, .kw = 2, .o = 3, .same = true},
      {.n = 2, .h = 7, .w = 9, .c = 3, .kh = 3, .kw = 3, .o = 5, .stride_h = 2, .stride_w = 2},
      {.n = 2,
       .h = 8,
       .w = 7,
       .c = 2,
       .kh = 4,
       .kw = 2,
       .o = 3,
       .stride_h = 2,
       .stride_w = 3,
       .same = true},
      {.n = 1, .h = 9, .w = 8, .c = 2, .kh = 3, .kw = 3, .o = 2, .dilation_h = 2, .dilation_w = 2},
      {.n = 2,
       .h = 6,
       .w = 7,
       .c = 3,
       .kh = 2,
       .kw = 3,
       .o = 2,
       .dilation_h = 2,
       .dilation_w = 1,
       .same = true},
      {.n = 2,
       .h = 9,
       .w = 9,
       .c = 2,
       .kh = 3,
       .kw = 3,
       .o = 2,
       .stride_h = 2,
       .stride_w = 2,
       .dilation_h = 2,
       .dilation_w = 2,
       .same = true},
      {.n = 2, .h = 5, .w = 5, .c = 4, .kh = 3, .kw = 3, .o = 6, .same = true, .groups = 2},
      {.n = 3, .h = 1, .w = 1, .c = 5, .kh = 1, .kw = 1, .o = 2},
  };
  return cases;
}

class ConvOps : public ::testing::Test {
  DeviceScope cpu_{Device::cpu()};
};

TEST_F(ConvOps, Conv2dMatchesTheLoopInFloat64AndFloat32) {
  unsigned seed = 1;
  for (const Geometry& g : conv_cases()) {
    const Tensor x = random_tensor({g.n, g.h, g.w, g.c}, -1, 1, seed++);
    const Tensor f = random_tensor({g.kh, g.kw, g.c / g.groups, g.o}, -1, 1, seed++);
    std::int64_t oh, ow;
    const std::vector<double> expected = conv_loop(g, values_of(x), values_of(f), oh, ow);
    const Tensor y = conv2d(x, f, g.options());
    ASSERT_EQ(y.shape(), Shape({g.n, oh, ow, g.o})) << g.label();
    expect_close(values_of(y), expected, 1e-12, g.label());
    const Tensor y32 = conv2d(cast(x, float32), cast(f, float32), g.options());
    EXPECT_EQ(y32.dtype(), float32);
    expect_close(values_of(y32), expected, 1e-5, g.label() + " float32");
  }
}

TEST_F(ConvOps, TransposeAndDepthwiseMatchTheirLoops) {
  // conv2d_transpose scatters: out[ih·s − pad + i·d] += x[ih] · f[i, j, o, c].
  for (bool same : {false, true}) {
    for (std::int64_t stride : {1, 2, 3}) {
      for (std::int64_t k : {1, 2, 3, 5}) {
        const std::int64_t n = 2, h = 4, w = 3, c = 3, o = 2;
        const Tensor x = random_tensor({n, h, w, c}, -1, 1, 7),
                     f = random_tensor({k, k, o, c}, -1, 1, 8);
        const std::int64_t oh =
            same ? h * stride : h * stride + std::max<std::int64_t>(k - stride, 0);
        const std::int64_t ow =
            same ? w * stride : w * stride + std::max<std::int64_t>(k - stride, 0);
        const std::int64_t pt = same ? std::max<std::int64_t>((h - 1) * stride + k - oh, 0) / 2 : 0;
        const std::int64_t pl = same ? std::max<std::int64_t>((w - 1) * stride + k - ow, 0) / 2 : 0;
        const auto xv = values_of(x), fv = values_of(f);
        std::vector<double> expected(n * oh * ow * o, 0.0);
        for (std::int64_t b = 0; b < n; ++b)
          for (std::int64_t ih = 0; ih < h; ++ih)
            for (std::int64_t iw = 0; iw < w; ++iw)
              for (std::int64_t i = 0; i < k; ++i)
                for (std::int64_t j = 0; j < k; ++j) {
                  const std::int64_t r = ih * stride - pt + i, q = iw * stride - pl + j;
                  if (r < 0 || r >= oh || q < 0 || q >= ow) continue;
                  for (std::int64_t oc = 0; oc < o; ++oc)
                    for (std::int64_t ic = 0; ic < c; ++ic)
                      expected[((b * oh + r) * ow + q) * o + oc] +=
                          xv[((b * h + ih) * w + iw) * c + ic] *
                          fv[((i * k + j) * o + oc) * c + ic];
                }
        const Tensor y =
            conv2d_transpose(x, f, {.strides = stride, .padding = same ? "same" : "valid"});
        const std::string label = cat("transpose k", k, " s", stride, same ? " same" : " valid");
        ASSERT_EQ(y.shape(), Shape({n, oh, ow, o})) << label;
        expect_close(values_of(y), expected, 1e-12, label);
      }
    }
  }
  // depthwise: output channel c·M + m convolves input channel c with f[:, :, c, m].
  const Tensor x = random_tensor({2, 6, 5, 3}, -1, 1, 9),
               f = random_tensor({3, 2, 3, 2}, -1, 1, 10);
  const Geometry g{.n = 2,
                   .h = 6,
                   .w = 5,
                   .c = 3,
                   .kh = 3,
                   .kw = 2,
                   .o = 6,
                   .stride_h = 2,
                   .stride_w = 1,
                   .same = true,
                   .groups = 3};
  std::int64_t oh, ow;
  // As a grouped convolution with one input channel per group, the filter is f reshaped.
  const std::vector<double> expected = conv_loop(g, values_of(x), values_of(f), oh, ow);
  const Tensor y = depthwise_conv2d(x, f, g.options());
  ASSERT_EQ(y.shape(), Shape({2, oh, ow, 6}));
  expect_close(values_of(y), expected, 1e-12, "depthwise");
  expect_close(values_of(depthwise_conv2d(cast(x, float32), cast(f, float32), g.options())),
               expected, 1e-5, "depthwise float32");
}

TEST_F(ConvOps, PoolingMatchesTheLoops) {
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
  EXPECT_EQ(
      max_pool2d(zeros({1, 16, 16, 32}), {.ksize = 2, .strides = 2, .padding = "SAME"}).shape(),
      Shape({1, 8, 8, 32}));
  EXPECT_EQ(avg_pool2d(zeros({1, 7, 7, 1}), {.ksize = 3}).shape(), Shape({1, 2, 2, 1}));
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

TEST_F(ConvOps, BatchNormalizationMatchesTheFormulas) {
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

TEST_F(ConvOps, BiasAddAndDropout) {
  const Tensor x = random_tensor({3, 4}, -1, 1, 16), b = random_tensor({4}, -1, 1, 17);
  expect_close(values_of(bias_add(x, b)), values_of(x + b), 0, "bias_add");
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
  expect_error<ShapeError>([&] { bias_add(x, ones({3}, float64)); }, {"bias_add", "(4,)", "(3,)"});
}

TEST_F(ConvOps, GradientsOfConvolutions) {
  unsigned seed = 100;
  for (const Geometry& g : conv_cases()) {
    if (g.n * g.h * g.w > 120) continue;  // finite differences cost two convolutions per element
    const Tensor x = random_tensor({g.n, g.h, g.w, g.c}, -1, 1, seed++);
    const Tensor f = random_tensor({g.kh, g.kw, g.c / g.groups, g.o}, -1, 1, seed++);
    const Conv2DOptions o = g.options();
    check_gradient("conv2d " + g.label(), [&](auto& v) { return conv2d(v[0], v[1], o); }, {x, f});
    const Tensor dy = random_tensor(conv2d(x, f, o).shape(), -1, 1, seed++);
    check_gradient("conv2d_backward_input " + g.label(),
                   [&](auto& v) { return conv2d_backward_input(x.shape(), v[0], v[1], o); },
                   {f, dy});
    check_gradient("conv2d_backward_filter " + g.label(),
                   [&](auto& v) { return conv2d_backward_filter(v[0], f.shape(), v[1], o); },
                   {x, dy});
  }
  const Tensor x = random_tensor({2, 3, 4, 3}, -1, 1, 30);
  for (bool same : {false, true}) {
    const Conv2DOptions o{.strides = 2, .padding = same ? "same" : "valid"};
    check_gradient("conv2d_transpose", [&](auto& v) { return conv2d_transpose(v[0], v[1], o); },
                   {x, random_tensor({3, 2, 2, 3}, -1, 1, 31)});
    check_gradient("depthwise_conv2d", [&](auto& v) { return depthwise_conv2d(v[0], v[1], o); },
                   {x, random_tensor({2, 3, 3, 2}, -1, 1, 32)});
  }
}

TEST_F(ConvOps, GradientsOfPoolingNormalizationAndTheRest) {
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
  check_gradient("upsampling2d bilinear", [](auto& v) { return upsampling2d(v[0], {2, 3}, "bilinear"); }, {x});
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
  check_gradient("bias_add", [](auto& v) { return bias_add(v[0], v[1]); }, {x, offset});
  check_gradient("dropout", [](auto& v) { return dropout(v[0], 0.4, random::Generator(5)); }, {x});
}

TEST_F(ConvOps, SecondDerivatives) {
  const Tensor x = random_tensor({1, 4, 4, 2}, -1, 1, 50),
               f = random_tensor({2, 2, 2, 2}, -1, 1, 51);
  const Conv2DOptions o{.strides = 2, .padding = "same"};
  check_second_gradient("conv2d in x", [&](auto& v) { return square(conv2d(v[0], v[1], o)); },
                        {x, f});
  check_second_gradient("conv2d in the filter",
                        [&](auto& v) { return square(conv2d(v[1], v[0], o)); }, {f, x});
  check_second_gradient("conv2d_transpose",
                        [&](auto& v) { return square(conv2d_transpose(v[0], v[1], o)); }, {x, f});
  check_second_gradient(
      "avg_pool2d",
      [](auto& v) {
        return square(avg_pool2d(v[0], {.ksize = 3, .strides = 1, .padding = "same"}));
      },
      {x});
  const Tensor scale = random_tensor({2}, 0.5, 2, 52), offset = random_tensor({2}, -1, 1, 53);
  check_second_gradient("fused_batch_norm",
                        [](auto& v) { return square(fused_batch_norm(v[0], v[1], v[2]).y) * v[0]; },
                        {x, scale, offset});
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

TEST_F(ConvOps, BadArgumentsAreErrorsNamingTheOpAndShapes) {
  const Tensor x = zeros({2, 5, 5, 3}), f = zeros({3, 3, 3, 8});
  expect_error<ShapeError>([&] { conv2d(zeros({5, 5, 3}), f); }, {"conv2d", "rank 4", "(5, 5, 3)"});
  expect_error<ShapeError>(
      [&] {
        conv2d(x, zeros({3, 3, 2, 8}));
      },
      {"conv2d", "(2, 5, 5, 3)", "(3, 3, 2, 8)"});
  expect_error<ShapeError>(
      [&] {
        conv2d(x, zeros({3, 3, 1, 4}));
      },
      {"conv2d", "multiple of the 3 groups"});
  expect_error<ShapeError>(
      [&] {
        conv2d(zeros({1, 2, 2, 3}), f);
      },
      {"conv2d", "smaller than", "valid"});
  expect_error<DTypeError>(
      [&] {
        conv2d(x, zeros({3, 3, 3, 8}, float64));
      },
      {"conv2d", "float32", "float64"});
  expect_error<DTypeError>(
      [&] {
        conv2d(zeros({1, 3, 3, 1}, int32), zeros({1, 1, 1, 1}, int32));
      },
      {"conv2d", "int32"});
  expect_error<Error>([&] { conv2d(x, f, {.padding = "full"}); }, {"conv2d", "padding", "full"});
  expect_error<Error>([&] { conv2d(x, f, {.strides = 0}); }, {"conv2d", "strides"});
  expect_error<ShapeError>(
      [&] {
        conv2d_backward_input({2, 5, 5, 3}, f, zeros({2, 4, 4, 8}));
      },
      {"conv2d_backward_input", "(2, 3, 3, 8)", "(2, 4, 4, 8)"});
  expect_error<ShapeError>(
      [&] {
        conv2d_transpose(x, zeros({3, 3, 4, 2}));
      },
      {"conv2d_transpose", "3"});
  expect_error<ShapeError>(
      [&] {
        depthwise_conv2d(x, zeros({3, 3, 2, 2}));
      },
      {"depthwise_conv2d", "(3, 3, 2, 2)"});
  expect_error<ShapeError>([&] { max_pool2d(zeros({4, 4})); }, {"max_pool2d", "rank 4"});
  expect_error<ShapeError>(
      [&] {
        max_pool2d_backward(x, zeros({2, 2, 2, 3}), zeros({2, 3, 3, 3}));
      },
      {"max_pool2d_backward", "(2, 2, 2, 3)"});
  expect_error<ShapeError>([&] { fused_batch_norm(x, ones({2}), zeros({3})); },
                           {"fused_batch_norm", "(3,)", "(2,)"});
  expect_error<DTypeError>(
      [&] { batch_normalization(x, zeros({3}, float64), ones({3}), std::nullopt, std::nullopt); },
      {"batch_normalization", "float64"});
  if (cuda_available()) {
    expect_error<DeviceError>([&] { conv2d(x, f.to(Device::cuda(0))); }, {"conv2d", "devices"});
  }
}

// --- the CPU against CUDA
// -------------------------------------------------------------------------

class ConvCpuVsCuda : public ::testing::Test {
  DeviceScope cpu_{Device::cpu()};  // test data is made on the CPU, then copied to each device

 protected:
  void SetUp() override { EMBER_SKIP_WITHOUT_GPU(); }

  // Forward values and the gradients of every input, float32 on both devices.
  // tf32: the error is measured against the largest value (expect_close_normwise).
  static void compare(const std::string& name, const std::vector<Tensor>& inputs,
                      const testing::Function& f, double tol, bool tf32 = false) {
    const Tensor weights = testing::random_tensor(f(inputs).shape(), -1, 1, 77);
    auto run = [&](const Device& device) {
      DeviceScope scope(device);
      std::vector<Tensor> xs;
      for (const Tensor& t : inputs) xs.push_back(cast(t, float32).to(device));
      GradientTape tape;
      for (const Tensor& t : xs) tape.watch(t);
      const Tensor y = f(xs);
      const auto grads = tape.gradient(reduce_sum(y * cast(weights, float32).to(device)),
                                       std::vector<GradientSource>(xs.begin(), xs.end()));
      std::vector<std::vector<double>> out{values_of(y.to(Device::cpu()))};
      for (const auto& g : grads) out.push_back(values_of(g->to(Device::cpu())));
      return out;
    };
    const auto expected = run(Device::cpu());
    const auto actual = run(Device::cuda(0));
    for (std::size_t i = 0; i < expected.size(); ++i) {
      const std::string what = name + (i == 0 ? " forward" : " gradient " + std::to_string(i - 1));
      if (tf32) testing::expect_close_normwise(actual[i], expected[i], tol, what);
      else expect_close(actual[i], expected[i], tol, what);
    }
  }
};

TEST_F(ConvCpuVsCuda, ConvolutionsForwardAndGradients) {
  for (bool tf32 : {false, true}) {
    const testing::Tf32Scope math(tf32);
    const double tol = tf32 ? 2e-3 : 1e-4;
    unsigned seed = 200;
    for (const Geometry& g : conv_cases()) {
      const Tensor x = random_tensor({g.n, g.h, g.w, g.c}, -1, 1, seed++);
      const Tensor f = random_tensor({g.kh, g.kw, g.c / g.groups, g.o}, -1, 1, seed++);
      compare(
          "conv2d " + g.label(), {x, f}, [&](auto& v) { return conv2d(v[0], v[1], g.options()); },
          tol, tf32);
    }
    const Tensor x = random_tensor({4, 9, 7, 16}, -1, 1, 300);
    const Conv2DOptions o{.strides = 2, .padding = "same"};
    compare(
        "conv2d_transpose", {x, random_tensor({3, 3, 8, 16}, -1, 1, 301)},
        [&](auto& v) { return conv2d_transpose(v[0], v[1], o); }, tol, tf32);
    compare(
        "depthwise_conv2d", {x, random_tensor({3, 3, 16, 2}, -1, 1, 302)},
        [&](auto& v) { return depthwise_conv2d(v[0], v[1], o); }, tol, tf32);
    const Tensor big = random_tensor({8, 32, 32, 64}, -1, 1, 303);
    compare(
        "conv2d 3x3 64->64", {big, random_tensor({3, 3, 64, 64}, -0.1, 0.1, 304)},
        [](auto& v) { return conv2d(v[0], v[1], {.padding = "same"}); }, tol, tf32);
  }
}

TEST_F(ConvCpuVsCuda, PoolingAndBatchNormForwardAndGradients) {
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
        return reduce_sum(upsampling2d(v[0], {2, 3}), {1, 2}) + global_average_pool2d(v[0]) +
               reduce_sum(upsampling2d(v[0], {3, 2}, "bilinear"), {1, 2}) +
               global_max_pool2d(v[0]) + reduce_sum(bias_add(v[0], v[2]), {1, 2}) +
               reduce_sum(batch_normalization(v[0], mean, variance, v[2], v[1]), {1, 2}) +
               reduce_sum(dropout(v[0], 0.3, random::Generator(5)), {1, 2});
      },
      1e-4);
}

}  // namespace
}  // namespace ember
