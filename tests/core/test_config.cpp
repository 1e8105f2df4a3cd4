// config's process-wide settings: intra-op threads, as tf.config.threading's.
#include <cstdlib>
#include <string>
#include <thread>

#include "tests/test_support.h"

namespace ember {
namespace {

TEST(Config, IntraOpThreadsAreProcessWideAndKeepResults) {
  EXPECT_EQ(config::get_intra_op_parallelism_threads(), 0);  // ember chooses
  const int chosen = config::cpu_threads();
  EXPECT_GE(chosen, 1);
  // A sum big enough to be split across threads, and its float64 reference.
  const std::int64_t n = 1 << 20;
  std::vector<float> values(static_cast<std::size_t>(n));
  double reference = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    values[static_cast<std::size_t>(i)] = static_cast<float>(i % 7) - 3.0f;
    reference += values[static_cast<std::size_t>(i)];
  }
  const Tensor x = constant(values, {n});
  config::set_intra_op_parallelism_threads(1);
  EXPECT_EQ(config::get_intra_op_parallelism_threads(), 1);
  EXPECT_EQ(config::cpu_threads(), 1);
  int seen_by_another_thread = 0;
  std::thread([&] { seen_by_another_thread = config::cpu_threads(); }).join();
  EXPECT_EQ(seen_by_another_thread, 1);  // unlike omp_set_num_threads, not per thread
  EXPECT_NEAR(reduce_sum(x).item<float>(), reference, 1e-3);
  config::set_intra_op_parallelism_threads(0);
  EXPECT_EQ(config::cpu_threads(), chosen);
  EXPECT_NEAR(reduce_sum(x).item<float>(), reference, 1e-3);
  testing::expect_error<Error>([] { config::set_intra_op_parallelism_threads(-2); },
                               {"set_intra_op_parallelism_threads", "got -2"});
}

}  // namespace
}  // namespace ember
