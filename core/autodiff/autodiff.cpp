#include "core/autodiff/autodiff.h"

#include <algorithm>

#include "core/tensor_impl.h"

namespace ember::autodiff {

std::vector<TapeState*>& tapes() {
  thread_local std::vector<TapeState*> live;
  return live;
}

void on_variable_read(const Variable& variable) {
  if (!variable.trainable()) return;
  for (TapeState* tape : tapes()) {
    if (!tape->recording() || !tape->watch_accessed_variables) continue;
    if (tape->tracked.insert(variable.id()).second) tape->watched_variables.push_back(variable);
  }
}

bool tracks_any(const std::vector<Tensor>& inputs) {
  for (const TapeState* tape : tapes()) {
    if (!tape->recording()) continue;
    for (const Tensor& input : inputs) {
      if (tape->tracked.count(input.impl()->id) != 0) return true;
    }
  }
  return false;
}

void record(const char* op, const std::vector<Tensor>& inputs, const Tensor& output,
            BackwardFunction backward) {
  if (!backward || !is_floating(output.dtype())) return;
  const std::uint64_t out_id = output.impl()->id;
  // An op that returned its argument unchanged (a cast to the same dtype) adds no record: the
  // tape already knows the value, and a record from it to itself would loop.
  for (const Tensor& input : inputs) {
    if (input.impl()->id == out_id) return;
  }
  std::shared_ptr<const BackwardFunction> shared;
  for (TapeState* tape : tapes()) {
    if (!tape->recording()) continue;
    const bool tracked = std::any_of(inputs.begin(), inputs.end(), [&](const Tensor& input) {
      return tape->tracked.count(input.impl()->id) != 0;
    });
    if (!tracked) continue;
    if (!shared) shared = std::make_shared<const BackwardFunction>(std::move(backward));
    Record r{op, {}, out_id, shared};
    r.inputs.reserve(inputs.size());
    for (const Tensor& input : inputs) r.inputs.push_back(input.impl()->id);
    tape->records.push_back(std::move(r));
    tape->tracked.insert(out_id);
  }
}

PauseAll::PauseAll() : paused_(tapes()) {
  for (TapeState* tape : paused_) ++tape->pauses;
}

PauseAll::~PauseAll() {
  for (TapeState* tape : paused_) --tape->pauses;
}

}  // namespace ember::autodiff
