// Shape ops, on every device, and their gradients against central differences.
#include "tests/gradient_check.h"

namespace ember {
namespace {

using testing::check_gradient;
using testing::expect_error;
using testing::random_tensor;

class ShapeOps : public testing::OnDevice {};

std::vector<std::int32_t> ints(const Tensor& t) { return t.to_vector<std::int32_t>(); }
std::vector<std::int32_t> iota(int n, int start = 0) {
  std::vector<std::int32_t> v(n);
  for (int i = 0; i < n; ++i) v[i] = start + i;
  return v;
}

TEST_P(ShapeOps, ReshapeInfersOneDimension) {
  const Tensor a = range(30);
  const Tensor b = reshape(a, {5, 6});
  EXPECT_EQ(b.shape(), Shape({5, 6}));
  EXPECT_EQ(reshape(a, {5, -1}).shape(), Shape({5, 6}));
  EXPECT_EQ(reshape(a, {-1}).shape(), Shape({30}));
  EXPECT_EQ(ints(b), iota(30));
  expect_error<ShapeError>([&] { reshape(a, {4, 7}); }, {"reshape", "(30,)", "(4, 7)"});
  expect_error<ShapeError>([&] { reshape(a, {-1, -1}); }, {"reshape", "-1"});
  expect_error<ShapeError>([&] { reshape(a, {7, -1}); }, {"reshape", "(30,)", "(7, -1)"});
}

TEST_P(ShapeOps, TransposePermutesAxes) {
  const Tensor b = reshape(range(6), {2, 3});
  const Tensor t = transpose(b);
  EXPECT_EQ(t.shape(), Shape({3, 2}));
  EXPECT_EQ(ints(t), (std::vector<std::int32_t>{0, 3, 1, 4, 2, 5}));
  EXPECT_EQ(ints(transpose(b, std::vector<std::int64_t>{1, 0})), ints(t));
  const Tensor c = reshape(range(24), {2, 3, 4});
  const Tensor p = transpose(c, std::vector<std::int64_t>{2, 0, 1});
  ASSERT_EQ(p.shape(), Shape({4, 2, 3}));
  const auto v = ints(p);
  for (int k = 0; k < 4; ++k)
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 3; ++j) EXPECT_EQ(v[(k * 2 + i) * 3 + j], i * 12 + j * 4 + k);
  expect_error<ShapeError>(
      [&] {
        transpose(c, std::vector<std::int64_t>{0, 1});
      },
      {"transpose", "rank 3"});
  expect_error<ShapeError>(
      [&] {
        transpose(c, std::vector<std::int64_t>{0, 0, 1});
      },
      {"transpose", "repeats"});
}

TEST_P(ShapeOps, ExpandAndSqueeze) {
  const Tensor v = constant({1, 2, 3});
  EXPECT_EQ(expand_dims(v, 0).shape(), Shape({1, 3}));
  EXPECT_EQ(expand_dims(v, -1).shape(), Shape({3, 1}));
  EXPECT_EQ(squeeze(zeros({1, 3, 1})).shape(), Shape({3}));
  EXPECT_EQ(squeeze(zeros({1, 3, 1}), std::vector<std::int64_t>{0}).shape(), Shape({3, 1}));
  expect_error<ShapeError>(
      [] {
        squeeze(zeros({1, 3}), std::vector<std::int64_t>{1});
      },
      {"squeeze", "size 3"});
}

TEST_P(ShapeOps, ConcatStackSplit) {
  const Tensor a = constant({{1, 2}, {3, 4}}), b = constant({{5, 6}});
  EXPECT_EQ(ints(concat({a, b}, 0)), (std::vector<std::int32_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(concat({a, a}, 1).shape(), Shape({2, 4}));
  EXPECT_EQ(ints(concat({a, a}, -1)), (std::vector<std::int32_t>{1, 2, 1, 2, 3, 4, 3, 4}));
  const Tensor s = stack({a, a}, 1);
  EXPECT_EQ(s.shape(), Shape({2, 2, 2}));
  EXPECT_EQ(ints(s), (std::vector<std::int32_t>{1, 2, 1, 2, 3, 4, 3, 4}));
  EXPECT_EQ(stack({constant(1), constant(2)}).shape(), Shape({2}));
  const auto parts = split(reshape(range(12), {3, 4}), 2, 1);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(ints(parts[0]), (std::vector<std::int32_t>{0, 1, 4, 5, 8, 9}));
  EXPECT_EQ(ints(parts[1]), (std::vector<std::int32_t>{2, 3, 6, 7, 10, 11}));
  const auto uneven = split(range(10), std::vector<std::int64_t>{2, -1, 3});
  ASSERT_EQ(uneven.size(), 3u);
  EXPECT_EQ(ints(uneven[1]), (std::vector<std::int32_t>{2, 3, 4, 5, 6}));
  expect_error<ShapeError>(
      [&] {
        concat({a, constant({{1, 2, 3}})}, 0);
      },
      {"concat", "(1, 3)", "(2, 2)"});
  expect_error<DTypeError>(
      [&] {
        concat({a, cast(a, float32)}, 0);
      },
      {"concat", "int32", "float32"});
  expect_error<ShapeError>([&] { split(range(10), 3); }, {"split", "3 equal parts"});
  expect_error<ShapeError>([&] { stack({a, b}); }, {"stack", "(1, 2)"});
}

TEST_P(ShapeOps, TilePadBroadcast) {
  const Tensor a = constant({{1, 2}, {3, 4}});
  EXPECT_EQ(ints(tile(a, {1, 2})), (std::vector<std::int32_t>{1, 2, 1, 2, 3, 4, 3, 4}));
  EXPECT_EQ(tile(a, {2, 3}).shape(), Shape({4, 6}));
  EXPECT_EQ(ints(tile(a, {2, 1})), (std::vector<std::int32_t>{1, 2, 3, 4, 1, 2, 3, 4}));
  const Tensor p = pad(a, {{1, 0}, {0, 2}}, 9);
  EXPECT_EQ(p.shape(), Shape({3, 4}));
  EXPECT_EQ(ints(p), (std::vector<std::int32_t>{9, 9, 9, 9, 1, 2, 9, 9, 3, 4, 9, 9}));
  const Tensor bc = broadcast_to(constant({1, 2, 3}), {2, 3});
  EXPECT_EQ(ints(bc), (std::vector<std::int32_t>{1, 2, 3, 1, 2, 3}));
  EXPECT_EQ(ints(broadcast_to(constant({{1}, {2}}), {2, 3})),
            (std::vector<std::int32_t>{1, 1, 1, 2, 2, 2}));
  expect_error<ShapeError>(
      [] {
        broadcast_to(constant({1, 2}), {3});
      },
      {"broadcast_to", "(2,)", "(3,)"});
  expect_error<ShapeError>([&] { pad(a, {{1, 1}}); }, {"pad", "rank 2"});
}

INSTANTIATE_TEST_SUITE_P(Devices, ShapeOps, ::testing::ValuesIn(testing::all_devices()),
                         testing::device_name);

// --- gradients against float64 central differences (CPU) ----------------------------------------

class ShapeGradients : public ::testing::Test {
  DeviceScope cpu_{Device::cpu()};
};

TEST_F(ShapeGradients, ShapeOps) {
  const Tensor x = random_tensor({2, 3, 4}, -1, 1, 20);
  check_gradient("reshape",
                 [](auto& v) {
                   return reshape(v[0], {4, -1}) * reshape(v[0], {4, -1});
                 },
                 {x});
  check_gradient("transpose",
                 [](auto& v) {
                   return transpose(v[0], std::vector<std::int64_t>{2, 0, 1});
                 },
                 {x});
  check_gradient("expand_squeeze", [](auto& v) { return squeeze(expand_dims(v[0], 1)) * 2; }, {x});
  check_gradient("identity", [](auto& v) { return identity(v[0]); }, {x});
  const Tensor y = random_tensor({2, 2, 4}, -1, 1, 21);
  check_gradient("concat", [](auto& v) { return concat({v[0], v[1], v[0]}, 1); }, {x, y});
  check_gradient("stack", [](auto& v) { return stack({v[0], v[0] * 2}, -1); }, {x});
  check_gradient("split",
                 [](auto& v) {
                   return split(v[0], std::vector<std::int64_t>{1, 3}, 2)[1];
                 },
                 {x});
  check_gradient("tile", [](auto& v) { return tile(v[0], {1, 2, 2}); }, {x});
  check_gradient("pad", [](auto& v) { return pad(v[0], {{1, 0}, {0, 2}, {1, 1}}, 0.5); }, {x});
  check_gradient("broadcast_to", [](auto& v) { return broadcast_to(v[0], {3, 2, 3, 4}); }, {x});
}

}  // namespace
}  // namespace ember
