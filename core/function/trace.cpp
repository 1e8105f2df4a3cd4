// The tracer behind ember::function: records nodes while a function runs for the first time with
// an input signature, then builds the graph that later calls replay — pruned to what reaches the
// outputs or changes state, identical nodes merged, each value released after its last use.
#include "core/function/trace.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "core/error.h"
#include "core/function/graph_function.h"
#include "core/tensor_impl.h"
#include "core/variable.h"

namespace ember::trace {

class Tracer {
 public:
  Tracer(std::string name, bool warn_on_host_read)
      : name_(std::move(name)), warn_on_host_read_(warn_on_host_read) {}

  int slot_count() const { return static_cast<int>(traced_.size()); }
  bool traced(const Tensor& t) const {
    if (!t.defined()) return false;
    const auto it = slot_of_.find(t.impl().get());
    return it != slot_of_.end() && traced_[it->second];
  }
  /// The slot of an op's input: its traced value, or a constant captured now.
  int input_slot(const Tensor& t) {
    const auto it = slot_of_.find(t.impl().get());
    if (it != slot_of_.end()) return it->second;
    const int slot = new_slot(t, false);
    constants_.emplace_back(slot, t);
    return slot;
  }
  int output_slot(const Tensor& t) { return t.defined() ? new_slot(t, true) : -1; }

  /// Fresh handles on the arguments: their own identities, so an argument passed twice or
  /// captured elsewhere is still told apart.
  std::vector<Tensor> add_arguments(const std::vector<Tensor>& args) {
    std::vector<Tensor> handles;
    for (const Tensor& a : args) {
      Tensor handle = ember::detail::view(a, a.shape());
      arg_slots_.push_back(new_slot(handle, true));
      handles.push_back(handle);
    }
    return handles;
  }

  void add(Node node) {
    if (node.kind == NodeKind::effect) ++effects_;
    nodes_.push_back(std::move(node));
  }
  int& pause_depth() { return pause_depth_; }
  const std::string& name() const { return name_; }
  /// Whether `t` is a traced value made since the last effect: a variable's value read before a
  /// write (an optimizer step, an assign) must be read again after it, even when the write
  /// updated the same storage in place (two training steps in one trace).
  bool traced_since_last_effect(const Tensor& t) const {
    if (!traced(t)) return false;
    return effects_at_slot_[slot_of_.at(t.impl().get())] == effects_;
  }
  bool warn_on_host_read() const { return warn_on_host_read_; }
  std::string host_read;  // what first read a traced value on the host

  std::shared_ptr<Graph> finish(const std::vector<Tensor>& outputs, TraceStats& stats);

 private:
  int new_slot(const Tensor& t, bool traced) {
    const int slot = slot_count();
    traced_.push_back(traced);
    effects_at_slot_.push_back(effects_);
    slot_of_[t.impl().get()] = slot;
    keepalive_.push_back(t);  // keeps the address unique while the trace runs
    return slot;
  }

  std::string name_;
  bool warn_on_host_read_;
  std::vector<Node> nodes_;
  std::vector<int> effects_at_slot_;  // per slot: the effects recorded before it was made
  int effects_ = 0;
  std::unordered_map<const ember::detail::TensorImpl*, int> slot_of_;
  std::vector<bool> traced_;
  std::vector<std::pair<int, Tensor>> constants_;
  std::vector<int> arg_slots_;
  std::vector<Tensor> keepalive_;
  int pause_depth_ = 0;
};

namespace {
thread_local Tracer* current = nullptr;
}  // namespace

// --- recording
// --------------------------------------------------------------------------------------

bool recording() { return current != nullptr && current->pause_depth() == 0; }

bool is_traced(const Tensor& t) { return current != nullptr && current->traced(t); }

void record(std::string key, NodeKind kind, const std::vector<Tensor>& inputs,
            const std::vector<Tensor>& outputs, Replay replay) {
  if (current == nullptr) return;
  Node node{std::move(key), kind, {}, {}, std::move(replay)};
  for (const Tensor& t : inputs) node.inputs.push_back(current->input_slot(t));
  for (const Tensor& t : outputs) node.outputs.push_back(current->output_slot(t));
  current->add(std::move(node));
}

Tensor variable_read(const Variable& variable, Tensor value) {
  if (!recording() || current->traced_since_last_effect(value)) return value;
  // read(): a tape recording around a replay sees the variable read, as in eager execution.
  record(
      "", NodeKind::source, {}, {value},
      [variable](const std::vector<Tensor>&) -> std::vector<Tensor> { return {variable.read()}; });
  return value;
}

void note_host_read(const Tensor& t, const char* what) {
  if (!recording() || !current->traced(t) || !current->host_read.empty()) return;
  current->host_read = what;
  if (!current->warn_on_host_read()) return;
  warn(cat(
      "function '", current->name(), "': ", what,
      " reads a traced value on the host while tracing; later ",
      "calls reuse the value read now (keep the computation in ops to have it run on every call)"));
}

Pause::Pause() {
  if (current != nullptr) ++current->pause_depth();
}
Pause::~Pause() {
  if (current != nullptr) --current->pause_depth();
}

namespace detail {

std::string exact_text(double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%a", value);
  return text;
}

}  // namespace detail

// --- building the graph
// --------------------------------------------------------------------------------

std::shared_ptr<Graph> Tracer::finish(const std::vector<Tensor>& outputs, TraceStats& stats) {
  auto graph = std::make_shared<Graph>();
  for (const Tensor& t : outputs) graph->output_slots.push_back(t.defined() ? input_slot(t) : -1);
  stats.recorded = nodes_.size();
  stats.host_read = host_read;

  // Prune: keep effects and whatever feeds them or the outputs, walking back from the end.
  std::vector<bool> needed(static_cast<std::size_t>(slot_count()), false);
  for (int s : graph->output_slots) {
    if (s >= 0) needed[s] = true;
  }
  std::vector<bool> keep(nodes_.size(), false);
  for (std::size_t i = nodes_.size(); i-- > 0;) {
    const Node& node = nodes_[i];
    bool wanted = node.kind == NodeKind::effect;
    for (int s : node.outputs) wanted = wanted || (s >= 0 && needed[s]);
    if (!wanted) continue;
    keep[i] = true;
    for (int s : node.inputs) needed[s] = true;
  }

  // Merge identical pure nodes (same op, arguments and inputs): later reads take the first's
  // values. Everything else keeps its recorded order, which keeps reads and writes of variables
  // in sequence.
  std::vector<int> alias(static_cast<std::size_t>(slot_count()));
  for (int s = 0; s < slot_count(); ++s) alias[s] = s;
  std::map<std::string, std::size_t> first_with_key;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (!keep[i]) continue;
    Node& node = nodes_[i];
    for (int& s : node.inputs) s = alias[s];
    if (node.kind == NodeKind::pure && !node.key.empty()) {
      std::string full = node.key;
      for (int s : node.inputs) {
        full += '|';
        full += std::to_string(s);
      }
      const auto found = first_with_key.find(full);
      if (found != first_with_key.end()) {
        const Node& first = graph->nodes[found->second];
        for (std::size_t j = 0; j < node.outputs.size(); ++j) {
          if (node.outputs[j] >= 0) alias[node.outputs[j]] = first.outputs[j];
        }
        ++stats.merged;
        continue;
      }
      first_with_key.emplace(std::move(full), graph->nodes.size());
    }
    graph->nodes.push_back(std::move(node));
  }
  for (int& s : graph->output_slots) {
    if (s >= 0) s = alias[s];
  }
  stats.kept = graph->nodes.size();

  // Constants still read, arguments, and where each value is last read.
  std::vector<int> last_use(static_cast<std::size_t>(slot_count()), -1);
  for (std::size_t i = 0; i < graph->nodes.size(); ++i) {
    for (int s : graph->nodes[i].inputs) last_use[s] = static_cast<int>(i);
  }
  for (int s : graph->output_slots) {
    if (s >= 0) last_use[s] = std::numeric_limits<int>::max();
  }
  for (const auto& [slot, value] : constants_) {
    if (last_use[slot] >= 0) graph->constants.emplace_back(slot, value);
  }
  stats.constants = graph->constants.size();
  graph->arg_slots = arg_slots_;
  graph->slot_count = slot_count();
  graph->release_after.resize(graph->nodes.size());
  for (int s = 0; s < slot_count(); ++s) {
    const bool read_and_released =
        last_use[s] >= 0 && last_use[s] != std::numeric_limits<int>::max();
    if (read_and_released) graph->release_after[last_use[s]].push_back(s);
  }
  return graph;
}

std::vector<Tensor> Graph::run(const std::vector<Tensor>& args) const {
  std::vector<Tensor> values(static_cast<std::size_t>(slot_count));
  for (const auto& [slot, value] : constants) values[slot] = value;
  for (std::size_t i = 0; i < args.size(); ++i) values[arg_slots[i]] = args[i];
  std::vector<Tensor> inputs;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const Node& node = nodes[i];
    inputs.clear();
    for (int s : node.inputs) inputs.push_back(values[s]);
    std::vector<Tensor> results = node.replay(inputs);
    if (results.size() != node.outputs.size()) {
      throw Error(cat("graph function: a replayed node gave ", results.size(),
                      " values, its trace ", node.outputs.size()));
    }
    for (std::size_t j = 0; j < results.size(); ++j) {
      if (node.outputs[j] >= 0) values[node.outputs[j]] = std::move(results[j]);
    }
    // Dropping values after their last read frees memory early and lets in-place updates (the
    // optimizer's) find their variables unshared, as in eager execution.
    for (int s : release_after[i]) values[s] = Tensor();
  }
  std::vector<Tensor> outputs;
  for (int s : output_slots) outputs.push_back(s >= 0 ? values[s] : Tensor());
  return outputs;
}

// --- tracing scope
// ------------------------------------------------------------------------------------

TraceScope::TraceScope(const std::string& name, bool warn_on_host_read)
    : tracer_(std::make_unique<Tracer>(name, warn_on_host_read)), previous_(current) {
  current = tracer_.get();
}

TraceScope::~TraceScope() { current = previous_; }

std::vector<Tensor> TraceScope::add_arguments(const std::vector<Tensor>& args) {
  return tracer_->add_arguments(args);
}

std::shared_ptr<Graph> TraceScope::finish(const std::vector<Tensor>& outputs, TraceStats& stats) {
  current = previous_;
  return tracer_->finish(outputs, stats);
}

bool tracing() { return current != nullptr; }

}  // namespace ember::trace
