// MultiWorkerMirroredStrategy across processes: the test starts `mpirun -np N` on loopback
// (OpenMPI's TCP transport bound to 127.0.0.1) with tests/tools/distributed_worker.cpp and
// checks what the workers wrote against one process trained here on the same global batches:
// float64 weights within 1e-6 after 3 epochs with an uneven last batch (one replica gets no
// rows), the same logged losses and metrics, validation included, a checkpoint and a CSV log
// from the chief only; mismatched models stop every worker with an error naming the ranks; a
// worker killed mid-epoch makes the others stop with an error naming it, without a hang.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "tests/distribute/distributed_case.h"
#include "tests/test_support.h"

namespace ember {
namespace {

namespace fs = std::filesystem;
using testing::distributed::Case;

struct LaunchResult {
  int status = -1;
  std::string output;
  double seconds = 0;
};

/// OpenMPI on loopback only: its TCP transport, bound to 127.0.0.1, more workers than cores.
constexpr const char* kLoopback =
    " --oversubscribe --mca btl self,tcp --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo ";

class MultiWorker : public ::testing::Test {
 protected:
  void SetUp() override {
#if !EMBER_WITH_MPI
    GTEST_SKIP() << "ember was built without MPI (EMBER_MPI)";
#endif
    folder_ = fs::temp_directory_path() /
              cat("ember_multi_worker_", ::getpid(), "_",
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(folder_);
    fs::create_directories(folder_);
    keras::clear_session();
  }
  void TearDown() override {
    if (!folder_.empty()) fs::remove_all(folder_);
  }

  /// mpirun -np `workers` on loopback with the worker program, killed after `limit_s` (the test
  /// then fails on the status); `flags` go to mpirun.
  LaunchResult mpirun(int workers, const std::string& scenario, const std::string& flags = "",
                      int limit_s = 240) {
    return launch(cat(EMBER_MPIEXEC, " -np ", workers, kLoopback, flags, " ",
                      EMBER_DISTRIBUTED_WORKER, " ", scenario, " ", folder_.string()),
                  limit_s);
  }

  /// Runs `program` (a command line; output and errors together), killed after `limit_s`.
  static LaunchResult launch(const std::string& program, int limit_s) {
    // The workers share 2 cores: one thread each. Root may start them (CI runs as root).
    ::setenv("OMP_NUM_THREADS", "1", 1);
    ::setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    ::setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    // A worker that fails while the others wait for it: they give up after 30 s, not 10 min.
    ::setenv("EMBER_COLLECTIVE_TIMEOUT", "30", 0);
    const std::string command = cat("timeout ", limit_s, " ", program, " 2>&1");
    const auto start = std::chrono::steady_clock::now();
    LaunchResult run;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) return run;
    char buffer[4096];
    std::size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) run.output.append(buffer, n);
    const int status = ::pclose(pipe);
    run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return run;
  }

  void expect_same_training_as_one_process(int workers, const std::string& scenario = "train") {
    const LaunchResult run = mpirun(workers, scenario);
    ASSERT_EQ(run.status, 0) << run.output;
    // The reference: one process, the same model, seed and global batches, eager.
    Case c;
    c.run_eagerly = true;
    auto model = testing::distributed::case_model(c);
    testing::distributed::compile_case(*model, c);
    const keras::History history = testing::distributed::fit_case(*model, c);
    const std::vector<double> expected = testing::distributed::flat_weights(*model);

    std::vector<double> chief_weights;
    for (int rank = 0; rank < workers; ++rank) {
      const auto report = testing::distributed::parse_report(
          testing::read_bytes(folder_ / cat("rank", rank, ".txt")));
      ASSERT_TRUE(report.count("weights")) << "rank " << rank << " wrote no report\n" << run.output;
      const std::vector<double>& weights = report.at("weights");
      ASSERT_EQ(weights.size(), expected.size());
      for (std::size_t i = 0; i < expected.size(); ++i) {
        EXPECT_NEAR(weights[i], expected[i], 1e-6) << "rank " << rank << ", weight " << i;
      }
      // Every replica applies the same summed gradient: bit for bit the same weights.
      if (rank == 0) chief_weights = weights;
      EXPECT_EQ(weights, chief_weights) << "rank " << rank;
      // The metrics keep float32 states (as Keras): the replicas' sums round differently from
      // one process's by an ulp or so.
      for (const char* key : {"loss", "accuracy", "val_loss", "val_accuracy"}) {
        ASSERT_TRUE(report.count(key)) << key;
        const std::vector<double>& logged = report.at(key);
        const std::vector<double>& single = history.history.at(key);
        ASSERT_EQ(logged.size(), single.size()) << key;
        for (std::size_t e = 0; e < single.size(); ++e) {
          EXPECT_NEAR(logged[e], single[e], 1e-6 * std::max(1.0, std::abs(single[e])))
              << key << " of epoch " << e << " on rank " << rank;
        }
      }
    }
    // Only the chief writes checkpoints and logs; its checkpoint holds the final weights.
    EXPECT_TRUE(fs::exists(folder_ / "ckpt_rank0.safetensors"));
    EXPECT_TRUE(fs::exists(folder_ / "log_rank0.csv"));
    for (int rank = 1; rank < workers; ++rank) {
      EXPECT_FALSE(fs::exists(folder_ / cat("ckpt_rank", rank, ".safetensors"))) << rank;
      EXPECT_FALSE(fs::exists(folder_ / cat("log_rank", rank, ".csv"))) << rank;
    }
    auto restored = testing::distributed::case_model(c);
    restored->load_weights((folder_ / "ckpt_rank0.safetensors").string());
    EXPECT_EQ(testing::distributed::flat_weights(*restored), chief_weights);
  }

  fs::path folder_;
};

TEST_F(MultiWorker, TwoWorkersTrainAsOneProcessOverTheSameGlobalBatches) {
  expect_same_training_as_one_process(2);
}

TEST_F(MultiWorker, ThreeWorkersTrainAsOneProcessOverTheSameGlobalBatches) {
  expect_same_training_as_one_process(3);
}

TEST_F(MultiWorker, EagerStepsTrainAsOneProcess) {
  expect_same_training_as_one_process(2, "train_eager");
}

TEST_F(MultiWorker, SummingAfterTheBackwardPassTrainsAsOneProcess) {
  expect_same_training_as_one_process(3, "train_after_backward");
}

TEST_F(MultiWorker, TheSampleReachesTheSingleProcessAccuracyAndWeights) {
#ifndef EMBER_DISTRIBUTED_MNIST
  GTEST_SKIP() << "the samples are not built (EMBER_BUILD_SAMPLES)";
#else
  const std::string args = " --rows 3000 --epochs 1";
  const LaunchResult alone = launch(cat(EMBER_DISTRIBUTED_MNIST, args), 240);
  if (alone.status != 0 && alone.output.find("fashion") != std::string::npos) {
    GTEST_SKIP() << "no Fashion-MNIST here (scripts/setup-deps installs it): " << alone.output;
  }
  ASSERT_EQ(alone.status, 0) << alone.output;
  const LaunchResult two =
      launch(cat(EMBER_MPIEXEC, " -np 2", kLoopback, EMBER_DISTRIBUTED_MNIST, args), 240);
  ASSERT_EQ(two.status, 0) << two.output;
  // "test accuracy A, weights checksum C" (the chief's line): the same to the digits printed.
  const auto result = [](const std::string& out) {
    const std::size_t at = out.find("test accuracy");
    return at == std::string::npos ? std::string() : out.substr(at, out.find(", fit", at) - at);
  };
  ASSERT_FALSE(result(alone.output).empty()) << alone.output;
  EXPECT_EQ(result(two.output), result(alone.output)) << two.output;
#endif
}

TEST_F(MultiWorker, MismatchedModelsStopEveryWorkerAtTheFirstBroadcast) {
  const LaunchResult run = mpirun(2, "mismatch");
  EXPECT_NE(run.status, 0) << run.output;
  const std::string chief = testing::read_bytes(folder_ / "error0.txt");
  const std::string other = testing::read_bytes(folder_ / "error1.txt");
  EXPECT_NE(chief.find("ranks differing from rank 0: 1"), std::string::npos) << chief;
  EXPECT_NE(other.find("ranks differing from rank 0: 1"), std::string::npos) << other;
  // The differing rank says how: the hidden kernel is (4, 8) on rank 0 and (4, 9) on it.
  EXPECT_NE(other.find("8)"), std::string::npos) << other;
  EXPECT_NE(other.find("9)"), std::string::npos) << other;
  EXPECT_FALSE(fs::exists(folder_ / "rank0.txt"));
}

TEST_F(MultiWorker, AKilledWorkerStopsTheOthersWithAnErrorNamingIt) {
  // --enable-recovery: mpirun lets the survivors run on to report (by default it kills them
  // all at once, which ends the job without a hang too, but without ember's error).
  ::setenv("EMBER_COLLECTIVE_TIMEOUT", "3", 1);
  const LaunchResult run = mpirun(3, "kill", "--enable-recovery", 120);
  ::unsetenv("EMBER_COLLECTIVE_TIMEOUT");
  EXPECT_LT(run.seconds, 60.0) << run.output;
  EXPECT_FALSE(fs::exists(folder_ / "rank0.txt")) << run.output;
  for (int rank : {0, 2}) {
    const std::string error = testing::read_bytes(folder_ / cat("error", rank, ".txt"));
    EXPECT_NE(error.find("lost rank 1 "), std::string::npos)
        << "rank " << rank << ": " << error << "\n"
        << run.output;
  }
}

}  // namespace
}  // namespace ember
