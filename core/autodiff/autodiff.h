// The recording side of automatic differentiation (internal). Every op records itself through
// detail::run_op (core/ops/run_op.h): each GradientTape on this thread that tracks one of the
// op's inputs keeps the op's backward function, which GradientTape::gradient replays in reverse.
// PauseAll, the scope that pauses every tape, is public (core/autodiff/gradient_tape.h).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_set>
#include <vector>

#include "core/autodiff/gradient_tape.h"
#include "core/tensor.h"
#include "core/variable.h"

namespace ember::autodiff {

/// One gradient per op input (none where the input gets no gradient).
using Gradients = std::vector<std::optional<Tensor>>;
/// Bit i is set when input i of the op needs a gradient (the tape tracks it); backward functions
/// skip the work for the others. Inputs past the 64th always count as needed.
using NeedsMask = std::uint64_t;
inline bool needs(NeedsMask mask, std::size_t input) {
  return input >= 64 || ((mask >> input) & 1u);
}
/// Maps the gradient of an op's output to the gradients of its inputs, using ember ops (so it
/// runs on every device and can itself be recorded for higher derivatives).
using BackwardFunction = std::function<Gradients(const Tensor& output_gradient, NeedsMask needs)>;

struct Record {
  const char* op;
  std::vector<std::uint64_t> inputs;
  std::uint64_t output;
  std::shared_ptr<const BackwardFunction> backward;
};

/// What one GradientTape holds.
struct TapeState {
  bool persistent = false;
  bool watch_accessed_variables = true;
  int pauses = 0;         // stop_recording() scopes and gradient() computations
  bool finished = false;  // a non-persistent tape after gradient(): records nothing more
  std::vector<Record> records;
  std::unordered_set<std::uint64_t> tracked;  // watched sources and outputs of recorded ops
  std::vector<Variable> watched_variables;

  bool recording() const { return pauses == 0 && !finished; }
  void watch(std::uint64_t id) { tracked.insert(id); }
};

/// The tapes alive on this thread, innermost last.
std::vector<TapeState*>& tapes();

/// Whether any tape on this thread records now (cheap when there is none).
inline bool any_recording() {
  const auto& t = tapes();
  if (t.empty()) return false;
  for (const TapeState* tape : t) {
    if (tape->recording()) return true;
  }
  return false;
}

/// Called when a variable is read: tapes that watch accessed variables start tracking it.
void on_variable_read(const Variable& variable);

/// Records an op on every recording tape that tracks one of `inputs` (order matters: the
/// backward function returns gradients in that order). Integer outputs, an empty backward
/// function and an output that is one of the inputs (an op that returned its argument) are never
/// recorded. Ops call this through detail::run_op (core/ops/run_op.h), not directly.
void record(const char* op, const std::vector<Tensor>& inputs, const Tensor& output,
            BackwardFunction backward);

/// Whether some recording tape tracks one of `inputs`.
bool tracks_any(const std::vector<Tensor>& inputs);

}  // namespace ember::autodiff
