// The NCCL communicator (distribute/nccl_communicator.h): built, it makes a group over its
// bootstrap and reduces GPU tensors on the device (one rank here: the sum is the input; several
// GPUs: MultiWorker tests under mpirun); not built, it says how to build it. The GPU cases skip
// without a GPU.
#include <gtest/gtest.h>

#include "distribute/nccl_communicator.h"
#include "tests/test_support.h"

namespace ember {
namespace {

using namespace std::chrono_literals;

TEST(Nccl, WithoutNcclBuiltTheGroupSaysHowToBuildIt) {
  if (distribute::detail::nccl_built()) GTEST_SKIP() << "ember is built with NCCL";
  testing::expect_error<Error>(
      [] { distribute::detail::nccl_group(distribute::local_communicator(), Device::cuda(0), 1s); },
      {"built without NCCL", "EMBER_NCCL"});
}

TEST(Nccl, AGroupOfOneRankReducesAndBroadcastsOnTheGpu) {
  if (!distribute::detail::nccl_built()) GTEST_SKIP() << "ember is built without NCCL";
  if (!cuda_available()) GTEST_SKIP() << "no CUDA GPU on this machine";
  const auto group =
      distribute::detail::nccl_group(distribute::local_communicator(), Device::cuda(0), 60s);
  EXPECT_EQ(group->name(), "nccl");
  EXPECT_EQ(group->size(), 1);
  const Tensor a = constant({1.0f, -2.0f, 3.5f}).to(Device::cuda(0));
  const Tensor b = constant({4.0, 5.0}, DType::float64).to(Device::cuda(0));
  const std::vector<Tensor> sums = group->all_reduce({a, b}, distribute::ReduceOp::sum);
  ASSERT_EQ(sums.size(), 2u);
  EXPECT_EQ(sums[0].device(), Device::cuda(0));
  EXPECT_EQ(sums[0].to_vector<float>(), (std::vector<float>{1.0f, -2.0f, 3.5f}));
  EXPECT_EQ(sums[1].to_vector<double>(), (std::vector<double>{4.0, 5.0}));
  EXPECT_EQ(group->broadcast({a}, 0)[0].to_vector<float>(), a.to_vector<float>());
  // CPU tensors go through the bootstrap; a mix of devices is refused.
  EXPECT_EQ(group->all_reduce({constant({7.0f})}, distribute::ReduceOp::sum)[0].to_vector<float>(),
            (std::vector<float>{7.0f}));
  testing::expect_error<DeviceError>(
      [&] {
        group->all_reduce({a, constant({1.0f})}, distribute::ReduceOp::sum);
      },
      {"1 of 2 tensors are on cuda:0"});
}

TEST(Nccl, ACpuDeviceIsRefused) {
  if (!distribute::detail::nccl_built()) GTEST_SKIP() << "ember is built without NCCL";
  testing::expect_error<DeviceError>(
      [] { distribute::detail::nccl_group(distribute::local_communicator(), Device::cpu(), 1s); },
      {"needs a CUDA device"});
}

}  // namespace
}  // namespace ember
