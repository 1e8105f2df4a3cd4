// Lesson 5: fit k·x + b to 1000 noisy points (k = 0.7, b = 2.0, noise σ = 0.2) by gradient
// descent on the mean squared error: full batch, then minibatches, on the CPU and (when present)
// the GPU.
//
// The lesson's full-batch step η = 0.2 diverges for x in [0, 10]: the loss' curvature along k is
// 2·mean(x²) ≈ 67, and gradient descent needs η < 2/67 ≈ 0.03. The sample shows that, then uses
// η = 0.02 (the lesson's minibatch rate) for both runs.
#include <chrono>
#include <cmath>
#include <iostream>

#include "ember.h"

using namespace ember;

struct Fit {
  float k, b, loss;
};

Fit descend(const Tensor& x, const Tensor& y, int epochs, int batch_size, double eta) {
  Variable k(0.0), b(0.0);
  const std::int64_t n = x.shape(0);
  const std::int64_t steps = n / batch_size;
  for (int epoch = 0; epoch < epochs; ++epoch) {
    for (std::int64_t step = 0; step < steps; ++step) {
      const Tensor x_batch = x.slice(step * batch_size, (step + 1) * batch_size);
      const Tensor y_batch = y.slice(step * batch_size, (step + 1) * batch_size);
      GradientTape tape;
      const Tensor f = k * x_batch + b;
      const Tensor loss = reduce_mean(square(y_batch - f));
      const auto grads = tape.gradient(loss, {k, b});
      k.assign_sub(*grads[0] * eta);
      b.assign_sub(*grads[1] * eta);
    }
  }
  const float loss = reduce_mean(square(y - (k * x + b))).item<float>();
  return {k.item<float>(), b.item<float>(), loss};
}

void run_on(const Device& device) {
  DeviceScope scope(device);
  std::cout << "== " << device << " ==\n";
  random::set_seed(5);
  const int total_points = 1000;
  const Tensor x = random::uniform({total_points}, _minval = 0, _maxval = 10);
  const Tensor noise = random::normal({total_points}, _stddev = 0.2);
  const float k_true = 0.7f, b_true = 2.0f;
  const Tensor y = k_true * x + b_true + noise;

  const Fit diverged = descend(x, y, 5, total_points, 0.2);
  std::cout << "full batch, eta 0.2, 5 epochs: k = " << diverged.k << ", b = " << diverged.b
            << ", loss = " << diverged.loss << "  (diverges)\n";

  const auto start = std::chrono::steady_clock::now();
  const Fit full = descend(x, y, 500, total_points, 0.02);
  const auto middle = std::chrono::steady_clock::now();
  const Fit mini = descend(x, y, 50, 100, 0.02);
  const auto end = std::chrono::steady_clock::now();
  auto ms = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
  std::cout << "full batch, eta 0.02, 500 epochs:       k = " << full.k << ", b = " << full.b
            << ", loss = " << full.loss << "  (" << ms(start, middle) << " ms)\n";
  std::cout << "minibatch 100, eta 0.02, 50 epochs:     k = " << mini.k << ", b = " << mini.b
            << ", loss = " << mini.loss << "  (" << ms(middle, end) << " ms)\n";
  const bool ok = std::fabs(full.k - 0.7f) < 0.05f && std::fabs(full.b - 2.0f) < 0.05f &&
                  std::fabs(mini.k - 0.7f) < 0.05f && std::fabs(mini.b - 2.0f) < 0.05f;
  std::cout << (ok ? "both fits are within 0.05 of k = 0.7, b = 2.0\n" : "FIT FAILED\n") << "\n";
  if (!ok) std::exit(1);
}

int main() {
  run_on(Device::cpu());
  if (cuda_available()) run_on(Device::cuda(0));
  return 0;
}
