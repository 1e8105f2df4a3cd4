// The one entry point of every op with its own kernel, a leaf op (internal to core/). An op is
// written as two functions and one call:
//
//   Tensor relu_forward(const Tensor& x);                                 // checks, then computes
//   BackwardFunction relu_backward(const Tensor& out, const Tensor& x);   // core/ops/*_grad.cpp
//   Tensor relu(const Tensor& x) { return detail::run_op("relu", relu_forward, relu_backward, x); }
//
// run_op then does what every op needs, in one place:
// - while an ember::function traces and one of the tensor arguments is traced, it runs the op
//   once and records it as a graph node that calls run_op again with the replay's values (see
//   core/function/trace.h);
// - it records the op on every GradientTape that tracks one of its tensor arguments, with the
//   backward function the gradient rule makes from the op's result and arguments alone.
//
// The tensor arguments (Tensor, non-scalar Operand, defined optional<Tensor>, vector<Tensor>), in
// order, are the op's inputs on the tape: a backward function returns one gradient per input,
// none (std::nullopt) for inputs without one (indices, labels, conditions). A rule that returns
// an empty BackwardFunction records nothing (integer division, a cast to the same dtype). The
// rule sees only the op's arguments and results, never a value made inside the forward function,
// so a traced graph can always replay the gradient.
#pragma once

#include <type_traits>
#include <utility>
#include <vector>

#include "core/autodiff/autodiff.h"
#include "core/function/trace.h"

namespace ember::detail {

/// The rule of an op without a gradient (integer results, creation ops, copies).
struct NoGradient {};
inline constexpr NoGradient no_gradient{};

namespace op_entry {

template <class Result>
std::vector<Tensor> results_of(const Result& result) {
  return trace::detail::flatten(result);
}

/// Records `result` on the tapes with the backward functions `rule` makes (one, or one per
/// result tensor for ops with several results).
template <class Rule, class Result, class... Args>
void record(const char* name, Rule rule, const Result& result, const Args&... args) {
  if constexpr (!std::is_same_v<Rule, NoGradient>) {
    if (!autodiff::any_recording()) return;
    std::vector<Tensor> inputs;
    (trace::detail::Arg<Args>::collect(args, inputs), ...);
    if (!autodiff::tracks_any(inputs)) return;
    const std::vector<Tensor> outputs = results_of(result);
    auto backward = rule(result, args...);
    if constexpr (std::is_same_v<decltype(backward), autodiff::BackwardFunction>) {
      autodiff::record(name, inputs, outputs.front(), std::move(backward));
    } else {  // one backward function per result tensor
      for (std::size_t i = 0; i < outputs.size() && i < backward.size(); ++i) {
        autodiff::record(name, inputs, outputs[i], std::move(backward[i]));
      }
    }
  }
}

template <trace::NodeKind Kind, class Forward, class Rule, class... Args>
auto run(const char* name, Forward forward, Rule rule, const Args&... args)
    -> decltype(forward(args...)) {
  if (trace::recording()) {
    auto traced = trace::traced_call(
        name, Kind,
        [name, forward, rule](const auto&... replayed) {
          return run<Kind>(name, forward, rule, replayed...);
        },
        args...);
    if (traced) return std::move(*traced);
  }
  auto result = forward(args...);
  record(name, rule, result, args...);
  return result;
}

}  // namespace op_entry

/// Runs the leaf op `name`: forward(args...) computes it, rule(result, args...) makes its
/// backward function when a tape needs it (see the top of this file). Both are plain functions,
/// so that a traced graph can call them again.
template <class Forward, class Rule, class... Args>
auto run_op(const char* name, Forward forward, Rule rule, const Args&... args) {
  return op_entry::run<trace::NodeKind::pure>(name, forward, rule, args...);
}

/// The same for ops that give new values on every call (random numbers): a trace always records
/// them, whatever their arguments. They have no gradient.
template <class Forward, class... Args>
auto run_random_op(const char* name, Forward forward, const Args&... args) {
  return op_entry::run<trace::NodeKind::source>(name, forward, no_gradient, args...);
}

}  // namespace ember::detail
