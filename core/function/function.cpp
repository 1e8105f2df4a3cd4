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

std::vector<Tensor> FunctionCore::call(const std::vector<Tensor>& args, const Body& body,
                                       const std::string& structure) {
  // Inside another function's trace this one is part of that trace.
  if (trace::tracing()) return body(args);
  const std::string signature = structure + "|" + signature_of(args, options_.name);
  std::shared_ptr<const trace::Graph> graph;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (const auto it = graphs_.find(signature); it != graphs_.end()) graph = it->second;
  }
  if (graph) return graph->run(args);

  // First call with this signature: run the function once, recording, and keep the graph.
  trace::TraceScope scope(options_.name, options_.warn_on_host_read);
  const std::vector<Tensor> handles = scope.add_arguments(args);
  const std::vector<Tensor> outputs = body(handles);
  TraceStats stats;
  std::shared_ptr<const trace::Graph> built = scope.finish(outputs, stats);
  int traces = 0;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    graphs_.emplace(signature, std::move(built));
    traces = ++tracing_count_;
    last_trace_ = stats;
  }
  if (traces == retrace_warning_threshold + 1) {
    warn(cat("function '", options_.name, "' has been traced ", traces,
             " times, once per new signature of its arguments (shapes, dtypes, devices); ",
             "tracing costs more than replaying, so keep the shapes fixed (a batch size that ",
             "divides the data, drop_remainder) where you can. Last signature: ", signature));
  }
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
