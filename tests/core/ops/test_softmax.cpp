// softmax and log_softmax against float64 loops written here, on every device, and their
// gradients against central differences. (The cross-entropies on logits: tests/layers/losses.)
#include <cmath>

#include "tests/gradient_check.h"

namespace ember {
namespace {

using testing::check_gradient;
using testing::expect_close;
using testing::expect_error;
using testing::random_tensor;
using testing::random_values;
using testing::values_of;

class Softmax : public testing::OnDevice {};

TEST_P(Softmax, SoftmaxIsStableOnAnyAxis) {
  for (DType dtype : {float32, float64}) {
    const auto xv = random_values(24, -5, 5, 11);
    const Tensor x = constant(xv, Shape{2, 3, 4}, dtype);
    const auto xh = values_of(x);
    for (int axis : {0, 1, 2, -1}) {
      const int a = (axis + 3) % 3;
      const int dims[3] = {2, 3, 4};
      std::vector<double> soft(24), log_soft(24);
      for (int i = 0; i < 24; ++i) {
        int idx[3] = {i / 12, (i / 4) % 3, i % 4};
        double sum = 0;
        for (int k = 0; k < dims[a]; ++k) {
          int j[3] = {idx[0], idx[1], idx[2]};
          j[a] = k;
          sum += std::exp(xh[j[0] * 12 + j[1] * 4 + j[2]]);
        }
        soft[i] = std::exp(xh[i]) / sum;
        log_soft[i] = xh[i] - std::log(sum);
      }
      const double tol = dtype == float32 ? 1e-6 : 1e-14;
      expect_close(values_of(softmax(x, axis)), soft, tol, "softmax");
      expect_close(values_of(log_softmax(x, axis)), log_soft, tol, "log_softmax");
    }
  }
  // Large logits: no overflow.
  const Tensor big = constant({1000.f, 1000.f, -1000.f});
  expect_close(values_of(softmax(big)), {0.5, 0.5, 0}, 1e-7, "softmax big");
  expect_close(values_of(log_softmax(big)), {-std::log(2.0), -std::log(2.0), -2000 - std::log(2.0)},
               1e-6, "log_softmax big");
  expect_error<DTypeError>([] { softmax(constant({1, 2})); }, {"softmax", "int32"});
}

INSTANTIATE_TEST_SUITE_P(Devices, Softmax, ::testing::ValuesIn(testing::all_devices()),
                         testing::device_name);

// --- gradients against float64 central differences (CPU) ----------------------------------------

class SoftmaxGradients : public ::testing::Test {
  DeviceScope cpu_{Device::cpu()};
};

TEST_F(SoftmaxGradients, SoftmaxAndLogSoftmax) {
  const Tensor x = random_tensor({3, 5}, -3, 3, 9);
  for (int axis : {0, 1, -1}) {
    check_gradient("softmax", [&](auto& v) { return softmax(v[0], axis); }, {x});
    check_gradient("log_softmax", [&](auto& v) { return log_softmax(v[0], axis); }, {x});
  }
}

}  // namespace
}  // namespace ember
