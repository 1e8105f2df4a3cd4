// callbacks::TensorBoard as Keras': the runs and tags it writes, read back from its event files
// and compared with fit's History and the model's weights.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "tests/test_support.h"

namespace ember {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

std::vector<summary::Event> events_in(const std::string& dir) {
  std::vector<summary::Event> all;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const auto events = summary::read_events(entry.path().string());
    all.insert(all.end(), events.begin(), events.end());
  }
  return all;
}

/// tag -> (step, value) of every value with a tensor.
std::map<std::string, std::vector<std::pair<std::int64_t, summary::TensorValue>>> by_tag(
    const std::vector<summary::Event>& events) {
  std::map<std::string, std::vector<std::pair<std::int64_t, summary::TensorValue>>> out;
  for (const auto& e : events)
    for (const auto& v : e.values) out[v.tag].push_back({e.step, v.tensor});
  return out;
}

keras::Handle<keras::Sequential> small_model() {
  random::set_seed(5);
  auto handle = keras::make<keras::Sequential>(std::vector<keras::SequentialItem>{
      keras::Input({2}), layers::Dense(3, _activation = "tanh", _name = "hidden"),
      layers::Dense(1, _name = "out")});
  handle->compile(_optimizer = "adam", _loss = "mse", _metrics = {"mae"});
  return handle;
}

struct Data {
  Tensor x = constant(std::vector<float>{0.1f, -0.4f, 0.7f, 0.2f, 0.9f, -0.3f, 0.5f, -0.8f, 0.3f,
                                         0.6f, -0.2f, 0.4f, -0.6f, 0.8f, 0.0f, 0.35f},
                      {8, 2});
  Tensor y =
      constant(std::vector<float>{0.5f, -0.1f, 0.3f, 0.8f, -0.4f, 0.2f, 0.6f, -0.7f}, {8, 1});
};

void skip_without_event_files() {
  if (!summary::available()) GTEST_SKIP() << "built without protobuf/ISA-L (EMBER_TENSORBOARD)";
}

TEST(TensorBoardCallback, WritesTheEpochLogsOfBothRunsAsHistoryHasThem) {
  skip_without_event_files();
  TempDir dir;
  const Data data;
  auto model = small_model();
  auto history = model->fit(data.x, data.y, _epochs = 3, _batch_size = 2, _shuffle = false,
                            _verbose = 0, _validation_data = {data.x, data.y},
                            _callbacks = {callbacks::TensorBoard(dir / "logs")});
  const auto train = by_tag(events_in(dir / "logs/train"));
  const auto validation = by_tag(events_in(dir / "logs/validation"));
  for (const auto& [ours, theirs, run] :
       {std::tuple{"epoch_loss", "loss", &train}, std::tuple{"epoch_mae", "mae", &train},
        std::tuple{"epoch_loss", "val_loss", &validation},
        std::tuple{"epoch_mae", "val_mae", &validation}}) {
    SCOPED_TRACE(theirs);
    const auto& values = run->at(ours);
    ASSERT_EQ(values.size(), 3u);
    for (int epoch = 0; epoch < 3; ++epoch) {
      EXPECT_EQ(values[epoch].first, epoch);
      EXPECT_EQ(values[epoch].second.dtype, "float32");
      EXPECT_EQ(values[epoch].second.numbers[0],
                static_cast<float>(history[theirs][static_cast<std::size_t>(epoch)]));
    }
  }
  ASSERT_EQ(train.at("epoch_learning_rate").size(), 3u);
  EXPECT_EQ(train.at("epoch_learning_rate")[0].second.numbers[0], 0.001f);  // Adam's default
  EXPECT_FALSE(train.contains("batch_loss"));                               // update_freq "epoch"
  EXPECT_FALSE(train.contains("epoch_val_loss"));
  // After each validation, its values against the optimizer's step count (4 batches an epoch).
  const auto& evaluation = validation.at("evaluation_loss_vs_iterations");
  ASSERT_EQ(evaluation.size(), 3u);
  for (int epoch = 0; epoch < 3; ++epoch) EXPECT_EQ(evaluation[epoch].first, 4 * (epoch + 1));
  // The model's structure, as Keras writes it for the graph dashboard.
  const auto events = events_in(dir / "logs/train");
  bool graph = false;
  for (const auto& e : events)
    for (const auto& v : e.values)
      if (v.tag == "keras") {
        graph = true;
        EXPECT_EQ(v.plugin_name, "graph_keras_model");
        EXPECT_EQ(v.plugin_content, "1");
        EXPECT_EQ(v.tensor.strings, std::vector<std::string>{model->to_json()});
      }
  EXPECT_TRUE(graph);
}

TEST(TensorBoardCallback, BatchValuesEveryNBatchesAndCustomSummariesTakeTheBatchStep) {
  skip_without_event_files();
  TempDir dir;
  const Data data;
  auto model = small_model();
  callbacks::LambdaCallback custom({.on_train_batch_end = [](std::int64_t, keras::Logs&) {
    summary::scalar("custom", 1.5);  // no step: the callback's batch counter
  }});
  model->fit(data.x, data.y, _epochs = 2, _batch_size = 2, _shuffle = false, _verbose = 0,
             _callbacks = {callbacks::TensorBoard(dir / "logs", _update_freq = 3), custom});
  const auto train = by_tag(events_in(dir / "logs/train"));
  std::vector<std::int64_t> steps;
  for (const auto& [step, value] : train.at("batch_loss")) steps.push_back(step);
  EXPECT_EQ(steps, (std::vector<std::int64_t>{3, 6}));  // 8 batches, every third
  ASSERT_TRUE(train.contains("batch_mae"));
  steps.clear();
  for (const auto& [step, value] : train.at("custom")) steps.push_back(step);
  EXPECT_EQ(steps, (std::vector<std::int64_t>{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_FALSE(summary::get_step().has_value());  // put back after fit
}

TEST(TensorBoardCallback, WeightHistogramsAndImagesEveryHistogramFreqEpochs) {
  skip_without_event_files();
  if (!io::png_available()) GTEST_SKIP() << "built without libpng";
  TempDir dir;
  const Data data;
  auto model = small_model();
  model->fit(data.x, data.y, _epochs = 3, _batch_size = 4, _verbose = 0,
             _callbacks = {callbacks::TensorBoard(dir / "logs", _histogram_freq = 2,
                                                  _write_images = true, _write_graph = false)});
  const auto train = by_tag(events_in(dir / "logs/train"));
  EXPECT_FALSE(train.contains("keras"));
  const auto& kernel = train.at("hidden/kernel/histogram");
  ASSERT_EQ(kernel.size(), 2u);  // epochs 0 and 2
  EXPECT_EQ(kernel[0].first, 0);
  EXPECT_EQ(kernel[1].first, 2);
  // The last histogram is of the final weights: its edges span their range, its counts add up.
  const auto weights = testing::values_of(model->get_layer("hidden")->weights()[0].value());
  const auto& buckets = kernel[1].second;
  ASSERT_EQ(buckets.shape, (std::vector<std::int64_t>{30, 3}));
  EXPECT_EQ(buckets.numbers[0], *std::min_element(weights.begin(), weights.end()));
  EXPECT_EQ(buckets.numbers[3 * 29 + 1], *std::max_element(weights.begin(), weights.end()));
  double count = 0;
  for (int i = 0; i < 30; ++i) count += buckets.numbers[3 * i + 2];
  EXPECT_EQ(count, 6.0);
  ASSERT_TRUE(train.contains("out/bias/histogram"));
  // Images: the (2, 3) kernel as one 3-wide, 2-high picture; the (3, 1) kernel, squeezed to a
  // vector, as a bias is drawn: 1 wide, 3 high.
  const auto& hidden_image = train.at("hidden/kernel/image")[0].second.strings;
  ASSERT_EQ(hidden_image.size(), 3u);
  EXPECT_EQ(hidden_image[0], "3");
  EXPECT_EQ(hidden_image[1], "2");
  const auto& out_image = train.at("out/kernel/image")[0].second.strings;
  EXPECT_EQ(out_image[0], "1");
  EXPECT_EQ(out_image[1], "3");
  EXPECT_EQ(io::decode_png(hidden_image[2]).pixels.size(), 6u);
}

TEST(TensorBoardCallback, BadOptionsAreErrors) {
  skip_without_event_files();
  EXPECT_THROW(callbacks::TensorBoard("logs", _update_freq = "hour"), Error);
  EXPECT_THROW(callbacks::TensorBoard("logs", _update_freq = 0), Error);
  EXPECT_THROW(callbacks::TensorBoard("logs", _histogram_freq = -1), Error);
  EXPECT_THROW(callbacks::TensorBoard(""), Error);
}

}  // namespace
}  // namespace ember
