// distribute::Strategy in one process: scopes and what they mark, the one-worker strategy, and,
// over a fake communicator that stands for two identical replicas (its sum is twice the input),
// the bucketing of all_reduce, traced reductions, the check that replicas build the same model,
// and the rows each replica takes of a global batch. The collectives between processes are
// tested under mpirun (test_multi_worker.cpp).
#include <gtest/gtest.h>

#include <cstdlib>

#include "distribute/gradient_reducer.h"
#include "tests/test_support.h"

namespace ember {
namespace {

template <class F>
void expect_error(F&& f, const std::string& fragment) {
  testing::expect_error<Error>(std::forward<F>(f), {fragment});
}

/// Two replicas that hold the same values: sums double, maxima and broadcasts return the input.
/// Records the sizes (in elements) of each reduced tensor; `root_description` stands for the
/// root's model when set.
class MirrorCommunicator final : public distribute::Communicator {
 public:
  explicit MirrorCommunicator(int rank) : rank_(rank) {}
  int rank() const override { return rank_; }
  int size() const override { return 2; }
  std::string name() const override { return "mirror"; }
  std::vector<Tensor> all_reduce(const std::vector<Tensor>& tensors,
                                 distribute::ReduceOp op) override {
    std::vector<Tensor> out;
    for (const Tensor& t : tensors) {
      reduced_sizes.push_back(t.size());
      out.push_back(op == distribute::ReduceOp::sum ? t + t : t);
    }
    ++calls;
    return out;
  }
  std::vector<Tensor> broadcast(const std::vector<Tensor>& tensors, int) override {
    return tensors;
  }
  std::string broadcast_bytes(const std::string& bytes, int) override {
    return root_description.empty() ? bytes : root_description;
  }
  void barrier() override {}

  std::vector<std::int64_t> reduced_sizes;
  int calls = 0;
  std::string root_description;

 private:
  int rank_;
};

TEST(Strategy, WithoutALauncherMultiWorkerIsOneWorker) {
  distribute::MultiWorkerMirroredStrategy strategy;
  EXPECT_EQ(strategy.num_replicas_in_sync(), 1);
  EXPECT_EQ(strategy.rank(), 0);
  EXPECT_TRUE(strategy.is_chief());
  EXPECT_EQ(strategy.class_name(), "MultiWorkerMirroredStrategy");
  EXPECT_EQ(strategy.communicator().name(), "local");
  EXPECT_EQ(strategy.shard(7), (std::pair<std::int64_t, std::int64_t>{0, 7}));
  const Tensor x = constant({1.0f, 2.0f});
  EXPECT_EQ(strategy.all_reduce({x})[0].to_vector<float>(), (std::vector<float>{1, 2}));
}

TEST(Strategy, ScopesNestAndMarkModelsAndOptimizers) {
  EXPECT_FALSE(distribute::current_strategy());
  distribute::MultiWorkerMirroredStrategy outer, inner;
  std::shared_ptr<keras::Sequential> model;
  std::optional<optim::Adam> adam;
  {
    const auto a = outer.scope();
    ASSERT_TRUE(distribute::current_strategy());
    EXPECT_TRUE(*distribute::current_strategy() == outer);
    {
      const auto b = inner.scope();
      EXPECT_TRUE(*distribute::current_strategy() == inner);
    }
    EXPECT_TRUE(*distribute::current_strategy() == outer);
    model = std::make_shared<keras::Sequential>(
        std::vector<keras::SequentialItem>{keras::Input({2}), layers::Dense(1)});
    adam.emplace(_learning_rate = 0.1);
  }
  EXPECT_FALSE(distribute::current_strategy());
  ASSERT_TRUE(model->distribute_strategy());
  EXPECT_TRUE(*model->distribute_strategy() == outer);
  ASSERT_TRUE(adam->distribute_strategy());
  EXPECT_TRUE(*adam->distribute_strategy() == outer);
  // compile outside the scope keeps the model's strategy and gives it to a new optimizer.
  model->compile(_optimizer = "sgd", _loss = "mse");
  ASSERT_TRUE(model->optimizer().distribute_strategy());
  EXPECT_TRUE(*model->optimizer().distribute_strategy() == outer);
  // An optimizer of another strategy is refused.
  auto other = std::make_shared<keras::Sequential>(
      std::vector<keras::SequentialItem>{keras::Input({2}), layers::Dense(1)});
  const auto c = inner.scope();
  expect_error([&] { model->compile(_optimizer = *adam, _loss = "mse"); },
               "different distribution strategies");
}

TEST(Strategy, AllReduceTravelsInBucketsOfOneDtypeAndBoundedSize) {
  auto mirror = std::make_shared<MirrorCommunicator>(0);
  const distribute::Strategy strategy =
      distribute::Strategy::over(mirror, "Mirror", /*bucket_bytes=*/64);
  // float32: 4 + 6 elements fit one 64-byte bucket, 20 (80 bytes) goes alone, then 2; the
  // float64 tensor has a bucket of its own.
  const std::vector<Tensor> tensors = {
      constant({1.0f, 2.0f, 3.0f, 4.0f}), constant(1.5f, Shape{3, 2}), constant(2.0f, Shape{20}),
      constant({1.0, 2.0, 3.0}, DType::float64), constant({-1.0f, 5.0f})};
  const std::vector<Tensor> summed = strategy.all_reduce(tensors);
  EXPECT_EQ(mirror->calls, 1);  // every bucket in flight at once
  EXPECT_EQ(mirror->reduced_sizes, (std::vector<std::int64_t>{10, 20, 3, 2}));
  ASSERT_EQ(summed.size(), tensors.size());
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    EXPECT_EQ(summed[i].shape(), tensors[i].shape()) << i;
    EXPECT_EQ(summed[i].dtype(), tensors[i].dtype()) << i;
    const std::vector<double> given = cast(tensors[i], DType::float64).to_vector<double>();
    const std::vector<double> got = cast(summed[i], DType::float64).to_vector<double>();
    for (std::size_t k = 0; k < given.size(); ++k) EXPECT_EQ(got[k], 2 * given[k]) << i;
  }
  expect_error([&] { distribute::Strategy::over(mirror, "Mirror", 0); }, "bucket_bytes");
}

TEST(Strategy, ATracedAllReduceReducesAgainOnEveryReplay) {
  auto mirror = std::make_shared<MirrorCommunicator>(0);
  const distribute::Strategy strategy = distribute::Strategy::over(mirror, "Mirror");
  auto f = function([&](const Tensor& x) { return strategy.all_reduce({x * 3.0f})[0]; });
  for (float v : {1.0f, 2.0f, 5.0f}) {
    EXPECT_EQ(f(constant({v})).to_vector<float>(), (std::vector<float>{6 * v}));
  }
  EXPECT_EQ(mirror->calls, 3);
}

TEST(Strategy, BroadcastVariablesChecksEveryReplicaHasTheSameModel) {
  Variable kernel(constant(0.5, Shape{4, 8}), _name = "kernel");
  auto same = std::make_shared<MirrorCommunicator>(1);
  distribute::Strategy::over(same, "Mirror").broadcast_variables({kernel}, "fit: model 'm'");
  EXPECT_EQ(kernel.value().shape(), (Shape{4, 8}));

  auto differs = std::make_shared<MirrorCommunicator>(1);
  differs->root_description = "'kernel' (4, 9) float64\n";
  expect_error(
      [&] {
        distribute::Strategy::over(differs, "Mirror")
            .broadcast_variables({kernel}, "fit: model 'm'");
      },
      "fit: model 'm': the replicas build different models");
  try {
    distribute::Strategy::over(differs, "Mirror").broadcast_variables({kernel}, "fit");
  } catch (const Error& e) {
    const std::string text = e.what();
    EXPECT_NE(text.find("ranks differing from rank 0: 1"), std::string::npos) << text;
    EXPECT_NE(text.find("(4, 9)"), std::string::npos) << text;
    EXPECT_NE(text.find("(4, 8)"), std::string::npos) << text;
  }
  auto fewer = std::make_shared<MirrorCommunicator>(1);
  fewer->root_description = "'kernel' (4, 8) float64\n'bias' (8,) float64\n";
  expect_error(
      [&] { distribute::Strategy::over(fewer, "Mirror").broadcast_variables({kernel}, "fit"); },
      "rank 0 has 2 variables, this rank 1");
}

TEST(GradientReducer, BucketsGoFromTheLastVariableBackAndStartInTheirOrder) {
  auto mirror = std::make_shared<MirrorCommunicator>(0);
  // 48-byte buckets: b2 (4 floats) and w2 (8) fill one, w1 (16) is alone, b1 (2) opens the third.
  const distribute::Strategy strategy = distribute::Strategy::over(mirror, "Mirror", 48);
  const std::vector<Variable> vars = {
      Variable(constant(1.0f, Shape{2}), _name = "b1"), Variable(constant(2.0f, Shape{4, 4})),
      Variable(constant(3.0f, Shape{2, 4})), Variable(constant(4.0f, Shape{4}))};
  // Shapes in the order given: b1 (2), w1 (16), w2 (8), b2 (4).
  distribute::GradientReducer reducer(strategy, vars);
  EXPECT_EQ(reducer.buckets(), (std::vector<std::vector<std::size_t>>{{3, 2}, {1}, {0}}));
  // w1 comes first, but its bucket waits for the one before it.
  reducer.ready(1, constant(0.5f, Shape{4, 4}));
  EXPECT_EQ(mirror->calls, 0);
  reducer.ready(3, constant(1.0f, Shape{4}));
  EXPECT_EQ(mirror->calls, 0);
  reducer.ready(2, constant(2.0f, Shape{2, 4}));  // buckets 0 and 1 start now
  // b1 has no gradient here: it goes as zeros and comes back as none.
  const auto sums = reducer.finish({std::nullopt, constant(0.5f, Shape{4, 4}),
                                    constant(2.0f, Shape{2, 4}), constant(1.0f, Shape{4})});
  EXPECT_EQ(mirror->calls, 3);
  EXPECT_EQ(mirror->reduced_sizes, (std::vector<std::int64_t>{12, 16, 2}));
  EXPECT_FALSE(sums[0]);
  ASSERT_TRUE(sums[1] && sums[2] && sums[3]);
  EXPECT_EQ(sums[1]->shape(), (Shape{4, 4}));
  EXPECT_EQ(sums[2]->shape(), (Shape{2, 4}));
  EXPECT_EQ(sums[1]->to_vector<float>(), std::vector<float>(16, 1.0f));
  EXPECT_EQ(sums[2]->to_vector<float>(), std::vector<float>(8, 4.0f));
  EXPECT_EQ(sums[3]->to_vector<float>(), std::vector<float>(4, 2.0f));
}

TEST(GradientReducer, ATracedStepReducesAfreshOnEveryReplay) {
  auto mirror = std::make_shared<MirrorCommunicator>(0);
  const distribute::Strategy strategy = distribute::Strategy::over(mirror, "Mirror");
  Variable w(constant({1.0f, 2.0f}));
  auto step = function([&](const Tensor& x) {
    distribute::GradientReducer reducer(strategy, {w});
    GradientTape tape;
    const Tensor loss = reduce_sum(w * x);
    const auto grads = tape.gradient(loss, std::vector<Variable>{w},
                                     [&](std::size_t i, const Tensor& g) { reducer.ready(i, g); });
    return *reducer.finish(grads)[0];
  });
  for (float v : {1.0f, 3.0f, -2.0f}) {
    EXPECT_EQ(step(constant({v, 2 * v})).to_vector<float>(), (std::vector<float>{2 * v, 4 * v}));
  }
  EXPECT_EQ(mirror->calls, 3);
}

TEST(Strategy, ShardsSplitAGlobalBatchEvenlyAndCoverItOnce) {
  for (std::int64_t rows : {0, 1, 2, 5, 10, 11}) {
    std::int64_t next = 0;
    for (int rank = 0; rank < 2; ++rank) {
      const auto [begin, end] =
          distribute::Strategy::over(std::make_shared<MirrorCommunicator>(rank), "Mirror")
              .shard(rows);
      EXPECT_EQ(begin, next) << rows << " rows, rank " << rank;
      EXPECT_LE(end - begin, (rows + 1) / 2);
      EXPECT_GE(end - begin, rows / 2);
      next = end;
    }
    EXPECT_EQ(next, rows);
  }
}

TEST(Strategy, CollectiveTimeoutFromTheEnvironmentMustBeSeconds) {
  ::setenv("EMBER_COLLECTIVE_TIMEOUT", "soon", 1);
  expect_error([] { distribute::MultiWorkerMirroredStrategy strategy; },
               "EMBER_COLLECTIVE_TIMEOUT must be a positive number of seconds, got 'soon'");
  ::setenv("EMBER_COLLECTIVE_TIMEOUT", "-2", 1);
  expect_error([] { distribute::MultiWorkerMirroredStrategy strategy; },
               "EMBER_COLLECTIVE_TIMEOUT");
  ::unsetenv("EMBER_COLLECTIVE_TIMEOUT");
  expect_error(
      [] {
        distribute::MultiWorkerMirroredStrategy strategy(
            {.collective_timeout = std::chrono::milliseconds(-1)});
      },
      "collective_timeout must be positive");
}

}  // namespace
}  // namespace ember
