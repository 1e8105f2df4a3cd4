// GradientTape: records the ops run while it is active and computes gradients by replaying them
// in reverse, like tf.GradientTape. The tape records from construction until gradient() (a
// non-persistent tape) or until it is destroyed (a persistent one).
//
//   Variable x(-2.0);
//   GradientTape tape;
//   Tensor y = x * x;
//   std::optional<Tensor> dy = tape.gradient(y, x);   // -4
#pragma once

#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/keywords.h"
#include "core/tensor.h"
#include "core/variable.h"

namespace ember {

namespace autodiff {
struct TapeState;

/// Pauses every tape on this thread for a scope: what runs inside is not recorded (a variable's
/// assignment, a metric's update, an op's own parts when the op records itself as one).
class PauseAll {
 public:
  PauseAll();
  ~PauseAll();
  PauseAll(const PauseAll&) = delete;
  PauseAll& operator=(const PauseAll&) = delete;

 private:
  std::vector<TapeState*> paused_;
};
}  // namespace autodiff

struct GradientTapeOptions {
  /// Allow several gradient() calls (otherwise the second is an error).
  bool persistent = false;
  /// Watch every trainable variable read while recording (otherwise only watch()ed sources).
  bool watch_accessed_variables = true;
};

/// What gradients are taken with respect to (or of): a Variable or a Tensor.
class GradientSource {
 public:
  GradientSource(const Variable& v);  // NOLINT: implicit, so {x, y} lists work
  GradientSource(const Tensor& t);    // NOLINT
  GradientSource(const VariableSlice& s) : GradientSource(static_cast<Tensor>(s)) {}  // NOLINT
  std::uint64_t id() const { return id_; }
  const Tensor& value() const { return value_; }
  const std::string& name() const { return name_; }
  /// The variable, when the source is one.
  const std::optional<Variable>& variable() const { return variable_; }

 private:
  std::uint64_t id_;
  Tensor value_;
  std::string name_;
  std::optional<Variable> variable_;
};

class GradientTape;

/// Pauses a tape while it lives (tape.stop_recording()).
class [[nodiscard]] RecordingPause {
 public:
  explicit RecordingPause(std::shared_ptr<autodiff::TapeState> tape);
  ~RecordingPause();
  RecordingPause(RecordingPause&& other) noexcept;
  RecordingPause(const RecordingPause&) = delete;
  RecordingPause& operator=(const RecordingPause&) = delete;
  RecordingPause& operator=(RecordingPause&&) = delete;

 private:
  std::shared_ptr<autodiff::TapeState> tape_;
};

class GradientTape {
 public:
  explicit GradientTape(GradientTapeOptions options = {});
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 &&
           (KeywordFor<K, GradientTapeOptions> && ...)) explicit GradientTape(const K&... keywords)
      : GradientTape(with_keywords<GradientTapeOptions>(keywords...)) {}
  ~GradientTape();
  GradientTape(const GradientTape&) = delete;
  GradientTape& operator=(const GradientTape&) = delete;

  /// Tracks a tensor or variable as a source, even an untrainable one.
  void watch(const GradientSource& source);
  void watch(std::initializer_list<GradientSource> sources);

  /// d(sum of target)/d(source) for each source, shaped like the source; none where the target
  /// does not depend on the source through recorded ops (a constant, an unwatched tensor, a value
  /// computed before the tape, an integer source — which also prints a warning).
  std::optional<Tensor> gradient(const GradientSource& target, const GradientSource& source);
  std::vector<std::optional<Tensor>> gradient(const GradientSource& target,
                                              std::initializer_list<GradientSource> sources);
  std::vector<std::optional<Tensor>> gradient(const GradientSource& target,
                                              const std::vector<GradientSource>& sources);
  std::vector<std::optional<Tensor>> gradient(const GradientSource& target,
                                              const std::vector<Variable>& sources);
  /// Several lists at once (the lesson's `tape.gradient(loss, [layer_1.trainable_variables,
  /// layer_2.trainable_variables])`): the gradients come back in the same nesting.
  std::vector<std::vector<std::optional<Tensor>>> gradient(
      const GradientSource& target, const std::vector<std::vector<Variable>>& sources);

  /// Stops recording while the returned object lives: `{ auto pause = tape.stop_recording(); }`.
  RecordingPause stop_recording();
  /// Forgets everything recorded and watched; the tape goes on recording.
  void reset();
  /// The variables this tape watches, in the order it first saw them.
  std::vector<Variable> watched_variables() const;
  bool persistent() const;

 private:
  std::vector<std::optional<Tensor>> compute(const GradientSource& target,
                                             const std::vector<GradientSource>& sources);
  std::shared_ptr<autodiff::TapeState> state_;
};

/// The same value, cut off from gradient computation (tf.stop_gradient).
Tensor stop_gradient(const Tensor& x);

/// Prints a gradient the way TensorFlow prints one: the tensor, or "None".
std::ostream& operator<<(std::ostream& out, const std::optional<Tensor>& gradient);

}  // namespace ember
