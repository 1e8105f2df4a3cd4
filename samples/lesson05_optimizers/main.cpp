// Lesson 5: the optimizers compared on the lesson's problem — fit k·x + b to 1000 noisy points
// (k = 0.7, b = 2, noise σ = 0.2) by minibatches of 100 for 50 epochs, each optimizer with the
// lesson's learning rate. Prints the final k, b and loss, and the step at which the loss on all
// points first fell below 0.05 (the noise alone gives 0.04).
#include <cstdio>
#include <functional>
#include <memory>

#include "ember.h"

using namespace ember;

struct Result {
  float k, b, loss;
  int steps_to_target;  // -1: never
};

Result train(optim::Optimizer& opt, const Tensor& x, const Tensor& y) {
  Variable k(0.0, _name = "k"), b(0.0, {.name = "b"});
  const int epochs = 50, batch_size = 100;
  const std::int64_t batches = x.shape(0) / batch_size;
  int step = 0, first_below = -1;
  for (int epoch = 0; epoch < epochs; ++epoch) {
    for (std::int64_t n = 0; n < batches; ++n) {
      const Tensor x_batch = x.slice(n * batch_size, (n + 1) * batch_size);
      const Tensor y_batch = y.slice(n * batch_size, (n + 1) * batch_size);
      GradientTape tape;
      const Tensor loss = reduce_mean(square(y_batch - (k * x_batch + b)));
      opt.apply_gradients(tape.gradient(loss, {k, b}), {k, b});
      ++step;
      if (first_below < 0 && reduce_mean(square(y - (k * x + b))).item<float>() < 0.05f) {
        first_below = step;
      }
    }
  }
  return {k.item<float>(), b.item<float>(), reduce_mean(square(y - (k * x + b))).item<float>(),
          first_below};
}

int main() {
  std::printf("device: %s\n\n", default_device().str().c_str());
  random::set_seed(5);
  const int total_points = 1000;
  const Tensor x = random::uniform({total_points}, _minval = 0, _maxval = 10);
  const Tensor noise = random::normal({total_points}, _stddev = 0.2);
  const Tensor y = 0.7f * x + 2.0f + noise;

  const std::vector<std::pair<const char*, std::function<std::shared_ptr<optim::Optimizer>()>>>
      optimizers = {
          {"SGD(0.02)", [] { return std::make_shared<optim::SGD>(_learning_rate = 0.02); }},
          {"SGD(0.02, momentum=0.5)",
           [] { return std::make_shared<optim::SGD>(_learning_rate = 0.02, _momentum = 0.5); }},
          {"SGD(0.02, 0.5, nesterov)",
           [] {
             return std::make_shared<optim::SGD>(_learning_rate = 0.02, _momentum = 0.5,
                                                 _nesterov = true);
           }},
          {"Adagrad(0.2)", [] { return std::make_shared<optim::Adagrad>(_learning_rate = 0.2); }},
          {"Adadelta(4)", [] { return std::make_shared<optim::Adadelta>(_learning_rate = 4.0); }},
          {"RMSprop(0.01)", [] { return std::make_shared<optim::RMSprop>(_learning_rate = 0.01); }},
          {"Adam(0.1)", [] { return std::make_shared<optim::Adam>(_learning_rate = 0.1); }},
      };
  std::printf("%-26s %9s %9s %9s %22s\n", "optimizer", "k", "b", "loss", "steps to loss < 0.05");
  for (const auto& [label, make] : optimizers) {
    const auto opt = make();
    const Result r = train(*opt, x, y);
    char steps[32];
    if (r.steps_to_target < 0)
      std::snprintf(steps, sizeof steps, "never (of 500)");
    else
      std::snprintf(steps, sizeof steps, "%d", r.steps_to_target);
    std::printf("%-26s %9.4f %9.4f %9.4f %22s\n", label, r.k, r.b, r.loss, steps);
  }
  std::printf("\ntrue values: k = 0.7, b = 2.0\n");
  return 0;
}
