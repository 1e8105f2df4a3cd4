// The communicator over MPI (internal): the workers started by mpirun, MPI_COMM_WORLD.
#pragma once

#include <chrono>
#include <memory>

#include "distribute/communicator.h"

namespace ember::distribute::detail {

/// Whether ember was built with MPI (EMBER_MPI).
bool mpi_built();
/// Whether this process was started by an MPI launcher (mpirun sets OMPI_COMM_WORLD_SIZE,
/// MPICH's PMI_SIZE), with the world size it was given; 0 when not.
int launcher_world_size();
/// MPI_COMM_WORLD, initialised on first use (MPI_Init_thread) and finalised at exit. A
/// collective waits at most `timeout`; then the survivors find which ranks answer and throw
/// ember::Error naming the others. Throws ember::Error when ember was built without MPI.
std::shared_ptr<Communicator> mpi_world(std::chrono::milliseconds timeout);

}  // namespace ember::distribute::detail
