// fit and evaluate under a distribution strategy (docs/distributed.md). Every worker reads the
// same global batches and takes its rows of each (Strategy::shard); the training objective is
// weighted by the replica's share of the rows, so that the optimizer's all-reduce (a sum) gives
// the global batch's gradient, as one process would compute it. The metrics' states are summed
// over the replicas after each execution, so every worker logs the same values and callbacks
// decide alike; only the chief prints and writes files.
#include "core/autodiff/gradient_tape.h"
#include "core/error.h"
#include "core/ops.h"
#include "layers/models/model.h"
#include "layers/trainers/compiled_state.h"

namespace ember::keras {

bool Model::distributed() const { return strategy_ && strategy_->num_replicas_in_sync() > 1; }

std::vector<Batch> Model::replica_batches(const std::vector<Batch>& batches) const {
  std::vector<Batch> shards;
  for (const Batch& global : batches) {
    const std::int64_t rows = global.size();
    const auto [begin, end] = strategy_->shard(rows);
    Batch mine;
    for (const Tensor& t : global.x) mine.x.push_back(t.slice(begin, end));
    for (const Tensor& t : global.y) mine.y.push_back(t.slice(begin, end));
    if (global.sample_weight.defined()) mine.sample_weight = global.sample_weight.slice(begin, end);
    const Device device = global.x.empty() ? data_device() : global.x[0].device();
    mine.replica_share =
        constant(static_cast<double>(end - begin) / static_cast<double>(rows), DType::float64)
            .to(device);
    shards.push_back(std::move(mine));
  }
  return shards;
}

void Model::synchronize_replica_weights(const std::vector<Batch>& batches) {
  if (weights().empty() && !batches.empty()) {
    // A subclassed model makes its weights on its first call: make them now, on the global
    // batch's first row, so the first step already starts from rank 0's weights.
    const autodiff::PauseAll untaped;
    std::vector<Tensor> first_row;
    for (const Tensor& t : batches.front().x) first_row.push_back(t.slice(0, 1));
    forward(first_row, false);
  }
  const std::string fingerprint = step_fingerprint();
  if (fingerprint == replica_weights_synced_) return;
  strategy_->broadcast_variables(weights(), cat("fit: model '", name(), "'"));
  replica_weights_synced_ = fingerprint;
}

void Model::aggregate_replica_logs() {
  const std::vector<std::shared_ptr<metrics::Metric>> all = metrics();
  std::vector<Variable> states;
  std::vector<Tensor> local;
  for (const auto& m : all) {
    for (const Variable& v : m->variables()) {
      states.push_back(v);
      local.push_back(v.value());
    }
  }
  // Keras sums metric variables over replicas (their aggregation is "sum"): totals, counts,
  // confusion counts. The sums stand in for the local states while the results are read.
  const std::vector<Tensor> summed = strategy_->all_reduce(local);
  const autodiff::PauseAll untaped;
  for (std::size_t i = 0; i < states.size(); ++i) states[i].assign(summed[i]);
  try {
    replica_logs_ = compiled_->results();
  } catch (...) {
    for (std::size_t i = 0; i < states.size(); ++i) states[i].assign(local[i]);
    throw;
  }
  for (std::size_t i = 0; i < states.size(); ++i) states[i].assign(local[i]);
}

bool Model::any_replica_stops(bool stop) const {
  const Tensor flag = constant(std::int32_t{stop ? 1 : 0});
  return strategy_->all_reduce({flag}, distribute::ReduceOp::max)[0].item<std::int32_t>() != 0;
}

}  // namespace ember::keras
