// Optimizer: the base of SGD, Adam and the rest. It applies gradients to variables with the
// update rules and defaults of keras.optimizers (Keras 3): gradients are clipped (clipnorm,
// global_clipnorm, clipvalue), decoupled weight decay is applied (v -= v·wd·lr), then one fused
// backend pass per variable updates the variable and its slots in place.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/backend/kernel_types.h"
#include "core/tensor.h"
#include "core/variable.h"
#include "distribute/strategy.h"
#include "optim/learning_rate.h"

namespace ember::optim {

/// Every slot and counter of an optimizer by name: "iterations", "<i>:<variable>/<slot>" for
/// the i-th variable it updates, plus rule-specific scalars (Nadam's "u_product").
using OptimizerState = std::map<std::string, Tensor>;

/// The arguments every optimizer takes, as Keras' base Optimizer does; each optimizer's options
/// add its learning rate, its weight decay and its own. (Set these with keywords, `_clipnorm =
/// 1.0`: designated initializers reach a struct's own members only.)
struct OptimizerOptions {
  /// Each gradient is scaled so that its norm is at most this.
  std::optional<double> clipnorm = std::nullopt;
  /// Each gradient value is clipped to [-clipvalue, clipvalue].
  std::optional<double> clipvalue = std::nullopt;
  /// All gradients are scaled together so that their joint norm is at most this.
  std::optional<double> global_clipnorm = std::nullopt;
  /// The optimizer's class name ("Adam") when empty.
  std::string name = "";
  /// ember's own, off by default: leave the elements whose gradient is NaN or infinite (and their
  /// slots) untouched, with a warning, instead of letting NaN reach the weights as Keras does.
  /// Not a Keras argument: written into configs only when set.
  bool skip_nonfinite_gradients = false;
};

/// The options all Keras optimizers share, as an optimizer keeps them.
struct CommonOptions {
  std::optional<double> weight_decay;
  std::optional<double> clipnorm;
  std::optional<double> clipvalue;
  std::optional<double> global_clipnorm;
  std::string name;
  bool skip_nonfinite_gradients = false;
};

/// An optimizer is a handle, as a Python object is: copies (the one compile() keeps, the one in a
/// lambda) share its slots, step count and learning rate, so `opt.iterations()` counts the steps
/// a model compiled with `opt` took.
class Optimizer {
 public:
  virtual ~Optimizer() = default;

  /// Applies grads[i] to vars[i]. Variables whose gradient is none are skipped (with a warning
  /// naming them); it is an error when none has a gradient. Gradients must match their variable's
  /// shape, dtype and device. Non-finite gradient values update their elements as Keras does, so
  /// NaN reaches the weights (callbacks::TerminateOnNaN stops training then), unless the optimizer
  /// was made with _skip_nonfinite_gradients = true.
  virtual void apply_gradients(const std::vector<std::optional<Tensor>>& grads,
                               const std::vector<Variable>& vars);
  void apply_gradients(
      const std::vector<std::pair<std::optional<Tensor>, Variable>>& grads_and_vars);
  /// apply_gradients for gradients already summed over the replicas of distribute_strategy()
  /// (fit sums them in buckets while the backward pass runs): no second all-reduce.
  void apply_reduced_gradients(const std::vector<std::optional<Tensor>>& grads,
                               const std::vector<Variable>& vars);
  /// The loss a training step differentiates: the loss itself, or (LossScaleOptimizer) the loss
  /// times the dynamic loss scale, which apply_gradients divides out again.
  virtual Tensor scale_loss(const Tensor& loss) const { return loss; }
  /// Computes loss() under a GradientTape, applies its gradients to `vars`, returns the loss.
  Tensor minimize(const std::function<Tensor()>& loss, const std::vector<Variable>& vars);
  /// Creates the slots of `vars` now (otherwise the first apply does).
  void build(const std::vector<Variable>& vars);

  /// The strategy whose replicas this optimizer's gradients are summed over before each update:
  /// the one whose scope was current when the optimizer was made (Keras' rule), or the one
  /// compile gives it from the model. None: gradients are applied as given.
  const std::optional<distribute::Strategy>& distribute_strategy() const {
    return state_->strategy;
  }
  void set_distribute_strategy(std::optional<distribute::Strategy> strategy) {
    state_->strategy = std::move(strategy);
  }

  /// Updates done so far.
  std::int64_t iterations() const { return state_->iterations; }
  /// The learning rate of the next update.
  double learning_rate() const { return state_->learning_rate.at(state_->iterations); }
  /// Replaces a constant learning rate (an error for schedules, as in Keras).
  void set_learning_rate(double value);
  /// Whether the rate is a number (not a schedule or a callable).
  bool constant_learning_rate() const { return state_->learning_rate.is_constant(); }
  const std::string& name() const { return name_; }
  /// Keras' class name: "SGD", "Adam", "AdamW", ...
  const std::string& class_name() const { return class_name_; }
  /// The constructor's arguments as Keras' get_config() writes them (optim::from_config makes the
  /// optimizer again). A learning rate given as a plain callable cannot be written: ember::Error.
  virtual nlohmann::json get_config() const;
  /// Gradient values that were NaN or infinite, over all updates (skipped or applied). Reading it
  /// waits for pending GPU work; on the CPU each skip also prints a warning at once.
  std::int64_t nonfinite_gradients() const;

  /// Keras' optimizer.variables as model.summary() counts them: the step count (int64), the
  /// learning rate (float32, when a number), the slots of every variable built so far and the
  /// rule's own (Nadam's running product). Zero before the first update or build().
  struct VariableSize {
    std::int64_t count = 0;
    std::int64_t bytes = 0;
  };
  VariableSize variable_size() const;

  OptimizerState get_state() const;
  /// Restores a state from get_state(); variables not built yet take their slots when first seen,
  /// so a fresh optimizer continues the exact trajectory.
  void set_state(const OptimizerState& state);

 protected:
  Optimizer(std::string default_name, LearningRate learning_rate,
            std::optional<double> weight_decay, const OptimizerOptions& options);

  /// The slots a variable gets (names; nullptr where the rule has none) and their start values.
  struct Slots {
    std::array<const char*, 3> names{nullptr, nullptr, nullptr};
    std::array<double, 3> initial{0, 0, 0};
  };
  virtual Slots slots() const = 0;
  /// The fused rule and its coefficients (core/backend/optimizer_math.h) for update number `step`
  /// (1-based) at learning rate `lr`; called once per apply, before any variable is updated.
  struct Step {
    OptimizerRule rule;
    std::array<double, 6> coefficients{0, 0, 0, 0, 0, 0};
  };
  virtual Step begin_step(std::int64_t step, double lr) = 0;
  /// Extra per-optimizer state (scalars), saved and restored with the slots.
  virtual void save_extra(OptimizerState&) const {}
  /// Adds the rule's own arguments (beta_1, momentum, ...) to get_config().
  virtual void add_config(nlohmann::json& config) const = 0;
  virtual void load_extra(const OptimizerState&) {}
  /// Scalars of the rule's own that Keras keeps as variables (Nadam's running product).
  virtual std::int64_t extra_variables() const { return 0; }

  /// The gradients summed over the replicas of distribute_strategy() (as given without one),
  /// in buckets; the missing stay missing.
  std::vector<std::optional<Tensor>> aggregate_gradients(
      const std::vector<std::optional<Tensor>>& grads) const;
  /// The update on gradients summed over the replicas: the rule (apply_rule);
  /// LossScaleOptimizer checks and unscales them first.
  virtual void update_with(const std::vector<std::optional<Tensor>>& grads,
                           const std::vector<Variable>& vars) {
    apply_rule(grads, vars);
  }
  /// The rule's update of `vars` by `grads` (checked, clipped, decayed, one fused pass).
  void apply_rule(const std::vector<std::optional<Tensor>>& grads,
                  const std::vector<Variable>& vars);

 private:
  friend class LossScaleOptimizer;  // forwards the rule's hooks to the optimizer it wraps
  struct Entry {
    Variable variable;
    std::array<Tensor, 3> slots;
  };
  Entry& entry_for(const Variable& v);
  /// Records an update in the tracing function (see apply_gradients); `summed`: the gradients
  /// are already summed over the replicas.
  void record_update(const char* op, const std::vector<std::optional<Tensor>>& grads,
                     const std::vector<Variable>& vars, bool summed);
  std::vector<Tensor> clip(const std::vector<Tensor>& grads) const;
  Tensor& nonfinite_counter(const Device& device);

  // What changes as the optimizer works, shared by its copies.
  struct State {
    explicit State(LearningRate rate) : learning_rate(std::move(rate)) {}
    LearningRate learning_rate;
    std::int64_t iterations = 0;
    std::vector<Entry> entries;
    std::unordered_map<std::uint64_t, std::size_t> entry_index;  // variable id -> entries
    OptimizerState pending;      // restored slots of variables not seen yet
    std::string warned_missing;  // the variables without gradients last warned about
    std::vector<std::pair<Device, Tensor>> nonfinite_counters;
    std::optional<distribute::Strategy> strategy;
  };

  std::string name_;
  std::string class_name_;
  CommonOptions common_;
  std::shared_ptr<State> state_;
};

}  // namespace ember::optim

namespace ember {

/// Python's `zip(grads, vars)` for apply_gradients:
///   opt.apply_gradients(zip(grads, model.trainable_variables()));
/// The lists must be as long as each other (Python's zip drops the extra silently, which hides a
/// mismatched list: here it is an Error naming both lengths).
std::vector<std::pair<std::optional<Tensor>, Variable>> zip(
    const std::vector<std::optional<Tensor>>& grads, const std::vector<Variable>& vars);

}  // namespace ember
