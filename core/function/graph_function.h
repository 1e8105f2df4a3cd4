// The graph a trace builds and its replay (internal; see core/function/trace.h and
// core/function/function.h).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/function/function.h"
#include "core/function/trace.h"
#include "core/tensor.h"

namespace ember::trace {

class Tracer;

struct Node {
  std::string key;  // op and non-tensor arguments; "" if never merged
  NodeKind kind;
  std::vector<int> inputs;
  std::vector<int> outputs;  // -1 for an output the op left undefined
  Replay replay;
};

/// Recorded nodes in execution order over numbered value slots: the arguments, the captured
/// constants, and the nodes' outputs.
class Graph {
 public:
  /// Runs the nodes on these arguments (the traced signature's shapes, dtypes and devices).
  std::vector<Tensor> run(const std::vector<Tensor>& args) const;

  std::vector<Node> nodes;
  std::vector<std::vector<int>> release_after;  // per node: slots read for the last time
  std::vector<std::pair<int, Tensor>> constants;
  std::vector<int> arg_slots;
  std::vector<int> output_slots;  // -1: an undefined output
  int slot_count = 0;
};

/// Makes a new trace the recording one on this thread for its lifetime (restoring any other).
class TraceScope {
 public:
  /// `warn_on_host_read`: see FunctionOptions.
  TraceScope(const std::string& name, bool warn_on_host_read);
  ~TraceScope();
  TraceScope(const TraceScope&) = delete;
  TraceScope& operator=(const TraceScope&) = delete;

  /// Fresh handles on the arguments to call the function with.
  std::vector<Tensor> add_arguments(const std::vector<Tensor>& args);
  /// Ends recording and builds the graph that returns `outputs`.
  std::shared_ptr<Graph> finish(const std::vector<Tensor>& outputs, TraceStats& stats);

 private:
  std::unique_ptr<Tracer> tracer_;
  Tracer* previous_;
};

/// Whether a trace is open on this thread (recording or paused).
bool tracing();

}  // namespace ember::trace
