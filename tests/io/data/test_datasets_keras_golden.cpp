// io::datasets against Keras 3's own loaders: boston_housing and imdb on small files laid out as
// Keras' (tests/golden/dataset_loaders.py made them and recorded what Keras returned), the
// pickled CIFAR batches of the python version, pad_sequences, and NumPy's RandomState.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "ember.h"
#include "io/data/numpy_random.h"

namespace ember {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

fs::path test_data() {
  const char* dir = std::getenv("EMBER_TEST_DATA");
  return dir != nullptr ? fs::path(dir) : fs::path("tests/data");
}

const Json& expected() {
  static const Json json = [] {
    std::ifstream in(test_data() / "datasets" / "expected.json");
    return Json::parse(in);
  }();
  return json;
}

std::vector<double> flatten(const Json& rows) {
  std::vector<double> out;
  for (const Json& row : rows) {
    if (row.is_array()) {
      for (const Json& v : row) out.push_back(v.get<double>());
    } else {
      out.push_back(row.get<double>());
    }
  }
  return out;
}

// A folder holding just `file` from tests/data/datasets, so the loader's `dir` reads it.
class KerasGolden : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ember_keras_golden_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string with(const std::string& file) {
    fs::copy_file(test_data() / "datasets" / file, dir_ / file,
                  fs::copy_options::overwrite_existing);
    return dir_.string();
  }
  DeviceScope cpu_{Device::cpu()};
  fs::path dir_;
};

TEST(LegacyRandomState, IsMt19937SeededAsTheStandardOne) {
  // std::mt19937's seeding is MT19937's init_genrand, as NumPy's RandomState(int).
  for (std::uint32_t seed : {0u, 113u, 5489u, 4294967295u}) {
    io::LegacyRandomState ours(seed);
    std::mt19937 reference(seed);
    for (int i = 0; i < 2000; ++i) ASSERT_EQ(ours.next_uint32(), reference()) << "seed " << seed;
  }
}

TEST(LegacyRandomState, ShufflesAsNumpy) {
  // np.random.RandomState(113).shuffle(np.arange(506)) (NumPy 2.4), and on one state two shuffles
  // in a row: arange(10), then arange(7).
  std::vector<std::int64_t> rows(506);
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<std::int64_t>(i);
  io::LegacyRandomState(113).shuffle(rows);
  EXPECT_EQ(std::vector<std::int64_t>(rows.begin(), rows.begin() + 12),
            (std::vector<std::int64_t>{22, 202, 368, 335, 461, 323, 382, 143, 146, 141, 402, 412}));
  EXPECT_EQ(std::vector<std::int64_t>(rows.end() - 3, rows.end()),
            (std::vector<std::int64_t>{162, 220, 165}));
  io::LegacyRandomState rng(113);
  std::vector<std::int64_t> ten = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  std::vector<std::int64_t> seven = {0, 1, 2, 3, 4, 5, 6};
  rng.shuffle(ten);
  rng.shuffle(seven);
  EXPECT_EQ(ten, (std::vector<std::int64_t>{9, 3, 6, 1, 0, 7, 4, 8, 2, 5}));
  EXPECT_EQ(seven, (std::vector<std::int64_t>{5, 1, 0, 3, 6, 4, 2}));
}

TEST_F(KerasGolden, BostonHousingSplitsAsKeras) {
  const std::string dir = with("boston_housing.npz");
  for (const Json& c : expected()["boston_housing"]) {
    SCOPED_TRACE(c["seed"].dump());
    auto [train, test] = io::datasets::boston_housing::load_data(
        c["test_split"].get<double>(), c["seed"].get<std::uint32_t>(), dir);
    EXPECT_EQ(train.first.dtype(), float64);
    EXPECT_EQ(train.first.shape(), Shape({static_cast<std::int64_t>(c["x_train"].size()), 13}));
    EXPECT_EQ(train.first.to_vector<double>(), flatten(c["x_train"]));
    EXPECT_EQ(train.second.to_vector<double>(), flatten(c["y_train"]));
    EXPECT_EQ(test.first.to_vector<double>(), flatten(c["x_test"]));
    EXPECT_EQ(test.second.to_vector<double>(), flatten(c["y_test"]));
  }
  EXPECT_THROW(io::datasets::boston_housing::load_data(1.0, 113, dir), Error);
}

io::datasets::imdb::Options imdb_options(const Json& given, const std::string& dir) {
  io::datasets::imdb::Options options;
  options.dir = dir;
  auto optional_int = [&](const char* key, std::optional<std::int32_t>& field) {
    if (!given.contains(key)) return;
    field =
        given[key].is_null() ? std::nullopt : std::optional<std::int32_t>(given[key].get<int>());
  };
  optional_int("num_words", options.num_words);
  optional_int("maxlen", options.maxlen);
  optional_int("start_char", options.start_char);
  optional_int("oov_char", options.oov_char);
  if (given.contains("skip_top")) options.skip_top = given["skip_top"].get<int>();
  if (given.contains("index_from")) options.index_from = given["index_from"].get<int>();
  if (given.contains("seed")) options.seed = given["seed"].get<std::uint32_t>();
  return options;
}

TEST_F(KerasGolden, ImdbSequencesAreKerasOwn) {
  const std::string dir = with("imdb.npz");
  for (const Json& c : expected()["imdb"]) {
    SCOPED_TRACE(c["options"].dump());
    auto [train, test] = io::datasets::imdb::load_data(imdb_options(c["options"], dir));
    EXPECT_EQ(train.first, c["x_train"].get<io::datasets::imdb::Sequences>());
    EXPECT_EQ(test.first, c["x_test"].get<io::datasets::imdb::Sequences>());
    EXPECT_EQ(train.second.to_vector<std::int64_t>(),
              c["y_train"].get<std::vector<std::int64_t>>());
    EXPECT_EQ(test.second.to_vector<std::int64_t>(), c["y_test"].get<std::vector<std::int64_t>>());
  }
  io::datasets::imdb::Options none_left;
  none_left.dir = dir;
  none_left.maxlen = 1;
  EXPECT_THROW(io::datasets::imdb::load_data(none_left), Error);
}

TEST_F(KerasGolden, ImdbWordIndexIsTheJsonMap) {
  std::ofstream(dir_ / "imdb_word_index.json") << R"({"the": 1, "and": 2, "fawn": 34701})";
  const auto index = io::datasets::imdb::get_word_index(dir_.string());
  EXPECT_EQ(index, (std::map<std::string, std::int32_t>{{"the", 1}, {"and", 2}, {"fawn", 34701}}));
  std::ofstream(dir_ / "imdb_word_index.json") << R"({"the": "one"})";
  EXPECT_THROW(io::datasets::imdb::get_word_index(dir_.string()), IoError);
  std::ofstream(dir_ / "imdb_word_index.json") << R"([1, 2)";
  EXPECT_THROW(io::datasets::imdb::get_word_index(dir_.string()), IoError);
  fs::remove(dir_ / "imdb_word_index.json");
  try {
    io::datasets::imdb::get_word_index(dir_.string());
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("no imdb_word_index.json in"), std::string::npos)
        << e.what();
  }
}

TEST(PadSequences, AsKeras) {
  DeviceScope cpu(Device::cpu());
  const Json& golden = expected()["pad_sequences"];
  const auto sequences = golden["sequences"].get<std::vector<std::vector<std::int32_t>>>();
  for (const Json& c : golden["cases"]) {
    SCOPED_TRACE(c["options"].dump());
    utils::PadOptions options;
    if (c["options"].contains("maxlen"))
      options.maxlen = c["options"]["maxlen"].get<std::int64_t>();
    if (c["options"].contains("padding")) options.padding = c["options"]["padding"];
    if (c["options"].contains("truncating")) options.truncating = c["options"]["truncating"];
    if (c["options"].contains("value")) options.value = c["options"]["value"];
    const Tensor padded = utils::pad_sequences(sequences, options);
    EXPECT_EQ(padded.dtype(), int32);
    EXPECT_EQ(padded.shape(), Shape({4, static_cast<std::int64_t>(c["result"][0].size())}));
    std::vector<double> got;
    for (std::int32_t v : padded.to_vector<std::int32_t>()) got.push_back(v);
    EXPECT_EQ(got, flatten(c["result"]));
  }
  utils::PadOptions floats;
  floats.dtype = float32;
  floats.value = 0.5;
  EXPECT_EQ(utils::pad_sequences({{1}, {}}, floats).to_vector<float>(),
            (std::vector<float>{1, 0.5}));
  utils::PadOptions bad;
  bad.padding = "middle";
  EXPECT_THROW(utils::pad_sequences(sequences, bad), Error);
}

// The python version's pickled batches, as Keras downloads them (Python 2 cPickle dicts):
// tests/data/pickle/cifar10_py2.pkl holds 3 images, data[i, j] = (i * 3072 + j) * 7 % 256 with
// j = channel * 1024 + row * 32 + column, labels 6, 9, 4.
TEST_F(KerasGolden, Cifar10ReadsThePythonVersion) {
  const fs::path folder = dir_ / "cifar-10-batches-py";
  fs::create_directories(folder);
  for (const char* name : {"data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4",
                           "data_batch_5", "test_batch"}) {
    fs::copy_file(test_data() / "pickle" / "cifar10_py2.pkl", folder / name);
  }
  auto [train, test] = io::datasets::cifar10::load_data(dir_.string());
  EXPECT_EQ(train.first.shape(), Shape({15, 32, 32, 3}));
  EXPECT_EQ(train.second.shape(), Shape({15, 1}));
  EXPECT_EQ(test.second.to_vector<std::uint8_t>(), (std::vector<std::uint8_t>{6, 9, 4}));
  const std::vector<std::uint8_t> pixels = test.first.to_vector<std::uint8_t>();
  for (std::int64_t i = 0; i < 3; ++i) {
    for (std::int64_t p = 0; p < 1024; ++p) {
      for (std::int64_t c = 0; c < 3; ++c) {
        ASSERT_EQ(pixels[static_cast<std::size_t>((i * 1024 + p) * 3 + c)],
                  static_cast<std::uint8_t>((i * 3072 + c * 1024 + p) * 7 % 256))
            << "image " << i << " pixel " << p << " channel " << c;
      }
    }
  }
  fs::resize_file(folder / "data_batch_4", 3000);
  try {
    io::datasets::cifar10::load_data(dir_.string());
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("data_batch_4"), std::string::npos) << e.what();
  }
}

// cifar100_py2.pkl: 2 images, data[i, j] = (i * 3072 + j) * 13 % 251, fine 19, 29, coarse 11, 15.
TEST_F(KerasGolden, Cifar100ReadsFineAndCoarseLabels) {
  const fs::path folder = dir_ / "cifar-100-python";
  fs::create_directories(folder);
  for (const char* name : {"train", "test"}) {
    fs::copy_file(test_data() / "pickle" / "cifar100_py2.pkl", folder / name);
  }
  auto fine = io::datasets::cifar100::load_data("fine", dir_.string());
  auto coarse = io::datasets::cifar100::load_data("coarse", dir_.string());
  EXPECT_EQ(fine.y_train().to_vector<std::uint8_t>(), (std::vector<std::uint8_t>{19, 29}));
  EXPECT_EQ(coarse.y_test().to_vector<std::uint8_t>(), (std::vector<std::uint8_t>{11, 15}));
  EXPECT_EQ(fine.x_test().index(1, 0, 2, 1).item<std::uint8_t>(),
            static_cast<std::uint8_t>((3072 + 1024 + 2) * 13 % 251));
}

}  // namespace
}  // namespace ember
