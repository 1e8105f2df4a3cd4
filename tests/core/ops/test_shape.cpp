// Shape and indexing ops, on every device.
#include "tests/test_support.h"

namespace ember {
namespace {

using testing::expect_error;

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
  expect_error<ShapeError>([&] { transpose(c, std::vector<std::int64_t>{0, 1}); }, {"transpose", "rank 3"});
  expect_error<ShapeError>([&] { transpose(c, std::vector<std::int64_t>{0, 0, 1}); }, {"transpose", "repeats"});
}

TEST_P(ShapeOps, ExpandAndSqueeze) {
  const Tensor v = constant({1, 2, 3});
  EXPECT_EQ(expand_dims(v, 0).shape(), Shape({1, 3}));
  EXPECT_EQ(expand_dims(v, -1).shape(), Shape({3, 1}));
  EXPECT_EQ(squeeze(zeros({1, 3, 1})).shape(), Shape({3}));
  EXPECT_EQ(squeeze(zeros({1, 3, 1}), std::vector<std::int64_t>{0}).shape(), Shape({3, 1}));
  expect_error<ShapeError>([] { squeeze(zeros({1, 3}), std::vector<std::int64_t>{1}); }, {"squeeze", "size 3"});
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
  expect_error<ShapeError>([&] { concat({a, constant({{1, 2, 3}})}, 0); }, {"concat", "(1, 3)", "(2, 2)"});
  expect_error<DTypeError>([&] { concat({a, cast(a, float32)}, 0); }, {"concat", "int32", "float32"});
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
  EXPECT_EQ(ints(broadcast_to(constant({{1}, {2}}), {2, 3})), (std::vector<std::int32_t>{1, 1, 1, 2, 2, 2}));
  expect_error<ShapeError>([] { broadcast_to(constant({1, 2}), {3}); }, {"broadcast_to", "(2,)", "(3,)"});
  expect_error<ShapeError>([&] { pad(a, {{1, 1}}); }, {"pad", "rank 2"});
}

TEST_P(ShapeOps, SlicingLikeNumPy) {
  const Tensor v = constant({1.f, 2.f, 3.f, 4.f});
  EXPECT_EQ(v.slice(1, 3).to_vector<float>(), (std::vector<float>{2, 3}));
  EXPECT_EQ(v[0].rank(), 0);
  EXPECT_EQ(v[-1].item<float>(), 4.f);
  EXPECT_EQ(v.index(Slice{.step = -1}).to_vector<float>(), (std::vector<float>{4, 3, 2, 1}));
  EXPECT_EQ(v.index(Slice{.start = -3, .stop = std::nullopt, .step = 2}).to_vector<float>(),
            (std::vector<float>{2, 4}));
  EXPECT_EQ(v.index(Slice{5, 9}).size(), 0);
  const Tensor m = reshape(range(12), {3, 4});
  EXPECT_EQ(ints(m.index(all, 1)), (std::vector<std::int32_t>{1, 5, 9}));
  EXPECT_EQ(m.index(1, 2).item<std::int32_t>(), 6);
  EXPECT_EQ(m[1][2].item<std::int32_t>(), 6);
  EXPECT_EQ(ints(m[1]), (std::vector<std::int32_t>{4, 5, 6, 7}));
  EXPECT_EQ(ints(m.index(Slice{1, 3}, Slice{.step = -2})), (std::vector<std::int32_t>{7, 5, 11, 9}));
  EXPECT_EQ(m.index(newaxis, all, 0).shape(), Shape({1, 3}));
  EXPECT_EQ(ints(m.index(-1)), (std::vector<std::int32_t>{8, 9, 10, 11}));
  expect_error<IndexError>([&] { m.index(3); }, {"index 3", "axis 0", "size 3"});
  expect_error<IndexError>([&] { m.index(0, 0, 0); }, {"3 indices", "rank 2"});
  expect_error<IndexError>([&] { m.index(Slice{.step = 0}); }, {"step"});
}

TEST_P(ShapeOps, GatherAndOneHot) {
  const Tensor x = range(10) + 5;
  EXPECT_EQ(ints(gather(x, {0, 4})), (std::vector<std::int32_t>{5, 9}));
  const Tensor m = reshape(range(12), {3, 4});
  EXPECT_EQ(ints(gather(m, {2, 0})), (std::vector<std::int32_t>{8, 9, 10, 11, 0, 1, 2, 3}));
  EXPECT_EQ(ints(gather(m, {3, 1}, 1)), (std::vector<std::int32_t>{3, 1, 7, 5, 11, 9}));
  const Tensor idx = constant({{0, 1}, {2, 2}});
  EXPECT_EQ(gather(m, idx).shape(), Shape({2, 2, 4}));
  EXPECT_EQ(gather(m, idx, 1).shape(), Shape({3, 2, 2}));
  if (device().is_cpu()) {
    expect_error<IndexError>([&] { gather(m, {5}); }, {"gather", "index 5", "size 3"});
  }
  expect_error<DTypeError>([&] { gather(m, constant({1.f})); }, {"gather", "int32 or int64"});
  const Tensor oh = one_hot(constant({0, 2, 1}), 3);
  EXPECT_EQ(oh.shape(), Shape({3, 3}));
  EXPECT_EQ(oh.dtype(), float32);
  EXPECT_EQ(oh.to_vector<float>(), (std::vector<float>{1, 0, 0, 0, 0, 1, 0, 1, 0}));
  const Tensor oh0 = one_hot(constant({1, 5}), 3, 7, -1, 0, int32);  // axis 0, out of range -> off
  EXPECT_EQ(oh0.shape(), Shape({3, 2}));
  EXPECT_EQ(ints(oh0), (std::vector<std::int32_t>{-1, -1, 7, -1, -1, -1}));
}

TEST_P(ShapeOps, CreationOps) {
  EXPECT_EQ(zeros({2, 3}).to_vector<float>(), std::vector<float>(6, 0.f));
  EXPECT_EQ(ones({2}, int32).to_vector<std::int32_t>(), (std::vector<std::int32_t>{1, 1}));
  const Tensor f = fill({2, 2}, 9);
  EXPECT_EQ(f.dtype(), int32);
  EXPECT_EQ(ints(f), (std::vector<std::int32_t>{9, 9, 9, 9}));
  EXPECT_EQ(zeros_like(f).dtype(), int32);
  EXPECT_EQ(ones_like(f, float32).to_vector<float>(), std::vector<float>(4, 1.f));
  EXPECT_EQ(eye(3).to_vector<float>(), (std::vector<float>{1, 0, 0, 0, 1, 0, 0, 0, 1}));
  EXPECT_EQ(eye(2, 3).to_vector<float>(), (std::vector<float>{1, 0, 0, 0, 1, 0}));
  EXPECT_EQ(ints(range(5)), iota(5));
  EXPECT_EQ(ints(range(2, 10, 3)), (std::vector<std::int32_t>{2, 5, 8}));
  EXPECT_EQ(ints(range(5, 0, -2)), (std::vector<std::int32_t>{5, 3, 1}));
  EXPECT_EQ(range(0.0, 1.0, 0.25).to_vector<float>(), (std::vector<float>{0, 0.25f, 0.5f, 0.75f}));
  EXPECT_EQ(range(0.0, 1.0, 0.25).dtype(), float32);
  EXPECT_EQ(range(3).size(), 3);
  EXPECT_EQ(range(0).size(), 0);
  const Tensor v = constant({1.f, 2.f});
  EXPECT_EQ(identity(v).to_vector<float>(), v.to_vector<float>());
  expect_error<Error>([] { range(0, 5, 0); }, {"range", "delta"});
}

TEST_P(ShapeOps, EllipsisStandsForTheRemainingAxes) {
  // x[..., tf.newaxis] (lesson 11) and x[0, ...], x[..., 1] against the values themselves.
  const Tensor x = reshape(range(24), {2, 3, 4});
  EXPECT_EQ(x.index({ellipsis, newaxis}).shape(), Shape({2, 3, 4, 1}));
  EXPECT_EQ(x.index({ellipsis, newaxis}).to_vector<std::int32_t>(), x.to_vector<std::int32_t>());
  EXPECT_EQ(x.index({0, ellipsis}).to_vector<std::int32_t>(), x[0].to_vector<std::int32_t>());
  const Tensor last = x.index({ellipsis, 1});
  EXPECT_EQ(last.shape(), Shape({2, 3}));
  std::vector<std::int32_t> expected;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j) expected.push_back(i * 12 + j * 4 + 1);
  EXPECT_EQ(last.to_vector<std::int32_t>(), expected);
  EXPECT_EQ(x.index({0, ellipsis, 2, 3}).item<std::int32_t>(), 11);  // ... stands for nothing
  expect_error<IndexError>([&] { (void)x.index({ellipsis, 0, ellipsis}); }, {"one ellipsis"});
  // The gradient goes back to the selected elements.
  const Tensor xf = cast(x, float64);
  GradientTape tape;
  tape.watch(xf);
  const Tensor y = reduce_sum(xf.index({ellipsis, 1}));
  const std::vector<double> g = (*tape.gradient(y, xf)).to_vector<double>();
  for (std::size_t k = 0; k < g.size(); ++k) EXPECT_EQ(g[k], k % 4 == 1 ? 1.0 : 0.0) << k;
}


INSTANTIATE_TEST_SUITE_P(Devices, ShapeOps, ::testing::ValuesIn(testing::all_devices()),
                         testing::device_name);

}  // namespace
}  // namespace ember
