
#include "core/autodiff/gradient_tape.h"

#include <algorithm>
#include <ostream>
#include <unordered_map>

#include "core/autodiff/autodiff.h"
#include "core/error.h"
#include "core/ops/creation.h"
#include "core/ops/elementwise.h"
#include "core/ops/run_op.h"
#include "core/print_list.h"
#include "core/tensor_impl.h"

namespace ember {
namespace {

void unregister(autodiff::TapeState* state) {
  auto& live = autodiff::tapes();
  live.erase(std::remove(live.begin(), live.end(), state), live.end());
}

}  // namespace

GradientSource::GradientSource(const Variable& v)
    : id_(v.id()), value_(v.value()), name_("variable '" + v.name() + "'"), variable_(v) {}

GradientSource::GradientSource(const Tensor& t) : value_(t) {
  detail::check_defined(t, "GradientTape");
  id_ = t.impl()->id;
  name_ = "tensor of shape " + t.shape().to_string();
}

RecordingPause::RecordingPause(std::shared_ptr<autodiff::TapeState> tape) : tape_(std::move(tape)) {
  ++tape_->pauses;
}
RecordingPause::~RecordingPause() {
  if (tape_) --tape_->pauses;
}
RecordingPause::RecordingPause(RecordingPause&& other) noexcept : tape_(std::move(other.tape_)) {}

GradientTape::GradientTape(GradientTapeOptions options)
    : state_(std::make_shared<autodiff::TapeState>()) {
  state_->persistent = options.persistent;
  state_->watch_accessed_variables = options.watch_accessed_variables;
  autodiff::tapes().push_back(state_.get());
}

GradientTape::~GradientTape() { unregister(state_.get()); }

void GradientTape::watch(const GradientSource& source) {
  if (!is_floating(source.value().dtype())) {
    warn(cat("GradientTape::watch: the ", source.name(), " has dtype ",
             dtype_name(source.value().dtype()),
             "; gradients exist only for floating dtypes (float32, float64, float16, bfloat16)"));
  }
  const bool added = state_->tracked.insert(source.id()).second;
  if (added && source.variable()) state_->watched_variables.push_back(*source.variable());
}

void GradientTape::watch(std::initializer_list<GradientSource> sources) {
  for (const GradientSource& s : sources) watch(s);
}

std::vector<std::vector<std::optional<Tensor>>> GradientTape::gradient(
    const GradientSource& target, const std::vector<std::vector<Variable>>& sources) {
  // One computation for all the lists (a non-persistent tape computes once), split after.
  std::vector<GradientSource> flat;
  for (const auto& list : sources) flat.insert(flat.end(), list.begin(), list.end());
  const std::vector<std::optional<Tensor>> all = compute(target, flat);
  std::vector<std::vector<std::optional<Tensor>>> out;
  std::size_t next = 0;
  for (const auto& list : sources) {
    out.emplace_back(all.begin() + static_cast<std::ptrdiff_t>(next),
                     all.begin() + static_cast<std::ptrdiff_t>(next + list.size()));
    next += list.size();
  }
  return out;
}

std::vector<std::optional<Tensor>> GradientTape::compute(const GradientSource& target,
                                                         const std::vector<GradientSource>& sources,
                                                         const ReadyCallback& on_ready) {
  autodiff::TapeState& tape = *state_;
  if (tape.finished) {
    throw Error(
        "GradientTape::gradient: this tape has already computed gradients once; a non-persistent "
        "tape frees its records then. Create it with GradientTape({.persistent = true}) to call "
        "gradient() several times");
  }
  // The tape does not record its own gradient computation; outer tapes do (higher derivatives).
  const RecordingPause pause(state_);

  std::unordered_map<std::uint64_t, Tensor> grads;
  std::unordered_map<std::uint64_t, int> wanted;  // source ids: their gradients are kept
  for (const GradientSource& s : sources) ++wanted[s.id()];
  // With on_ready: the sources whose gradient is final once record i has been replayed (the
  // first record that uses them); those never used are reported at the end.
  std::unordered_map<std::size_t, std::vector<std::size_t>> final_after;
  std::vector<bool> reported(sources.size(), false);
  const auto report = [&](std::size_t source) {
    if (reported[source]) return;
    reported[source] = true;
    const auto found = grads.find(sources[source].id());
    if (found != grads.end() && is_floating(sources[source].value().dtype()))
      on_ready(source, found->second);
  };
  if (on_ready) {
    std::unordered_map<std::uint64_t, std::size_t> first_use;
    for (std::size_t i = 0; i < tape.records.size(); ++i) {
      for (std::uint64_t input : tape.records[i].inputs) {
        if (wanted.count(input) != 0) first_use.try_emplace(input, i);
      }
    }
    for (std::size_t source = 0; source < sources.size(); ++source) {
      const auto used = first_use.find(sources[source].id());
      if (used != first_use.end()) final_after[used->second].push_back(source);
    }
  }
  if (tape.tracked.count(target.id()) != 0 && is_floating(target.value().dtype())) {
    // A non-scalar target is summed first: its gradient seed is all ones.
    grads.emplace(target.id(), ones_like(target.value()));
    for (auto record = tape.records.rbegin(); record != tape.records.rend(); ++record) {
      if (on_ready) {
        // Sources first used by the record after this one are final now.
        const auto index = static_cast<std::size_t>(tape.records.rend() - record);
        const auto due = final_after.find(index);
        if (due != final_after.end()) {
          for (std::size_t source : due->second) report(source);
        }
      }
      const auto found = grads.find(record->output);
      if (found == grads.end()) continue;
      const Tensor output_gradient = found->second;
      if (wanted.count(record->output) == 0) grads.erase(found);  // free it early
      autodiff::NeedsMask mask = 0;
      for (std::size_t i = 0; i < record->inputs.size(); ++i) {
        if (i >= 64 || tape.tracked.count(record->inputs[i]) != 0)
          mask |= std::uint64_t{1} << (i % 64);
      }
      if (mask == 0) continue;
      const autodiff::Gradients input_gradients = (*record->backward)(output_gradient, mask);
      for (std::size_t i = 0; i < record->inputs.size(); ++i) {
        if (!autodiff::needs(mask, i) || !input_gradients[i]) continue;
        if (tape.tracked.count(record->inputs[i]) == 0) continue;
        auto [slot, inserted] = grads.try_emplace(record->inputs[i], *input_gradients[i]);
        if (!inserted) slot->second = add(slot->second, *input_gradients[i]);
      }
    }
  }
  if (on_ready) {
    for (std::size_t source = 0; source < sources.size(); ++source) report(source);
  }
  std::vector<std::optional<Tensor>> result;
  for (const GradientSource& s : sources) {
    if (!is_floating(s.value().dtype())) {
      warn(cat("GradientTape::gradient: the ", s.name(), " has dtype ",
               dtype_name(s.value().dtype()),
               "; gradients exist only for floating dtypes, so its gradient is none"));
      result.emplace_back(std::nullopt);
      continue;
    }
    const auto found = grads.find(s.id());
    result.emplace_back(found == grads.end() ? std::nullopt : std::optional<Tensor>(found->second));
  }
  if (!tape.persistent) {
    tape.finished = true;
    tape.records.clear();
    tape.tracked.clear();
    tape.watched_variables.clear();
  }
  return result;
}

RecordingPause GradientTape::stop_recording() { return RecordingPause(state_); }

void GradientTape::reset() {
  state_->records.clear();
  state_->tracked.clear();
  state_->watched_variables.clear();
  state_->finished = false;
}

std::vector<Variable> GradientTape::watched_variables() const { return state_->watched_variables; }

bool GradientTape::persistent() const { return state_->persistent; }

namespace {
Tensor stop_gradient_forward(const Tensor& x) {
  detail::check_defined(x, "stop_gradient");
  return detail::view(x, x.shape());  // a new identity that no tape has recorded
}
}  // namespace

Tensor stop_gradient(const Tensor& x) {
  return detail::run_op("stop_gradient", stop_gradient_forward, detail::no_gradient, x);
}

std::ostream& operator<<(std::ostream& out, const std::optional<Tensor>& gradient) {
  return gradient ? out << *gradient : out << "None";
}

std::ostream& operator<<(std::ostream& out, const std::vector<std::optional<Tensor>>& gradients) {
  return detail::print_list(out, gradients);
}

}  // namespace ember
