// debug::counters: kernels, host reads and writes, allocations and the peak of live bytes, per
// device, counted from what each op asks of its backend; and EMBER_PROFILE=1's per-step report.
#include <cstdlib>
#include <sstream>

#include "tests/test_support.h"

namespace ember {
namespace {

using testing::OnDevice;

class Counting : public OnDevice {};

TEST_P(Counting, AnOpIsOneKernelAndOneAllocation) {
  const Tensor a = constant(std::vector<float>(1000, 1.0f), {1000});
  const Tensor b = constant(std::vector<float>(1000, 2.0f), {1000});
  debug::reset_counters();
  const std::int64_t live_before = debug::counters(device()).peak_bytes;
  const Tensor c = a + b;
  const debug::Counters after = debug::counters(device());
  EXPECT_EQ(after.kernels, 1);
  EXPECT_EQ(after.allocations, 1);
  EXPECT_EQ(after.allocated_bytes, 4000);
  EXPECT_EQ(after.peak_bytes, live_before + 4000);
  EXPECT_EQ(after.host_reads, 0);
  EXPECT_EQ(after.host_writes, 0);
  EXPECT_EQ(debug::counters().kernels, 1);  // the sum over devices: nothing ran elsewhere
}

TEST_P(Counting, ReadsAndWritesOfTheHostAreCountedWithTheirBytes) {
  debug::reset_counters();
  const Tensor x = constant(std::vector<float>{1, 2, 3}, {3});
  EXPECT_EQ(debug::counters(device()).host_writes, 1);
  EXPECT_EQ(debug::counters(device()).host_write_bytes, 12);
  EXPECT_EQ(x.to_vector<float>(), (std::vector<float>{1, 2, 3}));
  EXPECT_FLOAT_EQ(reduce_sum(x).item<float>(), 6.0f);
  const debug::Counters c = debug::counters(device());
  EXPECT_EQ(c.host_reads, 2);
  EXPECT_EQ(c.host_read_bytes, 12 + 4);
}

TEST_P(Counting, ThePeakIsTheMostLiveAtOnce) {
  debug::reset_counters();
  const std::int64_t live_before = debug::counters(device()).peak_bytes;
  { const Tensor big = zeros({2500}); }  // 10 000 bytes, freed again
  const Tensor small = zeros({500});     // 2 000 bytes: the peak stays
  const debug::Counters c = debug::counters(device());
  EXPECT_EQ(c.peak_bytes, live_before + 10000);
  EXPECT_EQ(c.allocations, 2);
  EXPECT_EQ(c.allocated_bytes, 12000);
  debug::reset_counters();  // the peak starts again from what is live
  EXPECT_EQ(debug::counters(device()).peak_bytes, live_before + 2000);
}

TEST_P(Counting, OneHotUploadsNothingAfterItsFirstCall) {
  const Tensor labels = constant(std::vector<std::int64_t>{2, 0, 1}, {3});
  (void)one_hot(labels, 4);  // the positions 0..3 are made once on this device
  debug::reset_counters();
  const Tensor hot = one_hot(labels, 4);
  EXPECT_EQ(debug::counters(device()).host_writes, 0);
  EXPECT_EQ(hot.to_vector<float>(), (std::vector<float>{0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0}));
}

INSTANTIATE_TEST_SUITE_P(Devices, Counting, ::testing::ValuesIn(testing::all_devices()),
                         testing::device_name);

TEST(Counters, PrintAsOneLine) {
  debug::Counters c;
  c.kernels = 190;
  c.host_reads = 3;
  c.host_read_bytes = 12;
  c.allocations = 2;
  c.allocated_bytes = 2048;
  c.peak_bytes = 3 * 1024 * 1024;
  std::ostringstream out;
  out << c;
  EXPECT_EQ(out.str(),
            "190 kernels, 3 host reads (12 B), 0 host writes (0 B), 2 allocations (2 KiB), peak "
            "3 MiB");
  EXPECT_EQ(debug::byte_size_text(1536), "1.5 KiB");
  EXPECT_EQ(debug::byte_size_text(1.5 * 1024 * 1024 * 1024), "1.5 GiB");
}

TEST(Counters, EmberProfilePrintsEachEpochsStepsOfFit) {
  ASSERT_EQ(setenv("EMBER_PROFILE", "1", 1), 0);
  random::set_seed(3);
  keras::Sequential model({keras::Input({4}), layers::Dense(3)});
  model.compile(_optimizer = "sgd", _loss = "mse");
  const Tensor x = random::uniform({64, 4}), y = random::uniform({64, 3});
  ::testing::internal::CaptureStderr();
  model.fit(x, y, _batch_size = 16, _epochs = 2, _verbose = 0);
  model.evaluate(x, y, _batch_size = 32, _verbose = 0);
  const std::string printed = ::testing::internal::GetCapturedStderr();
  unsetenv("EMBER_PROFILE");
  EXPECT_NE(printed.find("ember profile: fit epoch 1: 4 steps; per step "), std::string::npos)
      << printed;
  EXPECT_NE(printed.find("ember profile: fit epoch 2: 4 steps"), std::string::npos) << printed;
  EXPECT_NE(printed.find("ember profile: evaluate epoch 1: 2 steps"), std::string::npos) << printed;
  EXPECT_NE(printed.find(" kernels, "), std::string::npos);
  // Without the variable, nothing is printed.
  ::testing::internal::CaptureStderr();
  model.fit(x, y, _batch_size = 16, _epochs = 1, _verbose = 0);
  EXPECT_EQ(::testing::internal::GetCapturedStderr().find("ember profile"), std::string::npos);
}

}  // namespace
}  // namespace ember
