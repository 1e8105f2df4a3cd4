// io::datasets fetching what no folder holds, from a loopback server standing in for Keras'
// origins ($EMBER_DATASETS_MIRROR): the file names and hashes are Keras', the network is never
// touched.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <list>
#include <optional>

#include "ember.h"
#include "io/data/download.h"
#include "tests/io/data/archive_fixtures.h"
#include "tests/io/data/loopback_http_server.h"
#include "tests/scoped_env.h"
#include "tests/test_support.h"

namespace ember {
namespace {

namespace fs = std::filesystem;
using ember::testing::expect_error;
using ember::testing::LoopbackHttpServer;
using ember::testing::ScopedEnv;

// An IDX file of uint8: magic 0x0803 (3-D) or 0x0801 (1-D), big-endian sizes, then the bytes.
std::string idx(const std::vector<std::uint32_t>& dims, const std::string& data) {
  std::string out = {0, 0, 8, static_cast<char>(dims.size())};
  for (std::uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((d >> shift) & 0xff);
  }
  return out + data;
}

std::string pixels(std::size_t count, int seed) {
  std::string out(count, '\0');
  for (std::size_t i = 0; i < count; ++i) out[i] = static_cast<char>((seed + 7 * i) % 256);
  return out;
}

class DatasetDownloads : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!io::downloads_available()) GTEST_SKIP() << "built without libcurl";
    home_ = fs::temp_directory_path() / ("ember_dataset_downloads_" + std::to_string(::getpid()));
    fs::remove_all(home_);
    variables_.emplace_back("EMBER_HOME", home_.string());
    variables_.emplace_back("EMBER_DATA", std::nullopt);
    variables_.emplace_back("EMBER_SYSTEM_DATASETS", "");
    variables_.emplace_back("EMBER_DATASETS_MIRROR", server_.url("/"));
  }
  void TearDown() override {
    variables_.clear();
    fs::remove_all(home_);
  }
  std::vector<std::string> cached(const std::string& subdir = "datasets") const {
    std::vector<std::string> names;
    std::error_code ec;
    if (!fs::is_directory(home_ / subdir, ec)) return names;
    for (const auto& entry : fs::directory_iterator(home_ / subdir)) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  LoopbackHttpServer server_;
  fs::path home_;
  std::list<ScopedEnv> variables_;
};

TEST_F(DatasetDownloads, FashionMnistFetchesKerasFourFilesOnceAndReadsThem) {
  using ember::testing::gzip;
  server_.serve("/train-images-idx3-ubyte.gz",
                {.body = gzip(idx({3, 28, 28}, pixels(3 * 784, 1)))});
  server_.serve("/train-labels-idx1-ubyte.gz", {.body = gzip(idx({3}, std::string{9, 0, 4}))});
  server_.serve("/t10k-images-idx3-ubyte.gz", {.body = gzip(idx({2, 28, 28}, pixels(2 * 784, 5)))});
  server_.serve("/t10k-labels-idx1-ubyte.gz", {.body = gzip(idx({2}, std::string{3, 7}))});
  auto [train, test] = io::datasets::fashion_mnist::load_data();
  EXPECT_EQ(train.first.shape(), Shape({3, 28, 28}));
  EXPECT_EQ(train.second.to_vector<std::uint8_t>(), (std::vector<std::uint8_t>{9, 0, 4}));
  EXPECT_EQ(test.second.to_vector<std::uint8_t>(), (std::vector<std::uint8_t>{3, 7}));
  // x[1, 0, 5] is byte 784 + 5 of the training images: (1 + 7 * 789) mod 256.
  EXPECT_EQ(train.first.index(1, 0, 5).item<std::uint8_t>(),
            static_cast<std::uint8_t>((1 + 7 * 789) % 256));
  EXPECT_EQ(cached("datasets/fashion-mnist"),
            (std::vector<std::string>{"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
                                      "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"}));
  io::datasets::fashion_mnist::load_data();
  EXPECT_EQ(server_.total_requests(), 4);
}

TEST_F(DatasetDownloads, FashionMnistChecksWhatItDownloaded) {
  using ember::testing::gzip;
  server_.serve("/train-images-idx3-ubyte.gz",
                {.body = gzip(idx({3, 28, 28}, pixels(3 * 784, 1)))});
  server_.serve("/train-labels-idx1-ubyte.gz", {.body = gzip(idx({3}, std::string{9, 0, 12}))});
  server_.serve("/t10k-images-idx3-ubyte.gz", {.body = gzip(idx({2, 28, 28}, pixels(100, 5)))});
  server_.serve("/t10k-labels-idx1-ubyte.gz", {.body = gzip(idx({2}, std::string{3, 7}))});
  expect_error<IoError>([] { io::datasets::fashion_mnist::load_data(); },
                        {"train-labels-idx1-ubyte.gz: label 12 at position 2 is outside 0..9"});
}

// The served file is not Keras' (its hash differs): the error names the URL, both hashes and
// where the right file could be put by hand, and nothing stays in the cache.
void expect_keras_hash_refused(const std::function<void()>& load, const std::string& url,
                               const std::string& keras_hash, const std::string& by_hand) {
  expect_error<IoError>(load, {url, "expected " + keras_hash, "nothing was kept", by_hand});
}

TEST_F(DatasetDownloads, MnistCifar10AndCifar100UseKerasNamesAndHashes) {
  server_.serve("/mnist.npz", {.body = "not mnist"});
  server_.serve("/cifar-10-python.tar.gz", {.body = "not cifar"});
  server_.serve("/cifar-100-python.tar.gz", {.body = "not cifar either"});
  expect_keras_hash_refused([] { io::datasets::mnist::load_data(); }, server_.url("/mnist.npz"),
                            "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
                            (home_ / "datasets" / "mnist.npz").string());
  expect_keras_hash_refused([] { io::datasets::cifar10::load_data(); },
                            server_.url("/cifar-10-python.tar.gz"),
                            "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
                            (home_ / "datasets" / "cifar-10-batches-py-target_archive").string());
  expect_keras_hash_refused([] { io::datasets::cifar100::load_data("coarse"); },
                            server_.url("/cifar-100-python.tar.gz"),
                            "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7",
                            (home_ / "datasets" / "cifar-100-python-target_archive").string());
  EXPECT_EQ(cached(), std::vector<std::string>{});
  EXPECT_THROW(io::datasets::cifar100::load_data("medium"), Error);
}

TEST_F(DatasetDownloads, OfflineSaysWhatFailedAndWhereToPutTheFile) {
  ScopedEnv mirror("EMBER_DATASETS_MIRROR",
                   "http://127.0.0.1:" + std::to_string(ember::testing::closed_port()));
  expect_error<IoError>([] { io::datasets::mnist::load_data(); },
                        {"mnist.load_data", "could not connect", "by hand",
                         "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"});
}

TEST_F(DatasetDownloads, EmberDataComesBeforeTheCache) {
  const fs::path data = home_ / "data";
  fs::create_directories(data / "fashion-mnist");
  auto put = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(data / "fashion-mnist" / name, std::ios::binary) << bytes;
  };
  put("train-images-idx3-ubyte", idx({1, 28, 28}, pixels(784, 0)));
  put("train-labels-idx1-ubyte", idx({1}, std::string{2}));
  put("t10k-images-idx3-ubyte", idx({1, 28, 28}, pixels(784, 3)));
  put("t10k-labels-idx1-ubyte", idx({1}, std::string{5}));
  ScopedEnv env("EMBER_DATA", data.string());
  EXPECT_EQ(io::datasets::fashion_mnist::load_data().y_test().to_vector<std::uint8_t>(),
            std::vector<std::uint8_t>{5});
  EXPECT_EQ(server_.total_requests(), 0);
}

TEST_F(DatasetDownloads, MnistReadsKerasNpzFromAFolder) {
  // mnist.npz as Keras ships it: a zip of four .npy files.
  const fs::path folder = home_ / "npz";
  fs::create_directories(folder);
  DeviceScope cpu(Device::cpu());
  std::vector<io::ZipEntry> entries;
  auto add = [&](const std::string& key, const Tensor& t) {
    const fs::path file = folder / (key + ".npy");
    io::save_npy(file.string(), t);
    std::ifstream in(file, std::ios::binary);
    entries.push_back({key + ".npy", std::string(std::istreambuf_iterator<char>(in), {})});
    fs::remove(file);
  };
  std::vector<std::uint8_t> images(2 * 784);
  for (std::size_t i = 0; i < images.size(); ++i) images[i] = static_cast<std::uint8_t>(i % 251);
  add("x_train", constant(images, Shape{2, 28, 28}));
  add("y_train", constant(std::vector<std::uint8_t>{1, 8}, Shape{2}));
  add("x_test", constant(std::vector<std::uint8_t>(784, 4), Shape{1, 28, 28}));
  add("y_test", constant(std::vector<std::uint8_t>{0}, Shape{1}));
  io::write_zip((folder / "mnist.npz").string(), entries);
  auto [train, test] = io::datasets::mnist::load_data(folder.string());
  EXPECT_EQ(train.second.to_vector<std::uint8_t>(), (std::vector<std::uint8_t>{1, 8}));
  EXPECT_EQ(train.first.index(1, 27, 27).item<std::uint8_t>(),
            static_cast<std::uint8_t>(1567 % 251));
  EXPECT_EQ(test.first.shape(), Shape({1, 28, 28}));
  EXPECT_EQ(server_.total_requests(), 0);
}

}  // namespace
}  // namespace ember
