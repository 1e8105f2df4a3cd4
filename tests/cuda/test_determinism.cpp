// config::enable_op_determinism: the flag, and on a GPU bitwise-equal results from repeated runs
// of the ops whose GPU versions are otherwise free to vary (cuDNN's timed algorithm choice,
// scatter_add's atomics). The GPU cases skip without a GPU.
#include "tests/test_support.h"

namespace ember {
namespace {

using testing::random_values;

/// Turns op determinism on for a test and back off after it.
struct Deterministic {
  Deterministic() { config::enable_op_determinism(); }
  ~Deterministic() { config::set_op_determinism(false); }
};

TEST(OpDeterminism, IsOffByDefaultAndSwitchesOn) {
  EXPECT_FALSE(config::op_determinism_enabled());  // EMBER_DETERMINISTIC_OPS is not set in CTest
  {
    Deterministic on;
    EXPECT_TRUE(config::op_determinism_enabled());
  }
  EXPECT_FALSE(config::op_determinism_enabled());
}

/// The gradient of gather with many repeated indices: what scatter_add sums.
std::vector<float> gather_gradient(const Device& device) {
  DeviceScope scope(device);
  const Variable table(constant(random_values(50 * 16, -1, 1, 3), {50, 16}));
  std::vector<std::int64_t> indices;
  for (int i = 0; i < 4000; ++i) indices.push_back((i * 7) % 50);
  GradientTape tape;
  const Tensor loss = reduce_sum(square(gather(table, indices)) * 0.37f);
  return tape.gradient(loss, table)->to_vector<float>();
}

std::vector<float> conv_gradients(const Device& device) {
  DeviceScope scope(device);
  const Variable x(constant(random_values(8 * 12 * 12 * 3, -1, 1, 5), {8, 12, 12, 3}));
  const Variable f(constant(random_values(3 * 3 * 3 * 16, -1, 1, 6), {3, 3, 3, 16}));
  GradientTape tape;
  const Tensor loss = reduce_sum(square(conv2d(x, f, {.padding = "SAME"})));
  auto [dx, df] = tape.gradient(loss, {x, f});
  std::vector<float> all = dx->to_vector<float>();
  const auto filter = df->to_vector<float>();
  all.insert(all.end(), filter.begin(), filter.end());
  return all;
}

TEST(OpDeterminism, GpuScatterAddAndConvolutionsRepeatBitwise) {
  EMBER_SKIP_WITHOUT_GPU();
  Deterministic on;
  const Device gpu = Device::cuda(0);
  EXPECT_EQ(gather_gradient(gpu), gather_gradient(gpu));
  EXPECT_EQ(conv_gradients(gpu), conv_gradients(gpu));
  // And they still agree with the CPU.
  const auto as_double = [](const std::vector<float>& v) {
    return std::vector<double>(v.begin(), v.end());
  };
  testing::expect_close(as_double(gather_gradient(gpu)), as_double(gather_gradient(Device::cpu())),
                        1e-4, "gather's gradient");
  testing::expect_close(as_double(conv_gradients(gpu)), as_double(conv_gradients(Device::cpu())),
                        1e-3, "conv2d's gradients");
}

}  // namespace
}  // namespace ember
