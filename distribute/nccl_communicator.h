// The communicator over NCCL (internal): one GPU per worker, NCCL's unique id made by rank 0 and
// broadcast by the bootstrap communicator (MPI). CUDA tensors go through NCCL on ember's stream
// of their device; anything else (CPU tensors, bytes, barriers) goes through the bootstrap.
#pragma once

#include <chrono>
#include <memory>

#include "core/device.h"
#include "distribute/communicator.h"

namespace ember::distribute::detail {

/// Whether ember was built with NCCL (EMBER_NCCL: the CUDA backend and NCCL's headers found).
bool nccl_built();
/// The group of `bootstrap`'s workers over NCCL, this worker's GPU being `device`. A collective
/// that has not finished after `timeout` aborts the NCCL communicator and throws ember::Error
/// naming the collective; NCCL's own errors are reported the same way. Throws ember::Error when
/// ember was built without NCCL or `device` is not a usable GPU.
std::shared_ptr<Communicator> nccl_group(std::shared_ptr<Communicator> bootstrap,
                                         const Device& device, std::chrono::milliseconds timeout);

}  // namespace ember::distribute::detail
