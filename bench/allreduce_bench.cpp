// All-reduce bandwidth and the overlap of gradient sums with the backward pass, under mpirun:
//   mpirun -np 2 --oversubscribe --mca btl self,tcp bench/allreduce_bench [--quick]
// 1. For float32 buffers of 1 to 256 MB: ember's strategy.all_reduce beside MPI_Allreduce called
//    directly on the same buffers (the peer: mpirun's own collective), each the best of several
//    runs; algorithm bandwidth (bytes / time) and bus bandwidth (2(n-1)/n of it, NCCL's measure).
// 2. A fit step of an MLP with 6.3 M parameters (25 MB of gradients), its gradients summed while
//    the backward pass runs and after it: ms per step, the chief's figures.
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

#include "bench/machine.h"
#include "ember.h"

using namespace ember;

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

template <class F>
double best_of(int runs, F&& f) {
  double best = 1e30;
  for (int i = 0; i < runs; ++i) {
    MPI_Barrier(MPI_COMM_WORLD);
    const auto start = std::chrono::steady_clock::now();
    f();
    best = std::min(best, seconds_since(start));
  }
  // The slowest worker's best: a collective ends when the last worker has it.
  double slowest = 0;
  MPI_Allreduce(&best, &slowest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  return slowest;
}

double fit_ms_per_step(bool overlap, int steps) {
  distribute::MultiWorkerMirroredStrategy strategy({.reduce_during_backward = overlap});
  random::set_seed(3);
  std::shared_ptr<keras::Sequential> model;
  {
    const auto scope = strategy.scope();
    model = std::make_shared<keras::Sequential>(std::vector<keras::SequentialItem>{
        keras::Input({784}), layers::Dense(2048, _activation = "relu"),
        layers::Dense(2048, _activation = "relu"), layers::Dense(10, _activation = "softmax")});
    model->compile(_optimizer = "sgd", _loss = "sparse_categorical_crossentropy");
  }
  const std::int64_t batch = 64;
  const Tensor x = random::uniform({batch * (steps + 2), 784});
  const Tensor y = cast(random::uniform({batch * (steps + 2)}, _maxval = 10), int64);
  // Two steps warm up (the eager first step, the trace), the rest are timed.
  model->fit(x.slice(0, 2 * batch), y.slice(0, 2 * batch), _batch_size = batch, _verbose = 0,
             _shuffle = false);
  MPI_Barrier(MPI_COMM_WORLD);
  const auto start = std::chrono::steady_clock::now();
  model->fit(x.slice(2 * batch, (steps + 2) * batch), y.slice(2 * batch, (steps + 2) * batch),
             _batch_size = batch, _verbose = 0, _shuffle = false);
  return seconds_since(start) * 1000.0 / steps;
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && !std::strcmp(argv[1], "--quick");
  distribute::MultiWorkerMirroredStrategy strategy;  // starts MPI
  const int workers = strategy.num_replicas_in_sync();
  const bool chief = strategy.is_chief();
  if (chief) {
    bench::print_machine();
    std::printf("%d workers over %s\n\n", workers, strategy.communicator().name().c_str());
    std::printf("%10s %14s %14s %12s %12s %8s\n", "MB", "ember ms", "MPI ms", "ember GB/s",
                "bus GB/s", "ratio");
  }
  const std::vector<int> sizes =
      quick ? std::vector<int>{1, 16} : std::vector<int>{1, 4, 16, 64, 256};
  for (int mb : sizes) {
    const std::int64_t n = std::int64_t{mb} << 18;  // floats
    const Tensor t = fill(Shape{n}, Scalar(1.0f));
    std::vector<float> in(static_cast<std::size_t>(n), 1.0f), out(in.size());
    const int runs = mb >= 64 ? 3 : 8;
    const double ember_s = best_of(runs, [&] { strategy.all_reduce({t}); });
    const double mpi_s = best_of(runs, [&] {
      MPI_Allreduce(in.data(), out.data(), static_cast<int>(n), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    });
    const double bytes = static_cast<double>(n) * 4.0;
    if (chief) {
      std::printf("%10d %14.2f %14.2f %12.2f %12.2f %8.2f\n", mb, ember_s * 1e3, mpi_s * 1e3,
                  bytes / ember_s / 1e9, bytes / ember_s / 1e9 * 2.0 * (workers - 1) / workers,
                  mpi_s / ember_s);
    }
  }
  const int steps = quick ? 3 : 10;
  const double after = fit_ms_per_step(false, steps);
  const double during = fit_ms_per_step(true, steps);
  if (chief) {
    std::printf(
        "\nfit step, MLP 784-2048-2048-10 (6.3 M parameters), batch 64 global:\n"
        "  gradients summed after the backward pass   %8.1f ms\n"
        "  summed in 25 MB buckets during it          %8.1f ms  (%.2fx)\n",
        after, during, after / during);
  }
  return 0;
}
