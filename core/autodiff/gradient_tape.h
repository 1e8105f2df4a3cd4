// GradientTape: records the ops run while it is active and computes gradients by replaying them
// in reverse, like tf.GradientTape. The tape records from construction until gradient() (a
// non-persistent tape) or until it is destroyed (a persistent one).
//
//   Variable x(-2.0);
//   GradientTape tape;
//   Tensor y = x * x;
//   std::optional<Tensor> dy = tape.gradient(y, x);   // -4
//
// A braced list of sources unpacks like Python's `dw, db = tape.gradient(loss, [w, b])`:
//   auto [dw, db] = tape.gradient(loss, {w, b});
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
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

/// The gradients of a braced list of N sources: a std::vector of them that also unpacks,
/// `auto [dw, db] = tape.gradient(loss, {w, b});`. Each is none where the target does not depend
/// on the source.
template <std::size_t N>
class Gradients : public std::vector<std::optional<Tensor>> {
 public:
  explicit Gradients(std::vector<std::optional<Tensor>> values)
      : std::vector<std::optional<Tensor>>(std::move(values)) {}
  template <std::size_t I>
  const std::optional<Tensor>& get() const& {
    return (*this)[I];
  }
  template <std::size_t I>
  std::optional<Tensor>& get() & {
    return (*this)[I];
  }
  template <std::size_t I>
  std::optional<Tensor>&& get() && {
    return std::move((*this)[I]);
  }
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
  // (The single-source and list overloads are templates so that a braced list always means the
  // unpackable Gradients<N>: a braced list deduces no template parameter.)
  template <class Source>
  requires std::is_convertible_v<const Source&, GradientSource> std::optional<Tensor> gradient(
      const GradientSource& target, const Source& source) {
    return compute(target, {GradientSource(source)})[0];
  }
  template <std::size_t N>
  Gradients<N> gradient(const GradientSource& target, const GradientSource (&sources)[N]) {
    return Gradients<N>(compute(target, std::vector<GradientSource>(sources, sources + N)));
  }
  /// A list made at run time: a std::vector of variables (trainable_variables()) or of sources.
  template <class List>
  requires(std::same_as<List, std::vector<Variable>> ||
           std::same_as<List, std::vector<GradientSource>>)
      std::vector<std::optional<Tensor>> gradient(const GradientSource& target,
                                                  const List& sources) {
    return compute(target, std::vector<GradientSource>(sources.begin(), sources.end()));
  }
  /// Called with a source's index and its gradient as soon as the gradient is final (no record
  /// still to replay uses the source), while the backward pass goes on.
  using ReadyCallback = std::function<void(std::size_t, const Tensor&)>;
  /// gradient(target, sources) that also calls `on_ready` for each source with a gradient, in the
  /// order the backward pass finishes them: distributed training starts summing a bucket of
  /// gradients over the replicas before the rest are computed (PyTorch DDP's overlap).
  std::vector<std::optional<Tensor>> gradient(const GradientSource& target,
                                              const std::vector<Variable>& sources,
                                              const ReadyCallback& on_ready) {
    return compute(target, std::vector<GradientSource>(sources.begin(), sources.end()), on_ready);
  }
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
                                             const std::vector<GradientSource>& sources,
                                             const ReadyCallback& on_ready = nullptr);
  std::shared_ptr<autodiff::TapeState> state_;
};

/// The same value, cut off from gradient computation (tf.stop_gradient).
Tensor stop_gradient(const Tensor& x);

/// Prints a gradient the way TensorFlow prints one: the tensor, or "None".
std::ostream& operator<<(std::ostream& out, const std::optional<Tensor>& gradient);
/// A list of gradients as Python prints one: `[<the tensor>, None]`.
std::ostream& operator<<(std::ostream& out, const std::vector<std::optional<Tensor>>& gradients);

}  // namespace ember

// Gradients<N> unpacks with structured bindings.
template <std::size_t N>
struct std::tuple_size<ember::Gradients<N>> : std::integral_constant<std::size_t, N> {};
template <std::size_t I, std::size_t N>
struct std::tuple_element<I, ember::Gradients<N>> {
  using type = std::optional<ember::Tensor>;
};
