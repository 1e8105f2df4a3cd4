// Recording ops into a graph while ember::function traces (internal; see core/function/function.h).
//
// A value is *traced* when it depends on the function's arguments, on a variable or on random
// numbers. Every op with its own kernel (a leaf op) runs through detail::run_op
// (core/ops/run_op.h): while a trace records and one of the op's tensor arguments is traced, the
// op runs once right there (with recording paused below it) and is recorded as a node that calls
// the same op again, with the same non-tensor arguments, on the replay's values. An op whose
// inputs are all constants is not recorded: its result is a constant of the graph (constant
// folding). Random ops and variable reads are recorded even without traced inputs (they give new
// values on every call); variable writes and optimizer steps are recorded as effects, which
// pruning keeps.
//
// Two rules keep replays exact. An op made of other ops (clip_by_value, dropout, depthwise_conv2d,
// ...) is not a node: its parts are recorded one by one. And a leaf op's gradient is made from the
// op's arguments and results only (run_op hands its rule nothing else), never from a value made
// inside the op, which a replay would give as the trace's copy.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/operand.h"
#include "core/tensor.h"

namespace ember {
class Variable;
}  // namespace ember

namespace ember::trace {

/// pure: same inputs give the same outputs (may be merged with an identical node); source: new
/// values each run (random numbers, variable reads); effect: changes state (always kept).
enum class NodeKind { pure, source, effect };

/// Runs a recorded node again: the replay's input values in, the outputs out.
using Replay = std::function<std::vector<Tensor>(const std::vector<Tensor>&)>;

/// Whether a trace records on this thread now (a thread-local read when none does).
bool recording();
/// Whether `t` is a traced value of the recording trace.
bool is_traced(const Tensor& t);
/// Adds a node whose inputs are `inputs` (traced values or constants) and outputs `outputs`.
/// `key` ("" when the node must not be merged) names the op and its non-tensor arguments.
void record(std::string key, NodeKind kind, const std::vector<Tensor>& inputs,
            const std::vector<Tensor>& outputs, Replay replay);
/// The value a variable read gave: recorded as a read of `variable` so replays read it afresh.
Tensor variable_read(const Variable& variable, Tensor value);
/// Called when a traced value is read on the host (item, to_vector): warns once per trace that
/// the function will go on using the value read now.
void note_host_read(const Tensor& t, const char* what);

/// Pauses recording for a scope: an op's own work, an optimizer step.
class Pause {
 public:
  Pause();
  ~Pause();
  Pause(const Pause&) = delete;
  Pause& operator=(const Pause&) = delete;
};

namespace detail {

// --- arguments: which are tensors (inputs of the node), what is kept of the others -------------

/// Arg<T>::Kept is what a node keeps of an argument of type T: the value itself, except for
/// tensors, whose replay values take their place.
template <class T>
struct Arg {
  using Kept = T;
  static std::size_t count(const T&) { return 0; }
  static void collect(const T&, std::vector<Tensor>&) {}
  static Kept keep(const T& value) { return value; }
  static T substitute(const Kept& kept, const std::vector<Tensor>&, std::size_t) { return kept; }
};
template <>
struct Arg<Tensor> {
  using Kept = bool;  // whether the argument was defined (optional tensors may not be)
  static std::size_t count(const Tensor& t) { return t.defined() ? 1 : 0; }
  static void collect(const Tensor& t, std::vector<Tensor>& out) {
    if (t.defined()) out.push_back(t);
  }
  static Kept keep(const Tensor& t) { return t.defined(); }
  static Tensor substitute(Kept defined, const std::vector<Tensor>& in, std::size_t at) {
    return defined ? in[at] : Tensor();
  }
};
template <>
struct Arg<Operand> {
  using Kept = std::optional<Operand>;  // the number, for a scalar
  static std::size_t count(const Operand& o) { return o.is_scalar() ? 0 : 1; }
  static void collect(const Operand& o, std::vector<Tensor>& out) {
    if (!o.is_scalar()) out.push_back(o.tensor());
  }
  static Kept keep(const Operand& o) { return o.is_scalar() ? Kept(o) : std::nullopt; }
  static Operand substitute(const Kept& kept, const std::vector<Tensor>& in, std::size_t at) {
    return kept ? *kept : Operand(in[at]);
  }
};
template <>
struct Arg<std::optional<Tensor>> {
  using Kept = bool;
  static std::size_t count(const std::optional<Tensor>& t) { return t && t->defined() ? 1 : 0; }
  static void collect(const std::optional<Tensor>& t, std::vector<Tensor>& out) {
    if (t && t->defined()) out.push_back(*t);
  }
  static Kept keep(const std::optional<Tensor>& t) { return t && t->defined(); }
  static std::optional<Tensor> substitute(Kept defined, const std::vector<Tensor>& in,
                                          std::size_t at) {
    return defined ? std::optional<Tensor>(in[at]) : std::nullopt;
  }
};
template <>
struct Arg<std::vector<Tensor>> {
  using Kept = std::size_t;
  static std::size_t count(const std::vector<Tensor>& v) { return v.size(); }
  static void collect(const std::vector<Tensor>& v, std::vector<Tensor>& out) {
    out.insert(out.end(), v.begin(), v.end());
  }
  static Kept keep(const std::vector<Tensor>& v) { return v.size(); }
  static std::vector<Tensor> substitute(Kept size, const std::vector<Tensor>& in, std::size_t at) {
    return std::vector<Tensor>(in.begin() + static_cast<std::ptrdiff_t>(at),
                               in.begin() + static_cast<std::ptrdiff_t>(at + size));
  }
};

// --- results: what an op returns, as a list of tensors ------------------------------------------

inline std::vector<Tensor> flatten(const Tensor& t) { return {t}; }
inline std::vector<Tensor> flatten(const std::vector<Tensor>& v) { return v; }
/// An op result with several tensors (FusedBatchNormResult) lists them with tensors().
template <class Result>
requires requires(const Result& r) { r.tensors(); }
std::vector<Tensor> flatten(const Result& r) { return r.tensors(); }

// --- keys: the op and its non-tensor arguments, for merging identical nodes --------------------

/// The exact text of a number (hexadecimal for floating point: 1e-9 and 2e-9 must differ).
std::string exact_text(double value);

/// Appends a text form of `value`; false for types without one (the node is then never merged).
template <class T>
bool append_key(std::string& key, const T& value) {
  if constexpr (std::is_same_v<T, Tensor> || std::is_same_v<T, std::vector<Tensor>> ||
                std::is_same_v<T, std::optional<Tensor>>) {
    key += "T";
    return true;
  } else if constexpr (std::is_same_v<T, Operand>) {
    if (!value.is_scalar()) {
      key += "T";
      return true;
    }
    key += std::to_string(static_cast<int>(value.scalar().natural_dtype()));
    key += ':';
    key += exact_text(value.scalar().as_double());
    return true;
  } else if constexpr (std::is_same_v<T, bool> || std::is_integral_v<T>) {
    key += std::to_string(value);
    return true;
  } else if constexpr (std::is_floating_point_v<T>) {
    key += exact_text(value);
    return true;
  } else if constexpr (std::is_enum_v<T>) {
    key += std::to_string(static_cast<long long>(value));
    return true;
  } else if constexpr (std::is_same_v<T, Shape>) {
    for (std::int64_t d : value.dims()) (key += std::to_string(d)) += ',';
    return true;
  } else if constexpr (std::is_same_v<T, std::vector<std::int64_t>>) {
    for (std::int64_t d : value) (key += std::to_string(d)) += ',';
    return true;
  } else if constexpr (std::is_same_v<T, const char*> || std::is_same_v<T, std::string>) {
    key += value;
    return true;
  } else if constexpr (requires {
                         value.all();
                         value.list();
                       }) {  // reduction axes
    if (value.all())
      key += "all";
    else
      append_key(key, value.list());
    return true;
  } else if constexpr (requires {
                         value.has_value();
                         *value;
                       }) {  // std::optional of a keyable type
    if (!value.has_value()) {
      key += "none";
      return true;
    }
    return append_key(key, *value);
  } else {
    return false;
  }
}

template <class... Args>
std::string key_of(const char* op, const Args&... args) {
  std::string key = op;
  key += "(";
  bool keyed = true;
  ((keyed = keyed && append_key(key, args), key += ";"), ...);
  return keyed ? key + ")" : std::string();
}

}  // namespace detail

/// Runs `f(args...)` and records it (see the top of this file). Returns nothing when the call
/// need not be recorded (no traced input, and not a source or effect): the op then computes as
/// usual and its result is a constant of the graph.
template <class F, class... Args>
auto traced_call(const char* op, NodeKind kind, F f, const Args&... args)
    -> std::optional<decltype(f(args...))> {
  std::vector<Tensor> inputs;
  (detail::Arg<Args>::collect(args, inputs), ...);
  if (kind == NodeKind::pure) {
    bool any_traced = false;
    for (const Tensor& t : inputs) any_traced = any_traced || is_traced(t);
    if (!any_traced) return std::nullopt;
  }
  std::optional<decltype(f(args...))> result;
  {
    const Pause pause;
    result.emplace(f(args...));
  }
  // Offsets of each argument's tensors among the inputs, then the arguments without their
  // tensors (the graph must not keep traced values alive).
  std::array<std::size_t, sizeof...(Args)> offsets{};
  {
    std::size_t at = 0, i = 0;
    ((offsets[i++] = at, at += detail::Arg<Args>::count(args)), ...);
  }
  using ArgTypes = std::tuple<Args...>;
  auto kept = std::make_tuple(detail::Arg<Args>::keep(args)...);
  Replay replay = [f, kept, offsets](const std::vector<Tensor>& in) -> std::vector<Tensor> {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return detail::flatten(f(detail::Arg<std::tuple_element_t<I, ArgTypes>>::substitute(
          std::get<I>(kept), in, offsets[I])...));
    }
    (std::index_sequence_for<Args...>{});
  };
  record(kind == NodeKind::pure ? detail::key_of(op, args...) : std::string(), kind, inputs,
         detail::flatten(*result), std::move(replay));
  return result;
}

/// Runs `f(args...)` (a variable write, an optimizer step) and records it as an effect: replays
/// run it again, and pruning keeps it.
template <class F, class... Args>
void record_effect(const char* op, F f, const Args&... args) {
  traced_call(
      op, NodeKind::effect,
      [f](const auto&... a) {
        f(a...);
        return std::vector<Tensor>{};
      },
      args...);
}

}  // namespace ember::trace
