// Every op on random float32 inputs, computed on the CPU and on CUDA: the results must agree
// (elementwise: relative 1e-5; reductions 1e-4; matmul 1e-4 exact float32, 5e-3 with TF32).
// Skipped, and reported as skipped, on machines without a GPU.
#include <functional>

#include "tests/test_support.h"

namespace ember {
namespace {

using testing::random_values;
using testing::values_of;

class CpuVsCuda : public ::testing::Test {
 protected:
  void SetUp() override { EMBER_SKIP_WITHOUT_GPU(); }

  static Tensor random_input(const Shape& shape, double lo, double hi, unsigned seed) {
    DeviceScope cpu(Device::cpu());
    return constant(random_values(static_cast<std::size_t>(shape.num_elements()), lo, hi, seed),
                    shape);
  }

  // Runs f on CPU copies and on CUDA copies of the inputs and compares the outputs.
  static void compare(const std::string& name, const std::vector<Tensor>& inputs,
                      const std::function<Tensor(const std::vector<Tensor>&)>& f, double tol) {
    std::vector<Tensor> on_cpu, on_gpu;
    for (const Tensor& t : inputs) {
      on_cpu.push_back(t.to(Device::cpu()));
      on_gpu.push_back(t.to(Device::cuda(0)));
    }
    Tensor expected, actual;
    {
      DeviceScope scope(Device::cpu());
      expected = f(on_cpu);
    }
    {
      DeviceScope scope(Device::cuda(0));
      actual = f(on_gpu);
    }
    ASSERT_EQ(actual.device(), Device::cuda(0)) << name;
    ASSERT_EQ(actual.shape(), expected.shape()) << name;
    ASSERT_EQ(actual.dtype(), expected.dtype()) << name;
    if (expected.dtype() == bool_ || !is_floating(expected.dtype())) {
      EXPECT_EQ(cast(actual, int64).to_vector<std::int64_t>(),
                cast(expected, int64).to_vector<std::int64_t>())
          << name;
      return;
    }
    testing::expect_close(values_of(actual.to(Device::cpu())), values_of(expected), tol, name);
  }
};

TEST_F(CpuVsCuda, ElementwiseOps) {
  const Tensor a = random_input({33, 65}, -2, 2, 1), b = random_input({33, 65}, -2, 2, 2);
  const Tensor pos = random_input({33, 65}, 0.1, 3, 3), row = random_input({1, 65}, 0.5, 2, 4);
  const std::vector<std::pair<std::string, std::function<Tensor(const std::vector<Tensor>&)>>> ops =
      {
          {"add", [](auto& v) { return v[0] + v[1]; }},
          {"subtract", [](auto& v) { return v[0] - v[1]; }},
          {"multiply", [](auto& v) { return v[0] * v[1]; }},
          {"divide", [](auto& v) { return v[0] / v[3]; }},
          {"floordiv", [](auto& v) { return floordiv(v[0], v[3]); }},
          {"floormod", [](auto& v) { return v[0] % v[3]; }},
          {"pow", [](auto& v) { return pow(v[2], v[1]); }},
          {"maximum", [](auto& v) { return maximum(v[0], v[1]); }},
          {"minimum", [](auto& v) { return minimum(v[0], v[1]); }},
          {"relu_grad", [](auto& v) { return detail::relu_grad(v[0], v[1]); }},
          {"scalar", [](auto& v) { return 2.5f * v[0] - 1; }},
          {"negative", [](auto& v) { return -v[0]; }},
          {"abs", [](auto& v) { return abs(v[0]); }},
          {"sign", [](auto& v) { return sign(v[0]); }},
          {"square", [](auto& v) { return square(v[0]); }},
          {"sqrt", [](auto& v) { return sqrt(v[2]); }},
          {"rsqrt", [](auto& v) { return rsqrt(v[2]); }},
          {"exp", [](auto& v) { return exp(v[0]); }},
          {"log", [](auto& v) { return log(v[2]); }},
          {"log1p", [](auto& v) { return log1p(v[2]); }},
          {"sin", [](auto& v) { return sin(v[0]); }},
          {"cos", [](auto& v) { return cos(v[0]); }},
          {"tanh", [](auto& v) { return tanh(v[0]); }},
          {"sigmoid", [](auto& v) { return sigmoid(v[0]); }},
          {"relu", [](auto& v) { return relu(v[0]); }},
          {"leaky_relu", [](auto& v) { return leaky_relu(v[0]); }},
          {"elu", [](auto& v) { return elu(v[0]); }},
          {"softplus", [](auto& v) { return softplus(v[0]); }},
          {"erf", [](auto& v) { return erf(v[0]); }},
          {"less", [](auto& v) { return v[0] < v[1]; }},
          {"equal", [](auto& v) { return equal(v[0], v[0]); }},
          {"where", [](auto& v) { return where(v[0] > v[1], v[0], v[3]); }},
          {"clip", [](auto& v) { return clip_by_value(v[0], -0.5f, 0.5f); }},
          {"cast_int", [](auto& v) { return cast(v[0] * 10, int32); }},
          {"cast_double", [](auto& v) { return cast(v[0], float64); }},
          {"int_floordiv",
           [](auto& v) { return floordiv(cast(v[0] * 10, int32), cast(v[3] * 3, int32)); }},
          {"logic", [](auto& v) { return logical_and(v[0] > 0, ~(v[1] > 0)); }},
      };
  for (const auto& [name, op] : ops) compare(name, {a, b, pos, row}, op, 1e-5);
}

TEST_F(CpuVsCuda, Reductions) {
  const Tensor x = random_input({17, 31, 9}, -2, 2, 5);
  for (const Axes& axes : {Axes(), Axes(0), Axes(1), Axes(2), Axes({0, 2}), Axes({1, 2})}) {
    compare(
        "sum", {x}, [&](auto& v) { return reduce_sum(v[0], axes); }, 1e-4);
    compare(
        "mean", {x}, [&](auto& v) { return reduce_mean(v[0], axes, true); }, 1e-4);
    compare(
        "max", {x}, [&](auto& v) { return reduce_max(v[0], axes); }, 1e-4);
    compare(
        "min", {x}, [&](auto& v) { return reduce_min(v[0], axes); }, 1e-4);
    compare(
        "prod", {x}, [&](auto& v) { return reduce_prod(v[0] * 0.1f + 1, axes); }, 1e-4);
    compare(
        "any", {x}, [&](auto& v) { return reduce_any(v[0] > 1.9f, axes); }, 0);
  }
  compare(
      "int sum", {x}, [](auto& v) { return reduce_sum(cast(v[0] * 100, int32), 1); }, 0);
  compare(
      "argmax", {x}, [](auto& v) { return argmax(v[0], 1); }, 0);
  compare(
      "argmin", {x}, [](auto& v) { return argmin(v[0], -1); }, 0);
  compare(
      "softmax", {x}, [](auto& v) { return softmax(v[0], 1); }, 1e-5);
  compare(
      "log_softmax", {x}, [](auto& v) { return log_softmax(v[0]); }, 1e-5);
  const Tensor big = random_input({10'000'000}, 0, 1, 6);
  compare(
      "big sum", {big}, [](auto& v) { return reduce_sum(v[0]); }, 1e-4);
}

TEST_F(CpuVsCuda, MatmulWithAndWithoutTf32) {
  const Tensor a = random_input({4, 70, 130}, -1, 1, 7), b = random_input({130, 90}, -1, 1, 8);
  testing::Tf32Scope exact(false);
  compare(
      "matmul", {a, b}, [](auto& v) { return matmul(v[0], v[1]); }, 1e-4);
  compare(
      "matmul_t", {a, b},
      [](auto& v) { return matmul(v[1], v[0], _transpose_a = true, _transpose_b = true); }, 1e-4);
  compare(
      "matmul f64", {a, b},
      [](auto& v) { return matmul(cast(v[0], float64), cast(v[1], float64)); }, 1e-12);
  compare(
      "matmul int", {a, b},
      [](auto& v) { return matmul(cast(v[0] * 10, int32), cast(v[1] * 10, int32)); }, 0);
  // TF32 rounds the inputs to 10 mantissa bits: the error grows with the sum's length (130),
  // so it is measured against the largest product sum.
  const testing::Tf32Scope tf32(true);
  const auto on = [&](const Device& device) {
    return values_of(matmul(a.to(device), b.to(device)).to(Device::cpu()));
  };
  testing::expect_close_normwise(on(Device::cuda(0)), on(Device::cpu()), 5e-3, "matmul tf32");
}

TEST_F(CpuVsCuda, DataMovement) {
  const Tensor x = random_input({6, 5, 4}, -1, 1, 9);
  compare(
      "transpose", {x},
      [](auto& v) {
        return transpose(v[0], std::vector<std::int64_t>{2, 0, 1});
      },
      0);
  compare(
      "slice", {x},
      [](auto& v) {
        return v[0].index(Slice{1, 5, 2}, all, Slice{.step = -1});
      },
      0);
  compare(
      "concat", {x},
      [](auto& v) {
        return concat({v[0], v[0] * 2}, 1);
      },
      0);
  compare(
      "stack", {x},
      [](auto& v) {
        return stack({v[0], v[0]}, -1);
      },
      0);
  compare(
      "tile", {x},
      [](auto& v) {
        return tile(v[0], {2, 1, 3});
      },
      0);
  compare(
      "pad", {x},
      [](auto& v) {
        return pad(v[0], {{1, 2}, {0, 1}, {3, 0}}, -1.5f);
      },
      0);
  compare(
      "broadcast_to", {x},
      [](auto& v) {
        return broadcast_to(v[0][0], {3, 5, 4});
      },
      0);
  compare(
      "gather", {x},
      [](auto& v) {
        return gather(v[0], {4, 0, 4, 2}, 1);
      },
      0);
  compare(
      "one_hot", {x}, [](auto& v) { return one_hot(argmax(v[0], 2), 4); }, 0);
  compare(
      "split", {x},
      [](auto& v) {
        return split(v[0], std::vector<std::int64_t>{1, 3, 1}, 1)[1];
      },
      0);
  compare(
      "eye", {x}, [](auto&) { return eye(4, 6); }, 0);
  compare(
      "range", {x}, [](auto&) { return range(3, 40, 4); }, 0);
}

TEST_F(CpuVsCuda, RandomNumbersAreBitIdentical) {
  const std::vector<std::function<Tensor()>> draws = {
      [] {
        return random::normal({1000, 3}, _mean = 1, _stddev = 2);
      },
      [] { return random::normal({1001}, _dtype = float64); },
      [] { return random::truncated_normal({5000}); },
      [] { return random::uniform({777}, _minval = -3, _maxval = 5); },
      [] { return random::uniform({777}, _dtype = float64); },
      [] { return random::uniform({999}, _minval = -50, _maxval = 50, _dtype = int32); },
      [] { return random::uniform({999}, _minval = 0, _maxval = 1e12, _dtype = int64); },
      [] {
        return random::shuffle(reshape(range(60), {20, 3}));
      },
  };
  for (std::size_t i = 0; i < draws.size(); ++i) {
    Tensor cpu, gpu;
    random::set_seed(1234);
    {
      DeviceScope scope(Device::cpu());
      for (std::size_t j = 0; j < i; ++j) (void)draws[j]();  // same call sequence on both
      cpu = draws[i]();
    }
    random::set_seed(1234);
    {
      DeviceScope scope(Device::cuda(0));
      for (std::size_t j = 0; j < i; ++j) (void)draws[j]();
      gpu = draws[i]();
    }
    ASSERT_EQ(gpu.device(), Device::cuda(0));
    const Tensor back = gpu.to(Device::cpu());
    EXPECT_EQ(cast(back, float64).to_vector<double>(), cast(cpu, float64).to_vector<double>())
        << "draw " << i << " differs between CPU and CUDA";
  }
}

// The gradient of every differentiable op, on both devices in float32.
TEST_F(CpuVsCuda, Gradients) {
  using Function = std::function<Tensor(const std::vector<Tensor>&)>;
  const Tensor a = random_input({3, 1, 5}, -2, 2, 21), b = random_input({4, 5}, -2, 2, 22);
  const Tensor pos = random_input({3, 1, 5}, 0.5, 2, 23), m = random_input({5, 6}, -1, 1, 24);
  const std::vector<std::pair<std::string, Function>> ops = {
      {"add", [](auto& v) { return v[0] + v[1]; }},
      {"subtract", [](auto& v) { return v[0] - v[1]; }},
      {"multiply", [](auto& v) { return v[0] * v[1]; }},
      {"divide", [](auto& v) { return v[1] / v[2]; }},
      {"pow", [](auto& v) { return pow(v[2], v[1]); }},
      {"maximum", [](auto& v) { return maximum(v[0], v[1]); }},
      {"minimum", [](auto& v) { return minimum(v[0], v[1]); }},
      {"relu_grad", [](auto& v) { return detail::relu_grad(v[0], v[1]); }},
      {"floormod", [](auto& v) { return floormod(v[0], v[2]); }},
      {"unary",
       [](auto& v) {
         return -v[0] + abs(v[1]) + sign(v[0]) + square(v[0]) + sqrt(v[2]) + rsqrt(v[2]) +
                exp(v[0]) + log(v[2]) + log1p(v[2]) + sin(v[0]) + cos(v[0]) + tanh(v[0]) +
                sigmoid(v[0]) + relu(v[0]) + leaky_relu(v[0]) + elu(v[0]) + softplus(v[0]) +
                erf(v[0]);
       }},
      {"where_clip",
       [](auto& v) { return where(v[0] > v[1], v[0], v[1] * 2) + clip_by_value(v[1], -1, 1); }},
      {"reductions",
       [](auto& v) {
         return reduce_sum(v[1], 0) + reduce_mean(v[1], 1, true) + reduce_max(v[1], 0) +
                reduce_min(v[1]) + reduce_prod(v[2], {0, 1});
       }},
      {"softmax", [](auto& v) { return softmax(v[1], 0) + log_softmax(v[1]); }},
      {"losses",
       [](auto& v) {
         const Tensor labels = softmax(v[1] * 0.5f), probabilities = softmax(v[1]);
         return softmax_cross_entropy_with_logits(labels, v[1]) +
                sparse_softmax_cross_entropy_with_logits(argmax(v[1] * 0.3f + 0.2f, 1), v[1]) +
                losses::categorical_crossentropy(labels, probabilities) +
                losses::binary_crossentropy(sigmoid(v[1] * 0.5f), sigmoid(v[1])) +
                losses::binary_crossentropy(sigmoid(v[1] * 0.5f), v[1], true) +
                losses::huber(v[1] * 0.5f, v[1]) + losses::kl_divergence(labels, probabilities) +
                losses::mean_absolute_error(v[1] * 0.5f, v[1]);
       }},
      {"matmul", [](auto& v) { return matmul(v[1], v[3]) + matmul(v[0], v[3]); }},
      {"shape",
       [](auto& v) {
         return reduce_sum(transpose(v[1])) + reduce_sum(concat({v[1], v[1] * 2}, 0)) +
                reduce_sum(tile(v[1], {2, 1})) + reduce_sum(pad(v[1], {{1, 0}, {0, 1}})) +
                reduce_sum(gather(v[1], {3, 0, 3}, 0)) + reduce_sum(v[1][v[1] > 0.5f]) +
                reduce_sum(boolean_mask(v[1], constant({true, false, true, true, false}), 1)) +
                reduce_sum(v[1].index(Slice{.step = -2}, 1)) +
                reduce_sum(broadcast_to(v[0], {2, 3, 4, 5})) +
                reduce_sum(reshape(v[1], {2, 10}), 1)[0];
       }},
  };
  for (const auto& [name, f] : ops) {
    const std::vector<Tensor> inputs = {a, b, pos, m};
    const Tensor weights = random_input(f(inputs).shape(), -1, 1, 25);
    auto gradients_on = [&](const Device& device) {
      DeviceScope scope(device);
      std::vector<Tensor> xs;
      for (const Tensor& t : inputs) xs.push_back(t.to(device));
      GradientTape tape;
      for (const Tensor& x : xs) tape.watch(x);
      const Tensor loss = reduce_sum(f(xs) * weights.to(device));
      return tape.gradient(loss, std::vector<GradientSource>(xs.begin(), xs.end()));
    };
    const testing::Tf32Scope exact(false);
    const auto expected = gradients_on(Device::cpu());
    const auto actual = gradients_on(Device::cuda(0));
    for (std::size_t i = 0; i < expected.size(); ++i) {
      ASSERT_EQ(expected[i].has_value(), actual[i].has_value()) << name << " input " << i;
      if (!expected[i]) continue;
      testing::expect_close(values_of(actual[i]->to(Device::cpu())), values_of(*expected[i]), 1e-4,
                            name + " gradient " + std::to_string(i));
    }
  }
}

}  // namespace
}  // namespace ember
