// GPU paths nothing else exercises: float64 convolutions, a single-row batch norm, indices past
// 2^31, running out of device memory, a prefetch thread feeding the GPU, a second GPU. Each
// compares with the CPU or with a closed form, and skips without a GPU (or without a second one,
// or without the memory).
#include <thread>

#include "tests/test_support.h"

namespace ember {
namespace {

using testing::random_values;
using testing::values_of;

Tensor on(const Device& device, const std::vector<double>& values, const Shape& shape,
          DType dtype = float32) {
  DeviceScope cpu(Device::cpu());
  return constant(values, shape, dtype).to(device);
}

TEST(GpuPaths, Float64ConvolutionsMatchTheCpu) {
  EMBER_SKIP_WITHOUT_GPU();
  const auto xs = random_values(2 * 9 * 9 * 3, -1, 1, 1);
  const auto fs = random_values(3 * 3 * 3 * 5, -1, 1, 2);
  for (const char* padding : {"VALID", "SAME"}) {
    Tensor expected, actual;
    {
      DeviceScope cpu(Device::cpu());
      expected =
          conv2d(on(Device::cpu(), xs, {2, 9, 9, 3}, float64),
                 on(Device::cpu(), fs, {3, 3, 3, 5}, float64), {.strides = 2, .padding = padding});
    }
    {
      DeviceScope gpu(Device::cuda(0));
      actual = conv2d(on(Device::cuda(0), xs, {2, 9, 9, 3}, float64),
                      on(Device::cuda(0), fs, {3, 3, 3, 5}, float64),
                      {.strides = 2, .padding = padding});
    }
    ASSERT_EQ(actual.dtype(), float64);
    testing::expect_close(values_of(actual.to(Device::cpu())), values_of(expected), 1e-12, padding);
  }
}

TEST(GpuPaths, BatchNormOfASingleRowMatchesTheCpu) {
  EMBER_SKIP_WITHOUT_GPU();
  const auto xs = random_values(1 * 7, -2, 2, 3);
  std::vector<double> results[2];
  int k = 0;
  for (const Device& device : {Device::cpu(), Device::cuda(0)}) {
    DeviceScope scope(device);
    const auto r = fused_batch_norm(on(device, xs, {1, 7}), ones({7}), zeros({7}), 1e-3);
    results[k++] = values_of(r.y.to(Device::cpu()));
  }
  testing::expect_close(results[1], results[0], 1e-5, "single-row batch norm");
  for (const double y : results[0]) EXPECT_NEAR(y, 0.0, 1e-6);  // one row: x - mean = 0
}

TEST(GpuPaths, IndicesPast2To31Elements) {
  EMBER_SKIP_WITHOUT_GPU();
  const std::int64_t n = (std::int64_t{1} << 31) + 1000;  // 2 GiB of uint8
  DeviceScope gpu(Device::cuda(0));
  Tensor big;
  try {
    big = ones({n}, uint8);
  } catch (const ResourceExhaustedError&) {
    GTEST_SKIP() << "the GPU has no 2 GiB to spare";
  }
  EXPECT_EQ(reduce_sum(cast(big, int64)).item<std::int64_t>(), n);
  const Tensor tail = big.slice(n - 3, n);
  EXPECT_EQ(cast(tail, int32).to_vector<std::int32_t>(), (std::vector<std::int32_t>{1, 1, 1}));
}

TEST(GpuPaths, OutOfMemoryIsAnErrorWithTheSizesAndTheDeviceGoesOn) {
  EMBER_SKIP_WITHOUT_GPU();
  DeviceScope gpu(Device::cuda(0));
  testing::expect_error<ResourceExhaustedError>(
      [] { (void)zeros({std::int64_t{1} << 42}); },  // 16 TiB of float32
      {"cuda:0", "out of memory", "17592186044416 bytes"});
  const Tensor after = ones({1000}) * 2.0f;
  EXPECT_EQ(reduce_sum(after).item<float>(), 2000.0f);
}

TEST(GpuPaths, APrefetchThreadFeedsTheGpu) {
  EMBER_SKIP_WITHOUT_GPU();
  DeviceScope gpu(Device::cuda(0));
  const Tensor x = reshape(cast(range(4000), float32), {1000, 4});
  const Dataset data =
      Dataset::from_tensor_slices(x)
          .map([](const Dataset::Element& e) -> Dataset::Element { return {e[0] * 2.0f}; })
          .batch(100)
          .prefetch(2);
  double total = 0;
  for (int pass = 0; pass < 3; ++pass) {
    for (const auto& batch : data) {
      EXPECT_EQ(batch[0].device(), Device::cuda(0));
      total += reduce_sum(batch[0]).item<float>();
    }
  }
  // 3 passes of 2 * (0 + 1 + ... + 3999).
  EXPECT_EQ(total, 3.0 * 2.0 * 3999.0 * 4000.0 / 2.0);
}

TEST(GpuPaths, ASecondGpuComputesLikeTheFirst) {
  EMBER_SKIP_WITHOUT_GPU();
  if (!cuda_device_usable(1)) GTEST_SKIP() << "no second usable GPU";
  const auto a = random_values(64 * 32, -1, 1, 4), b = random_values(32 * 16, -1, 1, 5);
  std::vector<double> results[2];
  for (int d = 0; d < 2; ++d) {
    DeviceScope scope(Device::cuda(d));
    const Tensor y = matmul(on(Device::cuda(d), a, {64, 32}), on(Device::cuda(d), b, {32, 16}));
    EXPECT_EQ(y.device(), Device::cuda(d));
    results[d] = values_of(y.to(Device::cpu()));
  }
  testing::expect_close(results[1], results[0], 1e-6, "cuda:1 vs cuda:0");
  // Copies between the two devices.
  DeviceScope first(Device::cuda(0));
  const Tensor there = on(Device::cuda(0), a, {64, 32}).to(Device::cuda(1));
  EXPECT_EQ(there.device(), Device::cuda(1));
  EXPECT_EQ(values_of(there.to(Device::cpu())), values_of(on(Device::cpu(), a, {64, 32})));
}

}  // namespace
}  // namespace ember
