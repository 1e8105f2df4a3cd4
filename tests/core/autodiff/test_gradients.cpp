// The gradient of every differentiable op against float64 central differences (eps 1e-6,
// relative error <= 1e-6), on shapes with broadcasting; a few second derivatives too.
#include "tests/gradient_check.h"

namespace ember {
namespace {

using testing::check_gradient;
using testing::check_second_gradient;
using testing::Function;
using testing::random_tensor;

class Gradients : public ::testing::Test {
  DeviceScope cpu_{Device::cpu()};
};

TEST_F(Gradients, BinaryOpsWithBroadcasting) {
  const Tensor a = random_tensor({3, 1}, -2, 2, 1), b = random_tensor({1, 4}, -2, 2, 2);
  const Tensor pa = random_tensor({3, 1}, 0.5, 2, 3), pb = random_tensor({1, 4}, 0.5, 2, 4);
  check_gradient("add", [](auto& v) { return v[0] + v[1]; }, {a, b});
  check_gradient("subtract", [](auto& v) { return v[0] - v[1]; }, {a, b});
  check_gradient("multiply", [](auto& v) { return v[0] * v[1]; }, {a, b});
  check_gradient("divide", [](auto& v) { return v[0] / v[1]; }, {a, pb});
  check_gradient("pow", [](auto& v) { return pow(v[0], v[1]); }, {pa, b});
  // maximum/minimum away from ties (the tie rule is tested in test_autodiff.cpp).
  const Tensor c = constant({{-1.5}, {0.2}, {1.7}}, float64), d = constant({{-1.0, 0.5, 1.0, 2.0}}, float64);
  check_gradient("maximum", [](auto& v) { return maximum(v[0], v[1]); }, {c, d});
  check_gradient("minimum", [](auto& v) { return minimum(v[0], v[1]); }, {c, d});
  // floormod is smooth away from multiples of the divisor.
  const Tensor e = constant({{0.4}, {1.9}, {-2.45}}, float64), m = constant({{1.5, -1.3, 2.2, 3.1}}, float64);
  check_gradient("floormod", [](auto& v) { return floormod(v[0], v[1]); }, {e, m});
  // Same shapes, and a tensor operand on only one side of a C++ number.
  const Tensor x = random_tensor({2, 3}, 0.5, 2, 5);
  check_gradient("same shape", [](auto& v) { return v[0] * v[0] - v[0] / (v[0] + 1); }, {x});
  check_gradient("scalars", [](auto& v) { return 2.5 * v[0] - 3 / v[0] + pow(v[0], 3) + pow(2, v[0]); }, {x});
}

TEST_F(Gradients, UnaryOps) {
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

TEST_F(Gradients, WhereClipAndCast) {
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

TEST_F(Gradients, Reductions) {
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

TEST_F(Gradients, SoftmaxAndLogSoftmax) {
  const Tensor x = random_tensor({3, 5}, -3, 3, 9);
  for (int axis : {0, 1, -1}) {
    check_gradient("softmax", [&](auto& v) { return softmax(v[0], axis); }, {x});
    check_gradient("log_softmax", [&](auto& v) { return log_softmax(v[0], axis); }, {x});
  }
}

TEST_F(Gradients, MatmulAndTensordot) {
  const Tensor a = random_tensor({3, 4}, -1, 1, 10), b = random_tensor({4, 2}, -1, 1, 11);
  check_gradient("matmul", [](auto& v) { return matmul(v[0], v[1]); }, {a, b});
  const Tensor at = random_tensor({4, 3}, -1, 1, 12), bt = random_tensor({2, 4}, -1, 1, 13);
  check_gradient("matmul ta", [](auto& v) { return matmul(v[0], v[1], {.transpose_a = true}); }, {at, b});
  check_gradient("matmul tb", [](auto& v) { return matmul(v[0], v[1], {.transpose_b = true}); }, {a, bt});
  check_gradient("matmul ta tb",
                 [](auto& v) { return matmul(v[0], v[1], {.transpose_a = true, .transpose_b = true}); }, {at, bt});
  const Tensor batch = random_tensor({2, 3, 4}, -1, 1, 14);
  check_gradient("batched x shared", [](auto& v) { return matmul(v[0], v[1]); }, {batch, b});
  const Tensor p = random_tensor({2, 1, 3, 4}, -1, 1, 15), q = random_tensor({1, 3, 4, 2}, -1, 1, 16);
  check_gradient("broadcast batches", [](auto& v) { return matmul(v[0], v[1]); }, {p, q});
  const Tensor vec = random_tensor({4}, -1, 1, 17);
  check_gradient("vector x matrix", [](auto& v) { return matmul(v[0], v[1]); }, {vec, b});
  check_gradient("matrix x vector", [](auto& v) { return matmul(v[0], v[1]); }, {a, vec});
  check_gradient("tensordot 0", [](auto& v) { return tensordot(v[0], v[1], 0); }, {vec, random_tensor({3}, -1, 1, 23)});
  check_gradient("tensordot pairs", [](auto& v) { return tensordot(v[0], v[1], {1, 2}, {1, 0}); },
                 {random_tensor({2, 3, 4}, -1, 1, 18), random_tensor({4, 3, 2}, -1, 1, 19)});
}

TEST_F(Gradients, ShapeAndIndexingOps) {
  const Tensor x = random_tensor({2, 3, 4}, -1, 1, 20);
  check_gradient("reshape", [](auto& v) { return reshape(v[0], {4, -1}) * reshape(v[0], {4, -1}); }, {x});
  check_gradient("transpose", [](auto& v) { return transpose(v[0], std::vector<std::int64_t>{2, 0, 1}); }, {x});
  check_gradient("expand_squeeze", [](auto& v) { return squeeze(expand_dims(v[0], 1)) * 2; }, {x});
  check_gradient("identity", [](auto& v) { return identity(v[0]); }, {x});
  const Tensor y = random_tensor({2, 2, 4}, -1, 1, 21);
  check_gradient("concat", [](auto& v) { return concat({v[0], v[1], v[0]}, 1); }, {x, y});
  check_gradient("stack", [](auto& v) { return stack({v[0], v[0] * 2}, -1); }, {x});
  check_gradient("split", [](auto& v) { return split(v[0], std::vector<std::int64_t>{1, 3}, 2)[1]; }, {x});
  check_gradient("tile", [](auto& v) { return tile(v[0], {1, 2, 2}); }, {x});
  check_gradient("pad", [](auto& v) { return pad(v[0], {{1, 0}, {0, 2}, {1, 1}}, 0.5); }, {x});
  check_gradient("broadcast_to", [](auto& v) { return broadcast_to(v[0], {3, 2, 3, 4}); }, {x});
  check_gradient("index", [](auto& v) { return v[0].index(1, Slice{.step = -1}, Slice{1, 4, 2}); }, {x});
  check_gradient("operator[]", [](auto& v) { return v[0][1] * v[0][0]; }, {x});
  check_gradient("gather", [](auto& v) { return gather(v[0], {2, 0, 2, 2}, 1); }, {x});
  check_gradient("gather 2-D indices", [](auto& v) { return gather(v[0], constant({{1, 0}, {1, 1}}), 0); }, {x});
}

TEST_F(Gradients, SecondDerivatives) {
  const Tensor x = random_tensor({2, 3}, 0.5, 1.5, 22);
  check_second_gradient("cube", [](auto& v) { return v[0] * v[0] * v[0]; }, {x});
  check_second_gradient("tanh", [](auto& v) { return tanh(v[0]); }, {x});
  check_second_gradient("sigmoid", [](auto& v) { return sigmoid(v[0]); }, {x});
  check_second_gradient("softmax", [](auto& v) { return softmax(v[0]) * v[0]; }, {x});
  check_second_gradient("exp log", [](auto& v) { return exp(v[0]) * log(v[0]); }, {x});
  check_second_gradient("matmul", [](auto& v) { return matmul(v[0], transpose(v[0]) * v[0][0][0]); }, {x});
  check_second_gradient("gather", [](auto& v) { return square(gather(v[0], {1, 1, 0}, 1)); }, {x});
  check_second_gradient("slice", [](auto& v) { return square(v[0].index(all, Slice{0, 2})); }, {x});
}

}  // namespace
}  // namespace ember
