#include "core/function/function.h"

#include "core/error.h"
#include "core/function/graph_function.h"
#include "core/function/trace.h"

namespace ember::detail {

namespace {

/// The shapes, dtypes and devices of the arguments: one graph per distinct signature.
std::string signature_of(const std::vector<Tensor>& args, const std::string& name) {
  std::string signature;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const Tensor& a = args[i];
    if (!a.defined())
      throw Error(cat("function '", name, "': argument ", i, " is an undefined tensor"));
    signature += cat(dtype_name(a.dtype()), a.shape(), "@", a.device(), ";");
  }
  return signature;
}

}  // namespace

std::vector<Tensor> FunctionCore::call(const std::vector<Tensor>& args, const Body& body) {
  // Inside another function's trace this one is part of that trace.
  if (trace::tracing()) return body(args);
  const std::string signature = signature_of(args, name_);
  std::shared_ptr<const trace::Graph> graph;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (const auto it = graphs_.find(signature); it != graphs_.end()) graph = it->second;
  }
  if (graph) return graph->run(args);

  // First call with this signature: run the function once, recording, and keep the graph.
  trace::TraceScope scope(name_);
  const std::vector<Tensor> handles = scope.add_arguments(args);
  const std::vector<Tensor> outputs = body(handles);
  TraceStats stats;
  std::shared_ptr<const trace::Graph> built = scope.finish(outputs, stats);
  const std::lock_guard<std::mutex> lock(mutex_);
  graphs_.emplace(signature, std::move(built));
  ++tracing_count_;
  last_trace_ = stats;
  return outputs;
}

int FunctionCore::tracing_count() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return tracing_count_;
}

TraceStats FunctionCore::last_trace() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return last_trace_;
}

}  // namespace ember::detail
