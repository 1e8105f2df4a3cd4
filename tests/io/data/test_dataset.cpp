// Dataset: slicing, shuffle (a permutation, seeded, reshuffled per epoch, tf.data's buffer),
// batch (aligned components, remainders, the slice and gather fast paths against stacking),
// map, repeat, take, prefetch (threading, errors, early exits) and cardinality.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <numeric>
#include <set>
#include <thread>

#include "tests/test_support.h"

namespace ember {
namespace {

using testing::expect_error;
using Element = Dataset::Element;

std::vector<Element> collect(const Dataset& ds) {
  std::vector<Element> out;
  for (const auto& element : ds) out.push_back(element);
  return out;
}

// The int32 value of component `c` of each (scalar) element.
std::vector<std::int32_t> values(const Dataset& ds, std::size_t c = 0) {
  std::vector<std::int32_t> out;
  for (const auto& element : ds) out.push_back(element[c].item<std::int32_t>());
  return out;
}

std::vector<std::int32_t> iota(int n, int start = 0) {
  std::vector<std::int32_t> out(static_cast<std::size_t>(n));
  std::iota(out.begin(), out.end(), start);
  return out;
}

Tensor numbers(int n) { return range(n); }

class DatasetOnDevice : public testing::OnDevice {};

TEST_P(DatasetOnDevice, SlicesAreRowsOnTheSourceDevice) {
  const Tensor x = reshape(range(10), {5, 2});
  const Tensor y = range(5) * 10;
  const auto elements = collect(Dataset::from_tensor_slices({x, y}));
  ASSERT_EQ(elements.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(elements[i].size(), 2u);
    EXPECT_EQ(elements[i][0].shape(), Shape({2}));
    EXPECT_EQ(elements[i][1].shape(), Shape({}));
    EXPECT_EQ(elements[i][0].device(), device());
    EXPECT_EQ(elements[i][0].to_vector<std::int32_t>(),
              (std::vector<std::int32_t>{2 * i, 2 * i + 1}));
    EXPECT_EQ(elements[i][1].item<std::int32_t>(), 10 * i);
  }
  // A row is a view of the source, not a copy.
  EXPECT_EQ(elements[3][0].data<std::int32_t>(), x.data<std::int32_t>() + 6);
  EXPECT_EQ(values(Dataset::from_tensor_slices(numbers(4))), iota(4));
}

TEST_P(DatasetOnDevice, BatchesSliceGatherOrStackOnTheSourceDevice) {
  const Tensor x = reshape(range(20), {10, 2});
  const Tensor y = range(10);
  const auto batches = collect(Dataset::from_tensor_slices({x, y}).batch(4));
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0][0].shape(), Shape({4, 2}));
  EXPECT_EQ(batches[2][0].shape(), Shape({2, 2}));
  EXPECT_EQ(batches[2][1].to_vector<std::int32_t>(), (std::vector<std::int32_t>{8, 9}));
  EXPECT_EQ(batches[1][0].to_vector<std::int32_t>(), iota(8, 8));
  EXPECT_EQ(batches[1][0].data<std::int32_t>(), x.data<std::int32_t>() + 8);  // a slice: no copy
  for (const auto& b : collect(Dataset::from_tensor_slices({x, y}).shuffle(10, 3).batch(4))) {
    EXPECT_EQ(b[0].device(), device());
  }
  for (const auto& b : collect(
           Dataset::from_tensor_slices({x, y}).map([](const Element& e) { return e; }).batch(4))) {
    EXPECT_EQ(b[0].device(), device());
  }
}

INSTANTIATE_TEST_SUITE_P(Devices, DatasetOnDevice, ::testing::ValuesIn(testing::all_devices()),
                         testing::device_name);

class DatasetTest : public ::testing::Test {
 protected:
  DeviceScope cpu_{Device::cpu()};
};

TEST_F(DatasetTest, FromTensorSlicesChecksItsComponents) {
  expect_error<ShapeError>(
      [] {
        Dataset::from_tensor_slices({zeros({4, 3}), zeros({5})});
      },
      {"Dataset.from_tensor_slices", "component 1 has 5 rows", "component 0 has 4", "(4, 3)"});
  expect_error<ShapeError>([] { Dataset::from_tensor_slices(constant(1)); },
                           {"scalar", "rank >= 1"});
  expect_error<Error>([] { Dataset::from_tensor_slices(std::vector<Tensor>{}); }, {"at least one"});
  expect_error<Error>(
      [] {
        Dataset::from_tensor_slices({zeros({2}), Tensor()});
      },
      {"component 1 is undefined"});
}

TEST_F(DatasetTest, BatchKeepsComponentsAlignedAndDropsTheRemainder) {
  // Row i of x is (i, -i): every batch must pair x and y of the same rows, in every path.
  const Tensor y = range(23);
  const Tensor x = stack({y, negative(y)}, 1);
  const auto identity = [](const Element& e) { return e; };
  const Dataset base = Dataset::from_tensor_slices({x, y});
  for (const Dataset& ds :
       {base.batch(5), base.shuffle(7, 1).batch(5), base.shuffle(100, 2).batch(5),
        base.map(identity).shuffle(7, 1).batch(5)}) {
    std::vector<std::int32_t> seen;
    int batches = 0;
    for (const auto& batch : ds) {
      ++batches;
      const auto xs = batch[0].to_vector<std::int32_t>();
      const auto ys = batch[1].to_vector<std::int32_t>();
      ASSERT_EQ(xs.size(), 2 * ys.size());
      for (std::size_t i = 0; i < ys.size(); ++i) {
        EXPECT_EQ(xs[2 * i], ys[i]);
        EXPECT_EQ(xs[2 * i + 1], -ys[i]);
      }
      seen.insert(seen.end(), ys.begin(), ys.end());
    }
    EXPECT_EQ(batches, 5);
    std::sort(seen.begin(), seen.end());
    EXPECT_EQ(seen, iota(23));
  }
  const auto dropped = collect(base.shuffle(8, 4).batch(5, /*drop_remainder=*/true));
  ASSERT_EQ(dropped.size(), 4u);
  for (const auto& b : dropped) EXPECT_EQ(b[1].shape(), Shape({5}));
  EXPECT_EQ(base.batch(5, true).cardinality(), 4);
  EXPECT_EQ(base.batch(5).cardinality(), 5);
  EXPECT_TRUE(collect(base.take(3).batch(5, true)).empty());
}

TEST_F(DatasetTest, GatheredBatchesEqualStackedBatches) {
  // The row path (gather) and the element path (stacking slices) draw the same shuffle order.
  const Tensor x = reshape(range(60), {20, 3});
  const Dataset fast = Dataset::from_tensor_slices(x).shuffle(6, 9).batch(4);
  const Dataset slow =
      Dataset::from_tensor_slices(x).map([](const Element& e) { return e; }).shuffle(6, 9).batch(4);
  const auto a = collect(fast), b = collect(slow);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i][0].to_vector<std::int32_t>(), b[i][0].to_vector<std::int32_t>())
        << "batch " << i;
  }
}

TEST_F(DatasetTest, BatchOfUnequalElementsNamesTheShapes) {
  const Dataset ragged = Dataset::from_tensor_slices(numbers(3)).map([](const Element& e) {
    return Element{zeros({e[0].item<std::int32_t>() + 1})};
  });
  expect_error<ShapeError>([&] { collect(ragged.batch(3)); },
                           {"Dataset.batch", "component 0", "element 0 of the batch has shape (1,)",
                            "element 1 has (2,)"});
}

TEST_F(DatasetTest, ShuffleIsASeededPermutation) {
  const Dataset ds = Dataset::from_tensor_slices(numbers(50));
  auto order = values(ds.shuffle(64, 42));
  EXPECT_NE(order, iota(50));
  EXPECT_EQ(order, values(ds.shuffle(64, 42)));  // the same seed, a new dataset: the same order
  EXPECT_NE(order, values(ds.shuffle(64, 43)));
  std::sort(order.begin(), order.end());
  EXPECT_EQ(order, iota(50));
  EXPECT_EQ(ds.shuffle(64, 42).cardinality(), 50);
  EXPECT_EQ(values(ds.shuffle(1, 5)), iota(50));  // a buffer of one cannot reorder
}

TEST_F(DatasetTest, ShuffleReshufflesEachEpochReproducibly) {
  const Dataset ds = Dataset::from_tensor_slices(numbers(40));
  const Dataset reshuffled = ds.shuffle(40, 7);
  const auto epoch1 = values(reshuffled), epoch2 = values(reshuffled), epoch3 = values(reshuffled);
  EXPECT_NE(epoch1, epoch2);
  EXPECT_NE(epoch2, epoch3);
  const Dataset again = ds.shuffle(40, 7);
  EXPECT_EQ(values(again), epoch1);
  EXPECT_EQ(values(again), epoch2);
  const Dataset fixed = ds.shuffle(40, 7, /*reshuffle_each_iteration=*/false);
  EXPECT_EQ(values(fixed), epoch1);
  EXPECT_EQ(values(fixed), epoch1);
  // Under repeat(), every repetition is a pass of its own.
  const auto twice = values(ds.shuffle(40, 8).repeat(2));
  ASSERT_EQ(twice.size(), 80u);
  std::vector<std::int32_t> first(twice.begin(), twice.begin() + 40),
      second(twice.begin() + 40, twice.end());
  EXPECT_NE(first, second);
  std::sort(first.begin(), first.end());
  std::sort(second.begin(), second.end());
  EXPECT_EQ(first, iota(40));
  EXPECT_EQ(second, iota(40));
}

TEST_F(DatasetTest, UnseededShuffleFollowsTheGlobalSeed) {
  const Dataset ds = Dataset::from_tensor_slices(numbers(30));
  random::set_seed(11);
  const auto a = values(ds.shuffle(30));
  random::set_seed(11);
  EXPECT_EQ(values(ds.shuffle(30)), a);
  EXPECT_NE(values(ds.shuffle(30)), a);  // the next draw of the global generator
}

TEST_F(DatasetTest, ShuffleUsesABufferLikeTfData) {
  // With a buffer of k, output i is one of the first i + k inputs, and all k are possible.
  const Dataset ds = Dataset::from_tensor_slices(numbers(200));
  std::set<std::int32_t> firsts;
  for (std::uint64_t seed = 0; seed < 60; ++seed) {
    const auto order = values(ds.shuffle(3, seed));
    for (std::size_t i = 0; i < order.size(); ++i)
      ASSERT_LE(order[i], static_cast<std::int32_t>(i + 2));
    firsts.insert(order[0]);
  }
  EXPECT_EQ(firsts, (std::set<std::int32_t>{0, 1, 2}));
}

TEST_F(DatasetTest, ShuffleIsUniform) {
  // 6000 passes over 4 elements: each element leads about 1500 times (sd 34); each of the 24
  // orders appears about 250 times (sd 15).
  const Dataset ds = Dataset::from_tensor_slices(numbers(4)).shuffle(4, 2024);
  std::map<std::vector<std::int32_t>, int> orders;
  std::map<std::int32_t, int> leaders;
  for (int pass = 0; pass < 6000; ++pass) {
    const auto order = values(ds);
    ++orders[order];
    ++leaders[order[0]];
  }
  EXPECT_EQ(orders.size(), 24u);
  for (const auto& [order, count] : orders) EXPECT_NEAR(count, 250, 90);
  for (const auto& [leader, count] : leaders) EXPECT_NEAR(count, 1500, 200);
}

TEST_F(DatasetTest, MapRepeatAndTake) {
  const Dataset ds = Dataset::from_tensor_slices(numbers(4));
  EXPECT_EQ(values(ds.map([](const Element& e) {
              return Element{e[0] * e[0], e[0] + 1};
            }),
                   0),
            (std::vector<std::int32_t>{0, 1, 4, 9}));
  EXPECT_EQ(values(ds.map([](const Element& e) {
              return Element{e[0] * e[0], e[0] + 1};
            }),
                   1),
            (std::vector<std::int32_t>{1, 2, 3, 4}));
  EXPECT_EQ(values(ds.repeat(3)), (std::vector<std::int32_t>{0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3}));
  EXPECT_EQ(values(ds.repeat().take(6)), (std::vector<std::int32_t>{0, 1, 2, 3, 0, 1}));
  EXPECT_EQ(values(ds.repeat(-1).take(5)), (std::vector<std::int32_t>{0, 1, 2, 3, 0}));
  EXPECT_TRUE(values(ds.repeat(0)).empty());
  EXPECT_TRUE(values(ds.take(0).repeat()).empty());  // repeating nothing ends
  EXPECT_EQ(values(ds.take(2)), (std::vector<std::int32_t>{0, 1}));
  EXPECT_EQ(values(ds.take(-1)), iota(4));
  EXPECT_EQ(values(ds.take(10)), iota(4));
  // batch() joins repetitions as tf.data does: one batch spans the boundary (rows 3, 0, 1, 2).
  const auto batches = collect(ds.repeat(2).batch(3));
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[1][0].to_vector<std::int32_t>(), (std::vector<std::int32_t>{3, 0, 1}));
  EXPECT_EQ(batches[2][0].to_vector<std::int32_t>(), (std::vector<std::int32_t>{2, 3}));
  // The map runs on every element of every pass, after the shuffle before it.
  std::atomic<int> calls{0};
  const Dataset counted = ds.map([&calls](const Element& e) {
    ++calls;
    return e;
  });
  collect(counted.repeat(2));
  EXPECT_EQ(calls.load(), 8);
}

TEST_F(DatasetTest, Cardinality) {
  const Dataset ds = Dataset::from_tensor_slices(numbers(10));
  EXPECT_EQ(ds.cardinality(), 10);
  EXPECT_EQ(ds.batch(3).cardinality(), 4);
  EXPECT_EQ(ds.batch(3, true).cardinality(), 3);
  EXPECT_EQ(ds.repeat(3).cardinality(), 30);
  EXPECT_EQ(ds.repeat().cardinality(), Dataset::kInfiniteCardinality);
  EXPECT_EQ(ds.repeat().batch(4).cardinality(), Dataset::kInfiniteCardinality);
  EXPECT_EQ(ds.repeat().take(7).cardinality(), 7);
  EXPECT_EQ(ds.take(0).repeat().cardinality(), 0);
  EXPECT_EQ(ds.take(4).cardinality(), 4);
  EXPECT_EQ(ds.take(40).cardinality(), 10);
  EXPECT_EQ(ds.shuffle(4).map([](const Element& e) { return e; }).prefetch(2).cardinality(), 10);
  EXPECT_EQ(Dataset::kUnknownCardinality, -2);
}

TEST_F(DatasetTest, MethodsCheckTheirArguments) {
  const Dataset ds = Dataset::from_tensor_slices(numbers(3));
  expect_error<Error>([&] { ds.shuffle(0); }, {"Dataset.shuffle", "at least 1, got 0"});
  expect_error<Error>([&] { ds.batch(0); }, {"Dataset.batch", "at least 1, got 0"});
  expect_error<Error>([&] { ds.repeat(-2); }, {"Dataset.repeat", "got -2"});
  expect_error<Error>([&] { ds.take(-3); }, {"Dataset.take", "got -3"});
  expect_error<Error>([&] { ds.prefetch(0); }, {"Dataset.prefetch", "got 0"});
  expect_error<Error>([&] { ds.map(nullptr); }, {"Dataset.map", "empty"});
}

TEST_F(DatasetTest, DatasetsAreImmutableAndIteratorsOutliveThem) {
  const Dataset ds = Dataset::from_tensor_slices(numbers(5));
  const Dataset batched = ds.batch(2);
  EXPECT_EQ(values(ds), iota(5));  // batching made a new dataset
  auto it = Dataset::from_tensor_slices(numbers(3)).batch(2).begin();  // the Dataset is gone
  EXPECT_EQ((*it)[0].to_vector<std::int32_t>(), (std::vector<std::int32_t>{0, 1}));
  ++it;
  EXPECT_EQ(it->at(0).to_vector<std::int32_t>(), (std::vector<std::int32_t>{2}));
  ++it;
  EXPECT_TRUE(it == std::default_sentinel);
  static_assert(std::input_iterator<Dataset::Iterator>);
}

TEST_F(DatasetTest, PrefetchYieldsTheSameElementsFromAnotherThread) {
  const Dataset ds = Dataset::from_tensor_slices(numbers(25)).shuffle(10, 5);
  const auto expected = values(Dataset::from_tensor_slices(numbers(25)).shuffle(10, 5));
  EXPECT_EQ(values(ds.prefetch(3)), expected);
  // Nested prefetches, on a fresh dataset (`ds` has had its first pass).
  const Dataset fresh = Dataset::from_tensor_slices(numbers(25)).shuffle(10, 5);
  EXPECT_EQ(values(fresh.prefetch(Dataset::kAutotune).prefetch(1)), expected);
  std::atomic<bool> on_consumer_thread{false};
  const auto consumer = std::this_thread::get_id();
  const Dataset mapped = Dataset::from_tensor_slices(numbers(4)).map([&](const Element& e) {
    if (std::this_thread::get_id() == consumer) on_consumer_thread = true;
    return Element{e[0] + 100, ones({2})};
  });
  for (const auto& element : mapped.prefetch(2)) {
    EXPECT_EQ(element[1].device(), Device::cpu());  // the consumer's default device
  }
  EXPECT_FALSE(on_consumer_thread.load());
  EXPECT_EQ(values(mapped.prefetch(2)), (std::vector<std::int32_t>{100, 101, 102, 103}));
}

// config::set_inter_op_parallelism_threads bounds the producer threads; the setting is restored
// when the test ends, whatever happens.
class InterOpThreads {
 public:
  explicit InterOpThreads(int threads) : saved_(config::get_inter_op_parallelism_threads()) {
    config::set_inter_op_parallelism_threads(threads);
  }
  ~InterOpThreads() { config::set_inter_op_parallelism_threads(saved_); }

 private:
  int saved_;
};

TEST_F(DatasetTest, InterOpParallelismBoundsThePrefetchThreads) {
  const auto consumer = std::this_thread::get_id();
  std::atomic<int> inline_calls{0}, background_calls{0};
  const Dataset mapped = Dataset::from_tensor_slices(numbers(6)).map([&](const Element& e) {
    ++(std::this_thread::get_id() == consumer ? inline_calls : background_calls);
    return e;
  });
  const std::vector<std::int32_t> expected = iota(6);
  {
    const InterOpThreads one(1);  // no work beside the consumer: prefetch runs inline
    EXPECT_EQ(values(mapped.prefetch(2)), expected);
    EXPECT_EQ(inline_calls.load(), 6);
    EXPECT_EQ(background_calls.load(), 0);
  }
  inline_calls = 0;
  {
    const InterOpThreads two(2);              // one producer thread at a time
    auto first = mapped.prefetch(2).begin();  // holds the slot while it lives
    EXPECT_EQ((*first)[0].item<std::int32_t>(), 0);
    EXPECT_EQ(values(mapped.prefetch(2)), expected);  // started beyond the slot: inline
    EXPECT_EQ(inline_calls.load(), 6);
    first = Dataset::Iterator();  // ends the first pass and frees its slot
    inline_calls = background_calls = 0;
    EXPECT_EQ(values(mapped.prefetch(2)), expected);
    EXPECT_EQ(inline_calls.load(), 0);
    EXPECT_EQ(background_calls.load(), 6);
  }
  EXPECT_EQ(config::get_inter_op_parallelism_threads(), 0);  // the default: a thread per pass
  expect_error<Error>([] { config::set_inter_op_parallelism_threads(-1); },
                      {"set_inter_op_parallelism_threads", "got -1"});
}

TEST_F(DatasetTest, PrefetchDeliversErrorsWhereTheyHappened) {
  const Dataset failing = Dataset::from_tensor_slices(numbers(10)).map([](const Element& e) {
    if (e[0].item<std::int32_t>() == 3) throw IoError("element 3 is broken");
    return e;
  });
  std::vector<std::int32_t> seen;
  expect_error<IoError>(
      [&] {
        for (const auto& element : failing.prefetch(4))
          seen.push_back(element[0].item<std::int32_t>());
      },
      {"element 3 is broken"});
  EXPECT_EQ(seen, (std::vector<std::int32_t>{0, 1, 2}));
  // Failing on the first element: begin() throws.
  const Dataset at_once =
      Dataset::from_tensor_slices(numbers(2)).map([](const Element&) -> Element {
        throw ShapeError("no");
      });
  expect_error<ShapeError>([&] { at_once.prefetch(2).begin(); }, {"no"});
  // Without prefetch, the same error comes straight through.
  expect_error<IoError>([&] { collect(failing); }, {"element 3 is broken"});
}

TEST_F(DatasetTest, LeavingAPrefetchingLoopEarlyStopsTheThread) {
  std::atomic<int> produced{0};
  const Dataset endless =
      Dataset::from_tensor_slices(numbers(3)).repeat().map([&](const Element& e) {
        ++produced;
        return e;
      });
  int consumed = 0;
  for (const auto& element : endless.prefetch(4)) {
    (void)element;
    if (++consumed == 5) break;
  }
  const int after_break = produced.load();
  EXPECT_LE(after_break, 5 + 4 + 1);  // what was read, the full queue, one in the producer's hands
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(produced.load(), after_break);  // the thread is gone
  // Dropped with a full queue and a blocked producer, or before reading anything.
  {
    auto it = endless.prefetch(2).begin();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  { auto it = endless.batch(3).prefetch(1).prefetch(1).begin(); }
  // An iterator moved out of keeps the stream; the moved-from one is empty.
  auto first = endless.prefetch(2).begin();
  auto second = std::move(first);
  EXPECT_EQ((*second)[0].item<std::int32_t>(), 0);
}

TEST(DatasetSpeed, FashionMnistEpoch) {
  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)";
  }
  DeviceScope cpu(Device::cpu());
  auto [train, test] = io::datasets::fashion_mnist::load_data("/usr/share/datasets/fashion-mnist");
  auto [x_train, y_train] = train;
  (void)test;
  const Tensor x = reshape(utils::rescale(x_train, 1.0 / 255), {-1, 28 * 28});
  const Tensor y = utils::to_categorical(y_train, 10);
  const Dataset ds = Dataset::from_tensor_slices({x, y}).shuffle(1024).batch(32);
  for (int epoch = 0; epoch < 2; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    std::int64_t batches = 0, rows = 0;
    for (const auto& batch : ds) {
      ++batches;
      rows += batch[0].shape(0);
    }
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(batches, 1875);
    EXPECT_EQ(rows, 60000);
    std::printf("Fashion-MNIST (60000, 784) float32 shuffle(1024).batch(32), epoch %d: %.1f ms\n",
                epoch, ms);
    EXPECT_LT(ms, 5000.0);
  }
}

}  // namespace
}  // namespace ember
