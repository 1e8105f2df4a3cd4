// EMBER_DEVICE is read once, on the first use of the default device, so this check lives in an
// executable of its own that sets the variable before anything else runs.
#include <cstdlib>

#include "tests/test_support.h"

namespace ember {
namespace {

TEST(DeviceEnvironment, EmberDeviceCpuOverridesTheGpu) {
  ASSERT_EQ(setenv("EMBER_DEVICE", "cpu", 1), 0);
  EXPECT_EQ(default_device(), Device::cpu());
  EXPECT_EQ(zeros({2}).device(), Device::cpu());  // even on a machine with a GPU
  {
    DeviceScope scope(Device::cpu());
    EXPECT_EQ(default_device(), Device::cpu());
  }
  EXPECT_EQ(default_device(), Device::cpu());
}

}  // namespace
}  // namespace ember
