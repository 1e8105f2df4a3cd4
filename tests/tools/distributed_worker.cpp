// One worker of the multi-worker tests (tests/distribute/test_multi_worker.cpp), started by
// mpirun: distributed_worker <scenario> <folder>. Writes <folder>/rank<r>.txt (the report of
// distributed_case.h) or, on an ember::Error, <folder>/error<r>.txt, and exits 0 or 3.
//   train      fit the case under MultiWorkerMirroredStrategy, with a checkpoint and a CSV log
//              named after the rank (only the chief's may appear): traced steps, gradients
//              summed while the backward pass runs
//   train_eager           the same with run_eagerly
//   train_after_backward  the same with the gradients summed after the backward pass
//   mismatch   rank 1 builds a wider hidden layer than the others
//   kill       rank 1 kills itself (SIGKILL) in the middle of the second epoch
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "tests/distribute/distributed_case.h"

using namespace ember;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: distributed_worker train|train_eager|train_after_backward|mismatch|kill "
                 "<folder>\n";
    return 2;
  }
  const std::string scenario = argv[1];
  const fs::path folder = argv[2];
  int rank = -1;
  try {
    distribute::MultiWorkerMirroredStrategy strategy(
        {.reduce_during_backward = scenario != "train_after_backward"});
    rank = strategy.rank();
    testing::distributed::Case c;
    c.run_eagerly = scenario == "train_eager";
    if (scenario == "mismatch" && rank == 1) c.hidden = 9;
    std::shared_ptr<keras::Sequential> model;
    {
      const auto scope = strategy.scope();
      model = testing::distributed::case_model(c);
      testing::distributed::compile_case(*model, c);
    }
    std::vector<callbacks::CallbackRef> extra = {
        callbacks::ModelCheckpoint((folder / cat("ckpt_rank", rank, ".safetensors")).string(),
                                   _save_weights_only = true),
        callbacks::CSVLogger((folder / cat("log_rank", rank, ".csv")).string())};
    if (scenario == "kill") {
      extra.push_back(
          callbacks::LambdaCallback({.on_train_batch_end = [&](std::int64_t batch, keras::Logs&) {
            static int seen = 0;
            if (rank == 1 && ++seen == 7) std::raise(SIGKILL);  // batch 2 of epoch 2
            (void)batch;
          }}));
    }
    const keras::History history = testing::distributed::fit_case(*model, c, extra);
    write(folder / cat("rank", rank, ".txt"), testing::distributed::report(*model, history));
    return 0;
  } catch (const Error& e) {
    write(folder / cat("error", rank, ".txt"), e.what());
    std::cerr << "rank " << rank << ": " << e.what() << "\n";
    return 3;
  }
}
