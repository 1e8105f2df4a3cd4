// Indexing (NumPy's basic indexing with slices, newaxis and ellipsis), gather and one_hot, on
// every device, and their gradients against central differences.
#include "tests/gradient_check.h"

namespace ember {
namespace {

using testing::check_gradient;
using testing::expect_error;
using testing::random_tensor;

class IndexOps : public testing::OnDevice {};

std::vector<std::int32_t> ints(const Tensor& t) { return t.to_vector<std::int32_t>(); }

TEST_P(IndexOps, SlicingLikeNumPy) {
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
  EXPECT_EQ(ints(m.index(Slice{1, 3}, Slice{.step = -2})),
            (std::vector<std::int32_t>{7, 5, 11, 9}));
  EXPECT_EQ(m.index(newaxis, all, 0).shape(), Shape({1, 3}));
  EXPECT_EQ(ints(m.index(-1)), (std::vector<std::int32_t>{8, 9, 10, 11}));
  expect_error<IndexError>([&] { m.index(3); }, {"index 3", "axis 0", "size 3"});
  expect_error<IndexError>([&] { m.index(0, 0, 0); }, {"3 indices", "rank 2"});
  expect_error<IndexError>([&] { m.index(Slice{.step = 0}); }, {"step"});
}

TEST_P(IndexOps, GatherAndOneHot) {
  const Tensor x = range(10) + 5;
  EXPECT_EQ(ints(gather(x, {0, 4})), (std::vector<std::int32_t>{5, 9}));
  const Tensor m = reshape(range(12), {3, 4});
  EXPECT_EQ(ints(gather(m, {2, 0})), (std::vector<std::int32_t>{8, 9, 10, 11, 0, 1, 2, 3}));
  EXPECT_EQ(ints(gather(m, {3, 1}, 1)), (std::vector<std::int32_t>{3, 1, 7, 5, 11, 9}));
  const Tensor idx = constant({{0, 1}, {2, 2}});
  EXPECT_EQ(gather(m, idx).shape(), Shape({2, 2, 4}));
  EXPECT_EQ(gather(m, idx, 1).shape(), Shape({3, 2, 2}));
  // Host indices are checked before they are uploaded, on every device; a tensor of indices is
  // checked on the CPU (a GPU would have to wait to read them).
  expect_error<IndexError>([&] { gather(m, {5}); }, {"gather", "index 5", "size 3"});
  expect_error<IndexError>([&] { gather(m, {1, -1}); }, {"gather", "index -1", "position 1"});
  expect_error<IndexError>([&] { gather(m, {4}, 1); }, {"gather", "index 4", "size 4"});
  if (device().is_cpu()) {
    expect_error<IndexError>([&] { gather(m, constant({5})); }, {"gather", "index 5", "size 3"});
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

TEST_P(IndexOps, EllipsisStandsForTheRemainingAxes) {
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

TEST_P(IndexOps, BooleanMasksSelectLikeTensorFlow) {
  // tf.constant([1, 2])[tf.constant([True, False])] is [1]; y_test[y_test == y2] the matches.
  const Tensor y_test = constant({7, 2, 1, 0, 4});
  const Tensor y2 = constant({7, 2, 0, 0, 9});
  EXPECT_EQ(ints(y_test[y_test == y2]), (std::vector<std::int32_t>{7, 2, 0}));
  const Tensor m = reshape(range(12), {3, 4});
  const Tensor rows = m[constant({true, false, true})];
  EXPECT_EQ(rows.shape(), Shape({2, 4}));
  EXPECT_EQ(ints(rows), (std::vector<std::int32_t>{0, 1, 2, 3, 8, 9, 10, 11}));
  // A mask over two axes flattens them; one at axis 1 picks columns.
  EXPECT_EQ(ints(m[m % 5 == 0]), (std::vector<std::int32_t>{0, 5, 10}));
  EXPECT_EQ(ints(boolean_mask(m, constant({false, true, false, true}), 1)),
            (std::vector<std::int32_t>{1, 3, 5, 7, 9, 11}));
  EXPECT_EQ(boolean_mask(m, constant({false, false, false})).shape(), Shape({0, 4}));
  expect_error<DTypeError>([&] { (void)m[constant({1, 0, 1})]; }, {"bool mask", "int32", "gather"});
  expect_error<ShapeError>(
      [&] {
        boolean_mask(m, constant({true, false}));
      },
      {"boolean_mask", "(2,)", "(3, 4)"});
  expect_error<ShapeError>([&] { boolean_mask(m, constant(true)); }, {"scalar"});
  expect_error<ShapeError>(
      [&] {
        boolean_mask(m, constant({true, false, true, true}), 2);
      },
      {"rank at least 3"});
}

TEST_P(IndexOps, RowsIterateLikePython) {
  const Tensor m = reshape(range(6), {3, 2});
  std::vector<std::vector<std::int32_t>> rows;
  for (const Tensor row : m) rows.push_back(ints(row));
  EXPECT_EQ(rows, (std::vector<std::vector<std::int32_t>>{{0, 1}, {2, 3}, {4, 5}}));
  int count = 0;
  for (const Tensor row : zeros({0, 3})) count += row.rank();
  EXPECT_EQ(count, 0);
  expect_error<ShapeError>(
      [&] {
        for (const Tensor t : constant(1.f)) (void)t;
      },
      {"scalar"});
}

INSTANTIATE_TEST_SUITE_P(Devices, IndexOps, ::testing::ValuesIn(testing::all_devices()),
                         testing::device_name);

// --- gradients against float64 central differences (CPU) ----------------------------------------

class IndexGradients : public ::testing::Test {
  DeviceScope cpu_{Device::cpu()};
};

TEST_F(IndexGradients, IndexingAndGather) {
  const Tensor x = random_tensor({2, 3, 4}, -1, 1, 20);
  check_gradient("index",
                 [](auto& v) {
                   return v[0].index(1, Slice{.step = -1}, Slice{1, 4, 2});
                 },
                 {x});
  check_gradient("operator[]", [](auto& v) { return v[0][1] * v[0][0]; }, {x});
  check_gradient("gather", [](auto& v) { return gather(v[0], {2, 0, 2, 2}, 1); }, {x});
  check_gradient("boolean_mask", [](auto& v) { return v[0][v[0] > 0.0]; }, {x});
  check_gradient("boolean_mask at axis 1",
                 [](auto& v) {
                   return boolean_mask(v[0], constant({true, false, true}), 1);
                 },
                 {x});
  check_gradient("gather 2-D indices",
                 [](auto& v) {
                   return gather(v[0], constant({{1, 0}, {1, 1}}), 0);
                 },
                 {x});
}

}  // namespace
}  // namespace ember
