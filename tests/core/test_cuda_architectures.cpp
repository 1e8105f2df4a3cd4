// Which GPUs a build runs on, decided from the compute capability alone: tested with made-up
// GPUs, so the rule that keeps an sm_90 build off an sm_86 laptop GPU is checked without one.
#include <gtest/gtest.h>

#include "core/backend/backend.h"
#include "core/backend/cuda_architectures.h"
#include "tests/test_support.h"

namespace ember::detail {
namespace {

TEST(CudaArchitectures, ParsesCMakesSpellings) {
  const auto t = parse_cuda_architectures("75;86-real,90-virtual;90a-real;120");
  ASSERT_EQ(t.targets.size(), 5u);
  EXPECT_FALSE(t.unknown);
  EXPECT_EQ(t.targets[0].major, 7);
  EXPECT_EQ(t.targets[0].minor, 5);
  EXPECT_TRUE(t.targets[0].sass && t.targets[0].ptx);  // a plain number: both
  EXPECT_TRUE(t.targets[1].sass && !t.targets[1].ptx);
  EXPECT_TRUE(!t.targets[2].sass && t.targets[2].ptx);
  EXPECT_TRUE(t.targets[3].specific);
  EXPECT_EQ(t.targets[4].major, 12);
  EXPECT_EQ(t.targets[4].minor, 0);
  EXPECT_TRUE(parse_cuda_architectures("native").unknown);
  EXPECT_TRUE(parse_cuda_architectures("").targets.empty());
}

TEST(CudaArchitectures, SassRunsWithinAMajorAndPtxOnNewerGpus) {
  const auto sm90 = parse_cuda_architectures("90");  // SASS and PTX for 9.0
  EXPECT_TRUE(can_run(sm90, 9, 0));                  // H100, H200
  EXPECT_FALSE(can_run(sm90, 8, 6));                 // an RTX 3080: older than the code
  EXPECT_FALSE(can_run(sm90, 8, 0));                 // an A100
  EXPECT_TRUE(can_run(sm90, 10, 0));                 // a B200: the driver compiles the PTX
  const auto real = parse_cuda_architectures("90-real");
  EXPECT_TRUE(can_run(real, 9, 0));
  EXPECT_FALSE(can_run(real, 10, 0));  // no PTX to compile
  const auto ampere = parse_cuda_architectures("80-real");
  EXPECT_TRUE(can_run(ampere, 8, 6));  // SASS runs on a later minor of its major
  EXPECT_TRUE(can_run(ampere, 8, 9));
  EXPECT_FALSE(can_run(ampere, 7, 5));
  EXPECT_FALSE(can_run(ampere, 9, 0));
  const auto hopper_only = parse_cuda_architectures("90a");
  EXPECT_TRUE(can_run(hopper_only, 9, 0));
  EXPECT_FALSE(can_run(hopper_only, 10, 0));  // arch-specific code runs on its GPU only
  EXPECT_TRUE(can_run(parse_cuda_architectures("native"), 5, 0));  // unknown: assumed to run
}

TEST(CudaArchitectures, AGpuThatCannotRunTheBuildIsNotTheDefaultDevice) {
  const auto sm90 = parse_cuda_architectures("90");
  const auto h100 = choose_default_device(1, 9, 0, "NVIDIA H100", sm90);
  EXPECT_TRUE(h100.use_gpu);
  EXPECT_TRUE(h100.warning.empty());
  const auto laptop = choose_default_device(1, 8, 6, "NVIDIA GeForce RTX 3080 Laptop GPU", sm90);
  EXPECT_FALSE(laptop.use_gpu);
  for (const char* part : {"NVIDIA GeForce RTX 3080 Laptop GPU", "compute capability 8.6",
                           "architectures 90", "using the CPU", "-DCMAKE_CUDA_ARCHITECTURES=86"})
    EXPECT_NE(laptop.warning.find(part), std::string::npos) << part << " in " << laptop.warning;
  const auto none = choose_default_device(0, 0, 0, "", sm90);
  EXPECT_FALSE(none.use_gpu);
  EXPECT_TRUE(none.warning.empty());  // no GPU: nothing to warn about
}

TEST(CudaArchitectures, ThisBuildsListIsKnown) {
  if (!cuda_backend_compiled()) GTEST_SKIP() << "built without CUDA";
  const auto built = parse_cuda_architectures(cuda_built_architectures());
  EXPECT_FALSE(built.targets.empty() && !built.unknown) << cuda_built_architectures();
  // On a machine with a GPU, the device choice and cuda_available() agree with the rule.
  if (cuda_device_count() > 0) {
    const auto p = cuda_backend_properties(0);
    EXPECT_EQ(cuda_available(), can_run(built, p.major, p.minor));
  }
}

}  // namespace
}  // namespace ember::detail
