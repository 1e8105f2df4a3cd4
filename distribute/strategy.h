// tf.distribute: data-parallel training over several workers. A strategy's scope marks the
// models and optimizers that train together; fit splits each global batch across the replicas
// and the optimizer all-reduces the gradients before it applies them. See docs/distributed.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/device.h"
#include "core/tensor.h"
#include "core/variable.h"
#include "distribute/communicator.h"

namespace ember::distribute {

namespace detail {
struct StrategyState;
}  // namespace detail

/// tf.distribute.Strategy. A handle: copies share the workers and their communicator.
class Strategy {
 public:
  /// Replicas that train together (workers × devices per worker; one device per worker today).
  int num_replicas_in_sync() const;
  /// This worker's number, 0..num_replicas_in_sync()-1 (Keras' cluster_resolver.task_id).
  int rank() const;
  /// Whether this worker is the chief (rank 0): the one that writes checkpoints, logs and the
  /// progress bar.
  bool is_chief() const;
  /// "MultiWorkerMirroredStrategy".
  const std::string& class_name() const;
  Communicator& communicator() const;
  /// The most bytes one all-reduce carries (gradients travel in buckets of this size).
  std::int64_t bucket_bytes() const;

  /// `with strategy.scope():` — models and optimizers made while the scope lives belong to the
  /// strategy. Scopes nest; the innermost is current_strategy().
  class Scope {
   public:
    explicit Scope(std::shared_ptr<detail::StrategyState> state);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    std::shared_ptr<detail::StrategyState> state_;
  };
  [[nodiscard]] Scope scope() const { return Scope(state_); }

  /// Every replica's tensors reduced element-wise (ReduceOp::sum: their sum), on each replica;
  /// tensors of one dtype and device travel together in buckets of at most bucket_bytes().
  /// Inside a traced function the reduction is recorded, so every replay reduces afresh.
  std::vector<Tensor> all_reduce(const std::vector<Tensor>& tensors,
                                 ReduceOp op = ReduceOp::sum) const;
  /// Starts summing (or taking the maximum of) every replica's `tensors` on the strategy's
  /// communication thread and returns at once; the reductions run in the order they were
  /// started. The tensors go as they are (no bucketing).
  std::future<std::vector<Tensor>> all_reduce_async(std::vector<Tensor> tensors,
                                                    ReduceOp op = ReduceOp::sum) const;
  /// Whether fit sums the gradients in buckets while the backward pass runs (the default), or
  /// all at once after it (MultiWorkerOptions::reduce_during_backward).
  bool reduce_during_backward() const;
  /// Gives `variables` rank `root`'s values on every replica, after checking that every replica
  /// has the same variables (paths, shapes, dtypes): ember::Error naming the first difference
  /// otherwise, on every replica. `what` names the caller ("fit: model 'm'").
  void broadcast_variables(const std::vector<Variable>& variables, const std::string& what,
                           int root = 0) const;
  /// The rows [first, second) of a global batch of `rows` rows that this replica takes: an even
  /// split, the last global batch's remainder spread one row each (a replica may get none).
  std::pair<std::int64_t, std::int64_t> shard(std::int64_t rows) const;

  bool operator==(const Strategy& other) const { return state_ == other.state_; }

  /// A strategy over an existing communicator (tests, or a transport of the user's).
  static Strategy over(std::shared_ptr<Communicator> communicator, std::string class_name,
                       std::int64_t bucket_bytes = std::int64_t{25} << 20,
                       bool reduce_during_backward = true);

 protected:
  explicit Strategy(std::shared_ptr<detail::StrategyState> state);
  static std::shared_ptr<detail::StrategyState> make_state(
      std::shared_ptr<Communicator> communicator, std::string class_name, std::int64_t bucket_bytes,
      bool reduce_during_backward);
  std::shared_ptr<detail::StrategyState> state_;

  friend std::optional<Strategy> current_strategy();
};

/// The strategy of the innermost live scope on this thread, if any (Keras' default strategy is
/// no strategy here: everything runs on one replica).
std::optional<Strategy> current_strategy();

/// What carries the collectives (TensorFlow's CommunicationImplementation).
enum class Communication {
  automatic,  // NCCL when ember has it and the default device is a GPU, MPI otherwise
  mpi,        // MPI for everything (GPU tensors through host memory)
  nccl,       // NCCL for GPU tensors (MPI for the rest): an error without NCCL
};

struct MultiWorkerOptions {
  /// How long a collective waits for the other workers before naming those that did not come
  /// (ember::Error). Zero: EMBER_COLLECTIVE_TIMEOUT (seconds) if set, else 600 s.
  std::chrono::milliseconds collective_timeout{0};
  /// Gradients are all-reduced in buckets of at most this many bytes (PyTorch DDP's 25 MB).
  std::int64_t bucket_bytes = std::int64_t{25} << 20;
  /// Sum each bucket as soon as the backward pass has finished its gradients, on a thread of
  /// its own, while the rest are computed (PyTorch DDP's overlap); false: all after backward.
  bool reduce_during_backward = true;
  Communication communication = Communication::automatic;
  /// This worker's GPU for NCCL; the default device when absent (give each worker its own:
  /// Device::cuda(local rank), or one visible GPU per worker with CUDA_VISIBLE_DEVICES).
  std::optional<Device> device = std::nullopt;
};

/// tf.distribute.MultiWorkerMirroredStrategy: one process per worker, started by mpirun (rank and
/// size from MPI); collectives over MPI, or NCCL for GPU tensors (its id broadcast over MPI).
/// Started without mpirun, it is one worker.
///   mpirun -np 2 ./train    with   distribute::MultiWorkerMirroredStrategy strategy;
///                                  auto scope = strategy.scope();  ... model.fit(...)
class MultiWorkerMirroredStrategy : public Strategy {
 public:
  explicit MultiWorkerMirroredStrategy(MultiWorkerOptions options = {});
};

}  // namespace ember::distribute
