// Graph functions (lesson 8; tf.function): ember::function(f) traces f the first time it is
// called with a given input signature (the shapes, dtypes and devices of its tensor arguments)
// into a graph of ops, and later calls with that signature replay the graph instead of running
// f's C++ code:
//
//   auto train_step = function([&](const Tensor& x, const Tensor& y) {
//     GradientTape tape;
//     Tensor loss = loss_fn(y, model(x));
//     opt.apply_gradients(tape.gradient(loss, model.trainable_variables()),
//     model.trainable_variables()); return loss;
//   });
//   Tensor loss = train_step(x_batch, y_batch);   // first call: traces (and computes)
//
// The graph keeps only what reaches the results or changes state (variable writes, optimizer
// steps), merges identical computations, and computes once what depends on neither the
// arguments nor variables nor random numbers (constant folding). As in TensorFlow, C++ code
// runs only while tracing: a print, a host counter, a branch on a tensor's value read with
// item() happen once, and their outcome is part of the graph. Variables and optimizers are
// captured by reference and must outlive the function; a function called inside another one's
// trace becomes part of it.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/keywords.h"
#include "core/tensor.h"

namespace ember {

namespace trace {
class Graph;
}

struct FunctionOptions {
  /// Named in warnings ("function 'train_step': ...").
  std::string name = "function";
  /// Warn when the traced code reads a traced value on the host (item, to_vector). A caller
  /// that handles such traces itself (fit falls back to eager) turns this off and reads
  /// TraceStats::host_read.
  bool warn_on_host_read = true;
};

/// More traces than this for one function warn, as TensorFlow does: a new signature each call
/// (a varying batch size, say) means tracing instead of replaying.
inline constexpr int retrace_warning_threshold = 5;

/// What the last trace recorded and what its graph kept.
struct TraceStats {
  std::size_t recorded = 0;   // nodes recorded (ops on traced values, reads, random ops, writes)
  std::size_t kept = 0;       // nodes in the graph after pruning and merging
  std::size_t merged = 0;     // nodes merged into an identical earlier one
  std::size_t constants = 0;  // constant tensors the graph holds
  /// What first read a traced value on the host while tracing ("item", "to_vector"); empty when
  /// nothing did. Such a graph goes on using the value read during the trace.
  std::string host_read;
};

namespace detail {

/// The non-template part of Function: the graphs by signature, tracing, replaying.
class FunctionCore {
 public:
  explicit FunctionCore(FunctionOptions options) : options_(std::move(options)) {}
  using Body = std::function<std::vector<Tensor>(const std::vector<Tensor>&)>;
  /// Replays the graph traced for these arguments' signature, tracing `body` on the first call.
  /// `structure` tells apart calls whose flat argument lists look alike but mean different
  /// things (fit's batches with and without sample weights).
  std::vector<Tensor> call(const std::vector<Tensor>& args, const Body& body,
                           const std::string& structure = "");
  int tracing_count() const;
  TraceStats last_trace() const;

 private:
  FunctionOptions options_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const trace::Graph>> graphs_;
  int tracing_count_ = 0;
  TraceStats last_trace_;
};

template <class R>
std::vector<Tensor> results_as_list(R&& result) {
  if constexpr (std::is_same_v<std::decay_t<R>, Tensor>)
    return {std::forward<R>(result)};
  else
    return std::vector<Tensor>(std::forward<R>(result));
}

template <std::size_t>
using TensorArg = const Tensor&;

}  // namespace detail

/// A traced callable; see the top of this file. F takes `const Tensor&` arguments and returns a
/// Tensor, a std::vector<Tensor> or nothing.
template <class F>
class Function {
 public:
  explicit Function(F f, FunctionOptions options = {})
      : f_(std::move(f)), core_(std::make_shared<detail::FunctionCore>(std::move(options))) {}

  template <class... Args>
  requires(std::is_same_v<Args, Tensor>&&...) auto operator()(const Args&... args) {
    using Result = std::invoke_result_t<F&, const Args&...>;
    const std::vector<Tensor> in{args...};
    const detail::FunctionCore::Body body =
        [this](const std::vector<Tensor>& a) -> std::vector<Tensor> {
      return invoke(a, std::index_sequence_for<Args...>{});
    };
    std::vector<Tensor> out = core_->call(in, body);
    if constexpr (std::is_void_v<Result>) {
      return;
    } else if constexpr (std::is_same_v<std::decay_t<Result>, Tensor>) {
      return out[0];
    } else {
      return out;
    }
  }

  /// How many times the function was traced (once per new input signature).
  int tracing_count() const { return core_->tracing_count(); }
  /// What the last trace recorded and kept.
  TraceStats last_trace() const { return core_->last_trace(); }

 private:
  template <std::size_t... I>
  std::vector<Tensor> invoke(const std::vector<Tensor>& a, std::index_sequence<I...>) {
    if constexpr (std::is_void_v<decltype(f_(a[I]...))>) {
      f_(a[I]...);
      return {};
    } else {
      return detail::results_as_list(f_(a[I]...));
    }
  }

  F f_;
  std::shared_ptr<detail::FunctionCore> core_;
};

/// ember::function(f): tf.function.
template <class F>
Function<F> function(F f, FunctionOptions options = {}) {
  return Function<F>(std::move(f), std::move(options));
}
/// The same with keyword arguments: function(f, _name = "train_step").
template <class F, class... K>
requires(sizeof...(K) > 0 &&
         (KeywordFor<K, FunctionOptions> && ...)) Function<F> function(F f, const K&... keywords) {
  return Function<F>(std::move(f), with_keywords<FunctionOptions>(keywords...));
}

}  // namespace ember
