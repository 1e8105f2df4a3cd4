#include "layers/trainers/step_function.h"

#include "core/error.h"

namespace ember::keras::detail {

namespace {

/// The batches as one flat list of tensors, and a text saying where each batch's x, y and
/// weights are in it (part of the trace's signature).
std::vector<Tensor> flatten(const std::vector<Batch>& batches, std::string& structure) {
  std::vector<Tensor> flat;
  for (const Batch& b : batches) {
    structure += cat("x", b.x.size(), "y", b.y.size(), b.sample_weight.defined() ? "w" : "",
                     b.replica_share.defined() ? "s;" : ";");
    flat.insert(flat.end(), b.x.begin(), b.x.end());
    flat.insert(flat.end(), b.y.begin(), b.y.end());
    if (b.sample_weight.defined()) flat.push_back(b.sample_weight);
    if (b.replica_share.defined()) flat.push_back(b.replica_share);
  }
  return flat;
}

/// The inverse of flatten, on the trace's handles of the same tensors.
std::vector<Batch> unflatten(const std::vector<Batch>& like, const std::vector<Tensor>& flat) {
  std::vector<Batch> batches;
  std::size_t at = 0;
  const auto take = [&](std::size_t n) {
    std::vector<Tensor> part(flat.begin() + static_cast<std::ptrdiff_t>(at),
                             flat.begin() + static_cast<std::ptrdiff_t>(at + n));
    at += n;
    return part;
  };
  for (const Batch& b : like) {
    Batch handles;
    handles.x = take(b.x.size());
    handles.y = take(b.y.size());
    if (b.sample_weight.defined()) handles.sample_weight = take(1)[0];
    if (b.replica_share.defined()) handles.replica_share = take(1)[0];
    batches.push_back(std::move(handles));
  }
  return batches;
}

}  // namespace

StepFunction::StepFunction(std::string step_name, std::string method)
    : step_name_(std::move(step_name)),
      method_(std::move(method)),
      core_(FunctionOptions{.name = step_name_, .warn_on_host_read = false}) {}

std::vector<std::vector<Tensor>> StepFunction::run_eagerly(const std::vector<Batch>& batches,
                                                           const Step& step) const {
  std::vector<std::vector<Tensor>> results;
  for (const Batch& b : batches) results.push_back(step(b));
  return results;
}

std::vector<std::vector<Tensor>> StepFunction::run(const std::vector<Batch>& batches, bool eagerly,
                                                   const Step& step) {
  if (eagerly || !eager_reason_.empty() || !warmed_up_) {
    std::vector<std::vector<Tensor>> results = run_eagerly(batches, step);
    warmed_up_ = true;
    return results;
  }
  std::string structure;
  const std::vector<Tensor> flat = flatten(batches, structure);
  std::size_t per_batch = 0;
  const ember::detail::FunctionCore::Body body = [&](const std::vector<Tensor>& handles) {
    std::vector<Tensor> out;
    for (const Batch& b : unflatten(batches, handles)) {
      std::vector<Tensor> r = step(b);
      per_batch = r.size();
      out.insert(out.end(), r.begin(), r.end());
    }
    return out;
  };
  const int traces_before = core_.tracing_count();
  const std::vector<Tensor> out = core_.call(flat, body, structure);
  if (core_.tracing_count() != traces_before) {
    const std::string read = core_.last_trace().host_read;
    if (!read.empty()) {
      eager_reason_ = cat(step_name_, " reads a traced tensor's value on the host (", read, ")");
      warn(cat(method_, ": ", eager_reason_,
               ", so its graph would reuse the value read while tracing; running it eagerly ",
               "from now on (compile with run_eagerly = true to say so without this warning)"));
    }
  } else if (!batches.empty()) {
    per_batch = out.size() / batches.size();
  }
  if (per_batch * batches.size() != out.size()) {
    throw Error(cat(method_, ": ", step_name_, " gave ", out.size(), " tensors for ",
                    batches.size(), " batches; each batch must give as many"));
  }
  std::vector<std::vector<Tensor>> results;
  for (std::size_t i = 0; i < batches.size(); ++i) {
    const auto first = out.begin() + static_cast<std::ptrdiff_t>(i * per_batch);
    results.emplace_back(first, first + static_cast<std::ptrdiff_t>(per_batch));
  }
  return results;
}

}  // namespace ember::keras::detail
