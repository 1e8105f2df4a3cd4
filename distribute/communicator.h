// Collectives across the workers of a distribution strategy: the interface every transport
// implements (MPI between processes, NCCL between GPUs), and the one-worker communicator.
// See docs/distributed.md.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace ember::distribute {

enum class ReduceOp { sum, max };

/// One worker's end of a group of `size()` workers numbered 0..size()-1. Every worker must make
/// the same calls in the same order with tensors of the same shapes and dtypes; a worker that
/// stops answering makes the others throw ember::Error naming it (after the collective timeout)
/// instead of waiting for ever.
class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// "local", "mpi", "nccl".
  virtual std::string name() const = 0;
  /// The element-wise reduction of every worker's tensors[i], as new tensors on each input's
  /// device. Several tensors go out at once (one bucket each), so their transfers overlap.
  virtual std::vector<Tensor> all_reduce(const std::vector<Tensor>& tensors, ReduceOp op) = 0;
  /// Worker `root`'s tensors on every worker; the others pass tensors of the same shapes and
  /// dtypes (their values are not used).
  virtual std::vector<Tensor> broadcast(const std::vector<Tensor>& tensors, int root) = 0;
  /// Worker `root`'s bytes on every worker (a configuration, a model's description).
  virtual std::string broadcast_bytes(const std::string& bytes, int root) = 0;
  /// Returns when every worker has called it.
  virtual void barrier() = 0;
};

/// The group of one: every collective returns its input.
std::shared_ptr<Communicator> local_communicator();

}  // namespace ember::distribute
