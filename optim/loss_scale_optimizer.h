// keras.optimizers.LossScaleOptimizer: dynamic loss scaling for float16 training. float16's
// smallest values (2^-24) lose small gradients to zero; the training step multiplies the loss by
// a scale (scale_loss) so that the gradients are large enough, and apply_gradients divides them
// by it again before the wrapped optimizer updates the variables. As Keras 3's:
//   - the scale starts at initial_scale (2^15);
//   - a step with a NaN or infinite gradient is skipped (the variables, the slots and the step
//     count stay as they were) and the scale halves;
//   - after dynamic_growth_steps (2000) finite steps in a row the scale doubles.
// compile() wraps the optimizer in one by itself when the model's dtype policy is mixed_float16.
//
//   auto opt = optim::LossScaleOptimizer(optim::Adam());
//   model.compile(_optimizer = opt, _loss = "mse");   // or: set_global_policy("mixed_float16")
#pragma once

#include <memory>
#include <string>

#include "optim/optimizer.h"

namespace ember::optim {

struct LossScaleOptimizerOptions {
  double initial_scale = 32768.0;
  std::int64_t dynamic_growth_steps = 2000;
  /// "loss_scale_optimizer" when empty.
  std::string name = "";
};

class LossScaleOptimizer : public Optimizer {
 public:
  /// Wraps `inner`, whose step count, learning rate and slots it shares (they are the inner
  /// optimizer's: LossScaleOptimizer.iterations is inner_optimizer.iterations, as in Keras).
  explicit LossScaleOptimizer(std::shared_ptr<Optimizer> inner,
                              LossScaleOptimizerOptions options = {});
  template <class O>
  requires(
      std::is_base_of_v<Optimizer, O> &&
      !std::is_same_v<O, LossScaleOptimizer>) explicit LossScaleOptimizer(O inner,
                                                                          LossScaleOptimizerOptions
                                                                              options = {})
      : LossScaleOptimizer(std::make_shared<O>(std::move(inner)), std::move(options)) {}

  /// loss · scale, in the loss's dtype.
  Tensor scale_loss(const Tensor& loss) const override;
  /// Keras' config: name, inner_optimizer (serialized), initial_scale, dynamic_growth_steps.
  nlohmann::json get_config() const override;

  /// The current loss scale (Keras' optimizer.dynamic_scale).
  double dynamic_scale() const;
  /// Finite steps since the scale last changed (Keras' optimizer.step_counter).
  std::int64_t step_counter() const { return scale_->step_counter; }
  const Optimizer& inner_optimizer() const { return *inner_; }
  double initial_scale() const { return options_.initial_scale; }
  std::int64_t dynamic_growth_steps() const { return options_.dynamic_growth_steps; }

 protected:
  // The rule is the inner optimizer's.
  Slots slots() const override { return inner_->slots(); }
  Step begin_step(std::int64_t step, double lr) override { return inner_->begin_step(step, lr); }
  void add_config(nlohmann::json& config) const override { inner_->add_config(config); }
  /// The inner optimizer's extra state, and "dynamic_scale" and "step_counter".
  void save_extra(OptimizerState& state) const override;
  void load_extra(const OptimizerState& state) override;
  std::int64_t extra_variables() const override { return inner_->extra_variables() + 2; }
  /// Skips the step when a gradient holds NaN or infinity (halving the scale); otherwise
  /// unscales the gradients, lets the inner optimizer's rule apply them, and grows the scale
  /// every dynamic_growth_steps finite steps. The gradients are already summed over the
  /// replicas, so every replica decides alike.
  void update_with(const std::vector<std::optional<Tensor>>& grads,
                   const std::vector<Variable>& vars) override;

 private:
  // Shared by copies, as the rest of an optimizer's state.
  struct ScaleState {
    Variable scale;  // float32 scalar: a traced training step reads the scale of each replay
    std::int64_t step_counter = 0;
  };
  std::shared_ptr<Optimizer> inner_;
  LossScaleOptimizerOptions options_;
  std::shared_ptr<ScaleState> scale_;
};

}  // namespace ember::optim
