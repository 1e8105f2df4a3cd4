// How fit, evaluate and predict read their data: arrays, a Dataset or a Sequence become a stream
// of batches on the model's device (data adapters), and EpochIterator cuts that stream into
// epochs with Keras 3's steps_per_epoch rules.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/tensor.h"
#include "io/data/dataset.h"
#include "io/data/sequence.h"

namespace ember::keras {

/// One batch: the model's inputs, its targets (one per output; empty for predict) and optional
/// per-row weights of the loss.
struct Batch {
  std::vector<Tensor> x, y;
  Tensor sample_weight;
  /// Under a distribution strategy, this replica's rows over the global batch's (a float64
  /// scalar): the training objective is multiplied by it so that the replicas' gradients sum to
  /// the global batch's. Undefined otherwise.
  Tensor replica_share;
  /// The number of rows.
  std::int64_t size() const { return x.empty() ? 0 : x[0].shape(0); }
};

namespace detail {

class DataAdapter {
 public:
  virtual ~DataAdapter() = default;
  /// Batches in one pass, if known.
  virtual std::optional<std::int64_t> num_batches() const = 0;
  /// Starts a new pass over the data (a new random order for shuffled arrays).
  virtual void begin_pass() = 0;
  /// The next batch of the pass, or nothing at its end.
  virtual std::optional<Batch> next() = 0;
  virtual void on_epoch_end() {}

  /// Makes a shuffled order (int64 row numbers, on the CPU) agree across the replicas of a
  /// strategy: fit passes the chief's to every worker. Unset: each pass's order as drawn.
  using OrderAgreement = std::function<Tensor(const Tensor&)>;
  virtual void agree_orders(OrderAgreement agreement) { agreement_ = std::move(agreement); }

 protected:
  Tensor agreed(const Tensor& order) const { return agreement_ ? agreement_(order) : order; }

 private:
  OrderAgreement agreement_;
};

/// Rows of in-memory arrays, copied once to `device`, batched by slicing (or gathering, when
/// shuffled, with a new permutation from ember's global generator every pass).
std::unique_ptr<DataAdapter> array_adapter(std::vector<Tensor> x, std::vector<Tensor> y,
                                           Tensor sample_weight, std::int64_t batch_size,
                                           bool shuffle, const Device& device);
/// The elements of a (batched) Dataset: inputs first, then targets, then optional weights.
std::unique_ptr<DataAdapter> dataset_adapter(Dataset dataset, std::size_t inputs,
                                             std::size_t outputs, const Device& device);
/// The batches of a user's Sequence, in order or shuffled; on_epoch_end() is passed on.
std::unique_ptr<DataAdapter> sequence_adapter(Sequence& sequence, std::size_t inputs,
                                              std::size_t outputs, bool shuffle,
                                              const Device& device);

/// Multiplies each batch's weights by class_weight[label] (labels from the single target: class
/// indices, or the argmax of one-hot rows); classes missing from the map weigh 1.
std::unique_ptr<DataAdapter> with_class_weight(std::unique_ptr<DataAdapter> adapter,
                                               std::map<std::int64_t, double> class_weight);

/// Splits a batch given as one list (x..., y..., [weights]) by the model's input and output
/// counts; `source` names the data in errors.
Batch split_element(std::vector<Tensor> element, std::size_t inputs, std::size_t outputs,
                    const std::string& source);

/// Epochs over an adapter. Without steps_per_epoch every epoch is one full pass. With it, an
/// epoch is that many batches taken in turn from a pass that carries over between epochs; when
/// the pass runs out mid-epoch the epoch ends early with Keras' warning, and the next epoch
/// starts a new pass.
class EpochIterator {
 public:
  EpochIterator(DataAdapter& adapter, std::optional<std::int64_t> steps_per_epoch);
  /// Steps per epoch, if known.
  std::optional<std::int64_t> steps() const;
  /// execute(begin, end, batches) runs the batches of steps begin..end (up to per_execution;
  /// fewer at the epoch's end) and returns false to end the epoch there.
  using Execution = std::function<bool(std::int64_t, std::int64_t, std::vector<Batch>&)>;
  /// Runs one epoch in executions of `per_execution` batches (Keras' steps_per_execution),
  /// until the epoch ends or an execution returns false.
  void run_epoch(std::int64_t per_execution, const Execution& execute);
  /// Keras' EpochIterator.reset(), which fit and evaluate (not predict) call once before their
  /// epochs: it ends the data's epoch, so a Sequence's on_epoch_end runs one time more than
  /// there are epochs (4 times for fit(epochs=3), twice for evaluate), as in Keras 3.
  void reset();

 private:
  DataAdapter& adapter_;
  std::optional<std::int64_t> steps_per_epoch_;
  std::optional<std::int64_t> num_batches_;
  bool pass_open_ = false;
  std::int64_t steps_seen_ = 0;
};

}  // namespace detail
}  // namespace ember::keras
