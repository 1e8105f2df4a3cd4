// Convolution ops: values against float64 loops written here (TensorFlow's padding rules spelled
// out independently), float64 finite-difference gradients of every op and input, second
// derivatives, argument errors, and the CPU against CUDA (skipped without a GPU).
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
            conv2d_transpose(x, f, _strides = stride, _padding = same ? "same" : "valid");
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
  expect_error<Error>([&] { conv2d(x, f, _padding = "full"); }, {"conv2d", "padding", "full"});
  expect_error<Error>([&] { conv2d(x, f, _strides = 0); }, {"conv2d", "strides"});
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
  if (cuda_available()) {
    expect_error<DeviceError>([&] { conv2d(x, f.to(Device::cuda(0))); }, {"conv2d", "devices"});
  }
}

// --- the CPU against CUDA -----------------------------------------------------------------------

class ConvCpuVsCuda : public testing::CpuVsCudaGradients {};

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
        [](auto& v) { return conv2d(v[0], v[1], _padding = "same"); }, tol, tf32);
  }
}

}  // namespace
}  // namespace ember
