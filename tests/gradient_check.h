// Finite-difference gradient checks (float64, central differences) for tests.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "tests/test_support.h"

namespace ember::testing {

using Function = std::function<Tensor(const std::vector<Tensor>&)>;

/// Float64 values in [lo, hi) of `shape` (standard-library random, not ember's).
inline Tensor random_tensor(const Shape& shape, double lo, double hi, unsigned seed) {
  return constant(random_values(static_cast<std::size_t>(shape.num_elements()), lo, hi, seed),
                  shape, float64);
}

/// Checks the tape's gradients of L = sum(f(inputs) * W) (W random, so every output element
/// weighs differently) against central differences with step eps, elementwise within
/// tol * max(1, |numeric|).
inline void check_gradient(const std::string& name, const Function& f,
                           const std::vector<Tensor>& inputs, double eps = 1e-6,
                           double tol = 1e-6) {
  const Tensor probe = f(inputs);
  const Tensor weights = random_tensor(probe.shape(), -1, 1, 99);
  auto loss = [&](const std::vector<Tensor>& xs) { return reduce_sum(f(xs) * weights); };

  GradientTape tape;
  for (const Tensor& x : inputs) tape.watch(x);
  const Tensor l = loss(inputs);
  std::vector<GradientSource> sources(inputs.begin(), inputs.end());
  const auto grads = tape.gradient(l, sources);

  for (std::size_t i = 0; i < inputs.size(); ++i) {
    ASSERT_TRUE(grads[i].has_value()) << name << ": no gradient for input " << i;
    ASSERT_EQ(grads[i]->shape(), inputs[i].shape()) << name << ": gradient shape of input " << i;
    const std::vector<double> analytic = grads[i]->to_vector<double>();
    std::vector<double> values = inputs[i].to_vector<double>();
    for (std::size_t j = 0; j < values.size(); ++j) {
      std::vector<Tensor> shifted = inputs;
      const double original = values[j];
      values[j] = original + eps;
      shifted[i] = constant(values, inputs[i].shape(), float64);
      const double plus = loss(shifted).item<double>();
      values[j] = original - eps;
      shifted[i] = constant(values, inputs[i].shape(), float64);
      const double minus = loss(shifted).item<double>();
      values[j] = original;
      const double numeric = (plus - minus) / (2 * eps);
      EXPECT_NEAR(analytic[j], numeric, tol * std::max(1.0, std::fabs(numeric)))
          << name << ": input " << i << " element " << j;
    }
  }
}

/// The same check applied to the first derivative: f' is computed with an inner tape inside the
/// function, so the outer check differentiates through the backward ops (second derivatives).
inline void check_second_gradient(const std::string& name, const Function& f,
                                  const std::vector<Tensor>& inputs) {
  const Function first_derivative = [&](const std::vector<Tensor>& xs) {
    GradientTape inner;
    for (const Tensor& x : xs) inner.watch(x);
    const Tensor y = reduce_sum(f(xs));
    return *inner.gradient(y, xs[0]);
  };
  check_gradient(name + " (second order)", first_derivative, inputs, 1e-5, 1e-6);
}

/// The CPU against CUDA for ops with gradients: forward values and the gradient of every input,
/// float32 on both devices; skipped without a GPU.
class CpuVsCudaGradients : public ::testing::Test {
  DeviceScope cpu_{Device::cpu()};  // test data is made on the CPU, then copied to each device

 protected:
  void SetUp() override { EMBER_SKIP_WITHOUT_GPU(); }

  // Forward values and the gradients of every input, float32 on both devices.
  // tf32: the error is measured against the largest value (expect_close_normwise).
  static void compare(const std::string& name, const std::vector<Tensor>& inputs, const Function& f,
                      double tol, bool tf32 = false) {
    const Tensor weights = random_tensor(f(inputs).shape(), -1, 1, 77);
    auto run = [&](const Device& device) {
      DeviceScope scope(device);
      std::vector<Tensor> xs;
      for (const Tensor& t : inputs) xs.push_back(cast(t, float32).to(device));
      GradientTape tape;
      for (const Tensor& t : xs) tape.watch(t);
      const Tensor y = f(xs);
      const auto grads = tape.gradient(reduce_sum(y * cast(weights, float32).to(device)),
                                       std::vector<GradientSource>(xs.begin(), xs.end()));
      std::vector<std::vector<double>> out{values_of(y.to(Device::cpu()))};
      for (const auto& g : grads) out.push_back(values_of(g->to(Device::cpu())));
      return out;
    };
    const auto expected = run(Device::cpu());
    const auto actual = run(Device::cuda(0));
    for (std::size_t i = 0; i < expected.size(); ++i) {
      const std::string what = name + (i == 0 ? " forward" : " gradient " + std::to_string(i - 1));
      if (tf32)
        expect_close_normwise(actual[i], expected[i], tol, what);
      else
        expect_close(actual[i], expected[i], tol, what);
    }
  }
};

}  // namespace ember::testing
