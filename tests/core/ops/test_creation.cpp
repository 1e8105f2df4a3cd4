// Tensors made from shapes and values (zeros, ones, fill, eye, range, *_like), on every device.
#include "tests/test_support.h"

namespace ember {
namespace {

using testing::expect_error;

class CreationOps : public testing::OnDevice {};

std::vector<std::int32_t> ints(const Tensor& t) { return t.to_vector<std::int32_t>(); }
std::vector<std::int32_t> iota(int n, int start = 0) {
  std::vector<std::int32_t> v(n);
  for (int i = 0; i < n; ++i) v[i] = start + i;
  return v;
}

TEST_P(CreationOps, CreationOps) {
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

INSTANTIATE_TEST_SUITE_P(Devices, CreationOps, ::testing::ValuesIn(testing::all_devices()),
                         testing::device_name);

}  // namespace
}  // namespace ember
