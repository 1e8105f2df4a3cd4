#include "distribute/gradient_reducer.h"

#include "core/autodiff/gradient_tape.h"
#include "core/error.h"
#include "core/function/trace.h"
#include "core/ops.h"
#include "distribute/buckets.h"

namespace ember::distribute {

GradientReducer::GradientReducer(Strategy strategy, std::vector<Variable> variables)
    : strategy_(std::move(strategy)),
      variables_(std::move(variables)),
      gradients_(variables_.size()),
      bucket_of_(variables_.size()) {
  // From the last variable back: the order the backward pass finishes their gradients.
  std::vector<detail::BucketEntry> entries;
  std::vector<std::size_t> order;
  for (std::size_t k = 0; k < variables_.size(); ++k) {
    const Variable& v = variables_[k];
    entries.push_back(
        {v.dtype(), v.device(), v.size() * static_cast<std::int64_t>(dtype_size(v.dtype()))});
    order.insert(order.begin(), k);
  }
  for (std::vector<std::size_t>& members :
       detail::plan_buckets(entries, order, strategy_.bucket_bytes())) {
    for (std::size_t k : members) bucket_of_[k] = buckets_.size();
    Bucket bucket;
    bucket.waiting = members.size();
    bucket.members = std::move(members);
    buckets_.push_back(std::move(bucket));
  }
}

std::vector<std::vector<std::size_t>> GradientReducer::buckets() const {
  std::vector<std::vector<std::size_t>> out;
  for (const Bucket& b : buckets_) out.push_back(b.members);
  return out;
}

void GradientReducer::ready(std::size_t index, const Tensor& gradient) {
  if (index >= variables_.size()) {
    throw Error(cat("GradientReducer: variable ", index, " of ", variables_.size()));
  }
  if (gradients_[index].defined()) return;
  gradients_[index] = gradient;
  --buckets_[bucket_of_[index]].waiting;
  start_complete_buckets();
}

void GradientReducer::start_complete_buckets() {
  while (next_to_start_ < buckets_.size() && buckets_[next_to_start_].waiting == 0) {
    start(buckets_[next_to_start_++]);
  }
}

void GradientReducer::start(Bucket& bucket) {
  std::vector<Tensor> parts;
  for (std::size_t k : bucket.members) parts.push_back(gradients_[k]);
  // The bucket goes as one flat tensor: one collective, whatever its number of variables.
  const auto launch = [strategy = strategy_,
                       pending = bucket.pending](const std::vector<Tensor>& values) {
    const autodiff::PauseAll untaped;
    pending->sum = strategy.all_reduce_async({detail::join_bucket(values)});
    return std::vector<Tensor>{};
  };
  if (trace::recording()) {
    trace::traced_call("GradientReducer.start", trace::NodeKind::effect, launch, parts);
  } else {
    launch(parts);
  }
}

std::vector<std::optional<Tensor>> GradientReducer::finish(
    const std::vector<std::optional<Tensor>>& grads) {
  if (grads.size() != variables_.size()) {
    throw Error(
        cat("GradientReducer: ", grads.size(), " gradients for ", variables_.size(), " variables"));
  }
  for (std::size_t k = 0; k < variables_.size(); ++k) {
    if (gradients_[k].defined()) continue;
    const autodiff::PauseAll untaped;
    ready(k, grads[k] && grads[k]->defined() ? *grads[k] : zeros_like(variables_[k].value()));
  }
  std::vector<std::optional<Tensor>> out(variables_.size());
  for (Bucket& bucket : buckets_) {
    std::vector<Shape> shapes;
    for (std::size_t k : bucket.members) shapes.push_back(variables_[k].shape());
    const auto wait = [pending = bucket.pending, shapes]() {
      const autodiff::PauseAll untaped;
      return detail::cut_bucket(pending->sum.get()[0], shapes);
    };
    const std::vector<Tensor> parts =
        trace::recording()
            ? *trace::traced_call("GradientReducer.wait", trace::NodeKind::effect, wait)
            : wait();
    for (std::size_t j = 0; j < bucket.members.size(); ++j) {
      const std::size_t k = bucket.members[j];
      if (grads[k] && grads[k]->defined()) out[k] = parts[j];
    }
  }
  return out;
}

}  // namespace ember::distribute
