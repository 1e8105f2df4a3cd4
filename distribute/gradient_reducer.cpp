#include "distribute/gradient_reducer.h"

#include <map>
#include <string>

#include "core/autodiff/gradient_tape.h"
#include "core/error.h"
#include "core/function/trace.h"
#include "core/ops.h"

namespace ember::distribute {

GradientReducer::GradientReducer(Strategy strategy, std::vector<Variable> variables)
    : strategy_(std::move(strategy)),
      variables_(std::move(variables)),
      gradients_(variables_.size()),
      bucket_of_(variables_.size()) {
  std::map<std::pair<DType, std::string>, std::size_t> open;  // (dtype, device) -> bucket
  std::vector<std::int64_t> bytes;
  for (std::size_t k = variables_.size(); k-- > 0;) {
    const Variable& v = variables_[k];
    const std::int64_t size = v.size() * static_cast<std::int64_t>(dtype_size(v.dtype()));
    const auto key = std::make_pair(v.dtype(), v.device().str());
    auto found = open.find(key);
    if (found == open.end() || bytes[found->second] + size > strategy_.bucket_bytes()) {
      buckets_.emplace_back();
      bytes.push_back(0);
      found = open.insert_or_assign(key, buckets_.size() - 1).first;
    }
    Bucket& bucket = buckets_[found->second];
    bucket.members.push_back(k);
    ++bucket.waiting;
    bytes[found->second] += size;
    bucket_of_[k] = found->second;
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
    std::vector<Tensor> flat;
    for (const Tensor& t : values) flat.push_back(reshape(t, Shape{t.size()}));
    pending->sum = strategy.all_reduce_async({flat.size() == 1 ? flat[0] : concat(flat, 0)});
    return std::vector<Tensor>{};
  };
  if (trace::recording()) {
    trace::traced_call("GradientReducer.start", trace::NodeKind::effect, launch, parts);
  } else {
    launch(parts);
  }
  bucket.started = true;
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
    std::vector<std::int64_t> sizes;
    for (std::size_t k : bucket.members) {
      shapes.push_back(variables_[k].shape());
      sizes.push_back(variables_[k].size());
    }
    const auto wait = [pending = bucket.pending, shapes, sizes]() {
      const autodiff::PauseAll untaped;
      const Tensor sum = pending->sum.get()[0];
      std::vector<Tensor> parts =
          sizes.size() == 1 ? std::vector<Tensor>{sum} : split(sum, sizes, 0);
      for (std::size_t j = 0; j < parts.size(); ++j) parts[j] = reshape(parts[j], shapes[j]);
      return parts;
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
