// Sums gradients over a strategy's replicas while the backward pass runs, as PyTorch's DDP does:
// the variables are cut into buckets (of one dtype, at most Strategy::bucket_bytes each, taken
// from the last variable backwards, the order backward finishes them), and a bucket starts its
// all-reduce on the communication thread as soon as its last gradient is final
// (GradientTape::gradient's ready callback). Buckets start in their fixed order on every
// replica, which the collectives need. Inside a traced step each start and wait is recorded, so
// every replay overlaps alike.
//
//   distribute::GradientReducer reducer(strategy, vars);
//   auto grads = tape.gradient(loss, vars, [&](std::size_t i, const Tensor& g) {
//     reducer.ready(i, g); });
//   optimizer.apply_reduced_gradients(reducer.finish(grads), vars);
#pragma once

#include <cstddef>
#include <future>
#include <memory>
#include <optional>
#include <vector>

#include "core/tensor.h"
#include "core/variable.h"
#include "distribute/strategy.h"

namespace ember::distribute {

class GradientReducer {
 public:
  GradientReducer(Strategy strategy, std::vector<Variable> variables);

  /// variables[index]'s gradient is final: its bucket starts when complete (and every earlier
  /// bucket has started).
  void ready(std::size_t index, const Tensor& gradient);
  /// Starts the buckets still waiting (a variable without a gradient here counts as zeros in
  /// its bucket), waits for all of them and returns the sums; a variable without a gradient in
  /// `grads` keeps none.
  std::vector<std::optional<Tensor>> finish(const std::vector<std::optional<Tensor>>& grads);

  /// The variables of each bucket, by index (for tests and the benchmark's report).
  std::vector<std::vector<std::size_t>> buckets() const;

 private:
  struct Pending {
    std::future<std::vector<Tensor>> sum;
  };
  struct Bucket {
    std::vector<std::size_t> members;
    std::size_t waiting = 0;  // members without their gradient yet
    std::shared_ptr<Pending> pending = std::make_shared<Pending>();
  };
  void start_complete_buckets();
  void start(Bucket& bucket);

  Strategy strategy_;
  std::vector<Variable> variables_;
  std::vector<Tensor> gradients_;       // by variable; undefined until ready
  std::vector<std::size_t> bucket_of_;  // by variable
  std::vector<Bucket> buckets_;
  std::size_t next_to_start_ = 0;
};

}  // namespace ember::distribute
