// IDX files, the dataset loaders (on small files made here, plain and gzip'ed, and every broken
// case), the real Fashion-MNIST files when Debian's package is installed, and keras.utils.
#include <unistd.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "tests/scoped_env.h"
#include "tests/test_support.h"

namespace ember {
namespace {

using testing::expect_error;
namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

// An IDX file: magic (0, 0, type, rank), big-endian dimensions, then `data`.
Bytes idx_bytes(const std::vector<std::uint32_t>& dims, const Bytes& data, std::uint8_t type = 8) {
  Bytes out = {0, 0, type, static_cast<std::uint8_t>(dims.size())};
  for (std::uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8)
      out.push_back(static_cast<std::uint8_t>(d >> shift));
  }
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

Bytes counting(std::size_t n, std::uint8_t start = 0) {
  Bytes out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(start + i);
  return out;
}

using ember::testing::ScopedEnv;

class IoFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ember_io_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string write(const std::string& name, const Bytes& bytes) const {
    fs::create_directories(fs::path(path(name)).parent_path());
    std::ofstream(path(name), std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
    return path(name);
  }
  std::string write_gzip(const std::string& name, const Bytes& bytes) const {
    fs::create_directories(fs::path(path(name)).parent_path());
    gzFile f = gzopen(path(name).c_str(), "wb");
    EXPECT_NE(f, nullptr);
    EXPECT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())),
              static_cast<int>(bytes.size()));
    gzclose(f);
    return path(name);
  }
  static Bytes read(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), {});
  }

  // An MNIST-like set in `sub`: n_train / n_test images of 2x3 pixels (image i holds 10*i + k)
  // and labels i % 10; the train files gzip'ed, the test files plain.
  std::string write_idx_set(const std::string& sub, std::uint32_t n_train, std::uint32_t n_test,
                            std::uint32_t n_test_labels) const {
    auto images = [](std::uint32_t n) {
      Bytes data;
      for (std::uint32_t i = 0; i < n; ++i) {
        for (int k = 0; k < 6; ++k) data.push_back(static_cast<std::uint8_t>(10 * i + k));
      }
      return idx_bytes({n, 2, 3}, data);
    };
    auto labels = [](std::uint32_t n) {
      Bytes data;
      for (std::uint32_t i = 0; i < n; ++i) data.push_back(static_cast<std::uint8_t>(i % 10));
      return idx_bytes({n}, data);
    };
    write_gzip(sub + "/train-images-idx3-ubyte.gz", images(n_train));
    write_gzip(sub + "/train-labels-idx1-ubyte.gz", labels(n_train));
    write(sub + "/t10k-images-idx3-ubyte", images(n_test));
    write(sub + "/t10k-labels-idx1-ubyte", labels(n_test_labels));
    return path(sub);
  }

  fs::path dir_;
  DeviceScope cpu_{Device::cpu()};
};

// --- IDX --------------------------------------------------------------------------------------

TEST_F(IoFiles, IdxReadsPlainAndGzipFiles) {
  const Bytes pixels = counting(2 * 3 * 4, 100);
  for (const std::string& p : {write("images.idx", idx_bytes({2, 3, 4}, pixels)),
                               write_gzip("images.idx.gz", idx_bytes({2, 3, 4}, pixels))}) {
    const Tensor t = io::load_idx(p);
    EXPECT_EQ(t.dtype(), uint8) << p;
    EXPECT_EQ(t.shape(), Shape({2, 3, 4})) << p;
    EXPECT_EQ(t.to_vector<std::uint8_t>(), pixels) << p;
  }
  const Tensor labels = io::load_idx(write_gzip("labels.gz", idx_bytes({5}, {3, 1, 4, 1, 5})));
  EXPECT_EQ(labels.shape(), Shape({5}));
  EXPECT_EQ(labels.to_vector<std::uint8_t>(), (Bytes{3, 1, 4, 1, 5}));
  EXPECT_EQ(io::load_idx(write("empty.idx", idx_bytes({0, 28, 28}, {}))).shape(),
            Shape({0, 28, 28}));
}

TEST_F(IoFiles, IdxRejectsBrokenFiles) {
  expect_error<IoError>([&] { io::load_idx(path("absent.gz")); }, {"absent.gz", "no such file"});
  expect_error<IoError>([&] { io::load_idx(dir_.string()); }, {"not a regular file"});
  expect_error<IoError>(
      [&] {
        io::load_idx(write("short", {0, 0}));
      },
      {"short", "holds 2 bytes", "4-byte magic"});
  expect_error<IoError>(
      [&] {
        io::load_idx(write("magic", {0x12, 0x34, 0x08, 0x01, 0, 0, 0, 0}));
      },
      {"magic", "bad magic 0x12340801", "0x00000803"});
  expect_error<IoError>(
      [&] {
        io::load_idx(write("float", idx_bytes({1}, {0, 0, 0, 0}, 0x0D)));
      },
      {"float", "element type 0x0D (float32)", "type 0x08"});
  expect_error<IoError>(
      [&] {
        io::load_idx(write("rank0", {0, 0, 8, 0}));
      },
      {"rank0", "rank 0", "outside 1..8"});
  expect_error<IoError>(
      [&] {
        io::load_idx(write("header", {0, 0, 8, 3, 0, 0, 0, 2, 0, 0}));
      },
      {"header", "truncated IDX header", "needs 12 bytes", "has 6"});
  expect_error<IoError>(
      [&] {
        io::load_idx(write("data", idx_bytes({2, 3, 4}, counting(20))));
      },
      {"data", "truncated IDX data", "shape (2, 3, 4) needs 24 bytes", "holds 20"});
  expect_error<IoError>(
      [&] {
        io::load_idx(write_gzip("data.gz", idx_bytes({2, 3, 4}, counting(20))));
      },
      {"data.gz", "truncated IDX data", "gzip'ed IDX file holds 20"});
  expect_error<IoError>([&] { io::load_idx(write("trailing", idx_bytes({4}, counting(7)))); },
                        {"trailing", "3 trailing bytes after the 4 bytes", "shape (4,)"});
}

TEST_F(IoFiles, IdxRejectsCorruptGzip) {
  const Bytes good = read(write_gzip("good.gz", idx_bytes({64, 64}, counting(4096))));
  // Cut in the middle of the deflate stream: zlib reports an unexpected end of file.
  const Bytes cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(good.size() / 2));
  expect_error<IoError>([&] { io::load_idx(write("cut.gz", cut)); },
                        {"cut.gz", "corrupt or truncated gzip data (zlib: "});
  // The CRC-32 in the trailer no longer matches the data.
  Bytes flipped = good;
  flipped[flipped.size() - 6] ^= 0xFF;
  expect_error<IoError>([&] { io::load_idx(write("crc.gz", flipped)); },
                        {"crc.gz", "corrupt or truncated gzip data", "incorrect data check"});
}

// --- MNIST and Fashion-MNIST ------------------------------------------------------------------

TEST_F(IoFiles, MnistLoadsTheFourFilesAsKerasDoes) {
  const std::string dir = write_idx_set("mnist", 5, 3, 3);
  auto [train, test] = io::datasets::mnist::load_data(dir);
  auto [x_train, y_train] = train;
  auto [x_test, y_test] = test;
  EXPECT_EQ(x_train.shape(), Shape({5, 2, 3}));
  EXPECT_EQ(y_train.shape(), Shape({5}));
  EXPECT_EQ(x_test.shape(), Shape({3, 2, 3}));
  EXPECT_EQ(y_test.shape(), Shape({3}));
  EXPECT_EQ(x_train.dtype(), uint8);
  EXPECT_EQ(y_train.dtype(), uint8);
  EXPECT_EQ(x_train[4].to_vector<std::uint8_t>(), (Bytes{40, 41, 42, 43, 44, 45}));
  EXPECT_EQ(y_test.to_vector<std::uint8_t>(), (Bytes{0, 1, 2}));

  // Named access and std::tie give the same tensors.
  const auto data = io::datasets::mnist::load_data(dir);
  EXPECT_EQ(data.x_test().to_vector<std::uint8_t>(), x_test.to_vector<std::uint8_t>());
  std::pair<Tensor, Tensor> a, b;
  std::tie(a, b) = io::datasets::mnist::load_data(dir);
  EXPECT_EQ(a.second.to_vector<std::uint8_t>(), y_train.to_vector<std::uint8_t>());

  // $EMBER_DATA/mnist is the default directory.
  ScopedEnv env("EMBER_DATA", dir_.string());
  EXPECT_EQ(io::datasets::mnist::load_data().y_train().shape(), Shape({5}));
}

TEST_F(IoFiles, MnistErrorsSayWhereTheyLookedAndHowToGetTheData) {
  expect_error<IoError>([&] { io::datasets::mnist::load_data(path("nowhere")); },
                        {"mnist.load_data", "nowhere (no such directory",
                         "train-images-idx3-ubyte.gz", "mnist.npz", "EMBER_DATA"});
  const std::string dir = write_idx_set("partial", 2, 2, 2);
  fs::remove(path("partial/t10k-labels-idx1-ubyte"));
  expect_error<IoError>([&] { io::datasets::mnist::load_data(dir); },
                        {"partial (missing t10k-labels-idx1-ubyte[.gz]"});
  const std::string mismatched = write_idx_set("mismatched", 2, 3, 2);
  expect_error<IoError>(
      [&] { io::datasets::mnist::load_data(mismatched); },
      {"t10k-images-idx3-ubyte holds 3 images", "t10k-labels-idx1-ubyte holds 2 labels"});
  write("rank/train-images-idx3-ubyte", idx_bytes({6}, counting(6)));
  write("rank/train-labels-idx1-ubyte", idx_bytes({6}, counting(6)));
  write("rank/t10k-images-idx3-ubyte", idx_bytes({6}, counting(6)));
  write("rank/t10k-labels-idx1-ubyte", idx_bytes({6}, counting(6)));
  expect_error<IoError>([&] { io::datasets::mnist::load_data(path("rank")); },
                        {"train-images-idx3-ubyte: expected uint8 images of shape (N, height, "
                         "width), got uint8 (6,)"});
}

TEST_F(IoFiles, FashionMnistPrefersEmberDataAndNamesEveryPlace) {
  write_idx_set("fashion-mnist", 4, 2, 2);
  {
    ScopedEnv env("EMBER_DATA", dir_.string());
    EXPECT_EQ(io::datasets::fashion_mnist::load_data().x_train().shape(), Shape({4, 2, 3}));
  }
  expect_error<IoError>([&] { io::datasets::fashion_mnist::load_data(path("none")); },
                        {"fashion_mnist.load_data", "none (no such directory)",
                         "apt-get install dataset-fashion-mnist"});
}

// --- CIFAR-10 ---------------------------------------------------------------------------------

// A record: the label, then planes R, G, B of 32x32; pixel (h, w) of channel c holds
// (seed + 7c + 3h + w) mod 256, so every position and channel differs.
Bytes cifar_record(std::uint8_t label, int seed) {
  Bytes out = {label};
  for (int c = 0; c < 3; ++c) {
    for (int h = 0; h < 32; ++h) {
      for (int w = 0; w < 32; ++w)
        out.push_back(static_cast<std::uint8_t>(seed + 7 * c + 3 * h + w));
    }
  }
  return out;
}

class Cifar10 : public IoFiles {
 protected:
  // data_batch_b holds 2 records (labels b, b + 5 mod 10; seeds 10b, 10b + 1), test_batch 3.
  void write_batches(const std::string& folder) {
    for (int b = 1; b <= 5; ++b) {
      Bytes file = cifar_record(static_cast<std::uint8_t>(b), 10 * b);
      const Bytes second = cifar_record(static_cast<std::uint8_t>((b + 5) % 10), 10 * b + 1);
      file.insert(file.end(), second.begin(), second.end());
      write(folder + "/data_batch_" + std::to_string(b) + ".bin", file);
    }
    Bytes test;
    for (int r = 0; r < 3; ++r) {
      const Bytes record = cifar_record(static_cast<std::uint8_t>(9 - r), 100 + r);
      test.insert(test.end(), record.begin(), record.end());
    }
    write(folder + "/test_batch.bin", test);
  }
};

TEST_F(Cifar10, LoadsNhwcImagesAndColumnLabels) {
  write_batches("cifar10/cifar-10-batches-bin");
  for (const std::string& dir : {path("cifar10"), path("cifar10/cifar-10-batches-bin")}) {
    auto [train, test] = io::datasets::cifar10::load_data(dir);
    auto [x_train, y_train] = train;
    auto [x_test, y_test] = test;
    EXPECT_EQ(x_train.shape(), Shape({10, 32, 32, 3}));
    EXPECT_EQ(y_train.shape(), Shape({10, 1}));
    EXPECT_EQ(x_test.shape(), Shape({3, 32, 32, 3}));
    EXPECT_EQ(y_test.shape(), Shape({3, 1}));
    EXPECT_EQ(x_train.dtype(), uint8);
    EXPECT_EQ(y_train.dtype(), uint8);
    EXPECT_EQ(y_train.to_vector<std::uint8_t>(), (Bytes{1, 6, 2, 7, 3, 8, 4, 9, 5, 0}));
    EXPECT_EQ(y_test.to_vector<std::uint8_t>(), (Bytes{9, 8, 7}));
    // Row 3 is the second record of data_batch_2 (seed 21); x[n, h, w, c] is plane c at (h, w).
    const auto pixels = x_train[3].to_vector<std::uint8_t>();
    for (int h = 0; h < 32; ++h) {
      for (int w = 0; w < 32; ++w) {
        for (int c = 0; c < 3; ++c) {
          ASSERT_EQ(pixels[static_cast<std::size_t>((h * 32 + w) * 3 + c)],
                    static_cast<std::uint8_t>(21 + 7 * c + 3 * h + w))
              << "h " << h << " w " << w << " c " << c;
        }
      }
    }
    EXPECT_EQ(x_test.index(2, 31, 0, 2).item<std::uint8_t>(),
              static_cast<std::uint8_t>(102 + 14 + 93));
  }
  ScopedEnv env("EMBER_DATA", dir_.string());
  EXPECT_EQ(io::datasets::cifar10::load_data().x_test().shape(), Shape({3, 32, 32, 3}));
}

TEST_F(Cifar10, RejectsMissingTruncatedAndMislabelledBatches) {
  write_batches("c/cifar-10-batches-bin");
  const std::string folder = path("c/cifar-10-batches-bin");
  fs::remove(folder + "/data_batch_3.bin");
  expect_error<IoError>([&] { io::datasets::cifar10::load_data(path("c")); },
                        {"data_batch_3.bin: no such file", "test_batch.bin"});
  write_batches("c/cifar-10-batches-bin");
  Bytes truncated = read(folder + "/data_batch_4.bin");
  ASSERT_GT(truncated.size(), 100u);
  truncated.erase(truncated.end() - 100, truncated.end());
  write("c/cifar-10-batches-bin/data_batch_4.bin", truncated);
  expect_error<IoError>([&] { io::datasets::cifar10::load_data(path("c")); },
                        {"data_batch_4.bin: size 6046 bytes", "3073-byte CIFAR-10 records",
                         "truncated", "1 whole records, 2973 bytes left over"});
  write("c/cifar-10-batches-bin/data_batch_4.bin", {});
  expect_error<IoError>([&] { io::datasets::cifar10::load_data(path("c")); },
                        {"data_batch_4.bin: size 0 bytes", "the file is empty"});
  write_batches("c/cifar-10-batches-bin");
  Bytes mislabelled = read(folder + "/test_batch.bin");
  mislabelled[3073] = 12;
  write("c/cifar-10-batches-bin/test_batch.bin", mislabelled);
  expect_error<IoError>([&] { io::datasets::cifar10::load_data(path("c")); },
                        {"test_batch.bin: record 1 has label 12", "labels are 0..9"});
  expect_error<IoError>([&] { io::datasets::cifar10::load_data(path("empty")); },
                        {"cifar10.load_data: no CIFAR-10 batches in", "cifar-10-python.tar.gz",
                         "cifar-10-batches-py/test_batch", "cifar-10-batches-bin/test_batch.bin"});
}

TEST(FashionMnist, RealFilesFromDebiansPackage) {
  const std::string dir = "/usr/share/datasets/fashion-mnist";
  if (!fs::exists(dir + "/train-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)";
  }
  DeviceScope cpu(Device::cpu());
  ScopedEnv env("EMBER_DATA", std::nullopt);
  auto [train, test] = io::datasets::fashion_mnist::load_data();
  auto [x_train, y_train] = train;
  auto [x_test, y_test] = test;
  EXPECT_EQ(x_train.shape(), Shape({60000, 28, 28}));
  EXPECT_EQ(y_train.shape(), Shape({60000}));
  EXPECT_EQ(x_test.shape(), Shape({10000, 28, 28}));
  EXPECT_EQ(y_test.shape(), Shape({10000}));
  EXPECT_EQ(x_train.dtype(), uint8);
  EXPECT_EQ(y_test.dtype(), uint8);
  // The data set is balanced: 6000 images of each of the 10 classes to train, 1000 to test.
  for (const auto& [labels, per_class] : {std::pair{y_train, 6000}, std::pair{y_test, 1000}}) {
    std::map<int, int> counts;
    for (std::uint8_t l : labels.to_vector<std::uint8_t>()) ++counts[l];
    ASSERT_EQ(counts.size(), 10u);
    for (const auto& [label, count] : counts) {
      EXPECT_LT(label, 10);
      EXPECT_EQ(count, per_class) << "class " << label;
    }
  }
  // Facts read with Python's gzip module from the same files.
  const auto first_labels = y_train.slice(0, 10).to_vector<std::uint8_t>();
  EXPECT_EQ(first_labels, (Bytes{9, 0, 0, 3, 0, 2, 7, 2, 5, 5}));
  EXPECT_EQ(y_test.slice(0, 10).to_vector<std::uint8_t>(), (Bytes{9, 2, 1, 1, 6, 1, 4, 6, 5, 7}));
  auto pixel_sum = [](const Tensor& t) {
    std::int64_t sum = 0;
    for (std::uint8_t v : t.to_vector<std::uint8_t>()) sum += v;
    return sum;
  };
  EXPECT_EQ(pixel_sum(x_train[0]), 76247);
  EXPECT_EQ(pixel_sum(x_test[0]), 33456);
  EXPECT_EQ(pixel_sum(x_train), 3431114169);
}

// --- keras.utils ------------------------------------------------------------------------------

class Utils : public testing::OnDevice {};

TEST_P(Utils, ToCategoricalMatchesOneHotMatrices) {
  const Tensor y = constant({2, 0, 1, 2});
  const Tensor one_hot = utils::to_categorical(y, 3);
  EXPECT_EQ(one_hot.device(), device());
  EXPECT_EQ(one_hot.dtype(), float32);
  EXPECT_EQ(one_hot.shape(), Shape({4, 3}));
  EXPECT_EQ(one_hot.to_vector<float>(), (std::vector<float>{0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1}));
  // Without num_classes: the largest label + 1.
  EXPECT_EQ(utils::to_categorical(constant({1, 0})).to_vector<float>(),
            (std::vector<float>{0, 1, 1, 0}));
  // CIFAR's (N, 1) uint8 labels: the trailing axis of 1 is dropped, as in Keras.
  const Tensor column = constant(std::vector<std::uint8_t>{3, 0}, Shape{2, 1});
  const Tensor c = utils::to_categorical(column, 4, float64);
  EXPECT_EQ(c.shape(), Shape({2, 4}));
  EXPECT_EQ(c.to_vector<double>(), (std::vector<double>{0, 0, 0, 1, 1, 0, 0, 0}));
  // Labels of any shape gain a last axis.
  const Tensor grid = utils::to_categorical(constant({{0, 1}, {1, 0}}), 2);
  EXPECT_EQ(grid.shape(), Shape({2, 2, 2}));
  EXPECT_EQ(grid.to_vector<float>(), (std::vector<float>{1, 0, 0, 1, 0, 1, 1, 0}));
  // Whole-number floats are labels too.
  EXPECT_EQ(utils::to_categorical(constant({1.f, 0.f}), 2).to_vector<float>(),
            (std::vector<float>{0, 1, 1, 0}));
}

TEST_P(Utils, ToCategoricalRejectsBadLabels) {
  expect_error<IndexError>(
      [] {
        utils::to_categorical(constant({0, 3, 1}), 3);
      },
      {"to_categorical", "label 3 at position [1]", "outside [0, 3)"});
  expect_error<IndexError>(
      [] {
        utils::to_categorical(constant({{0, 1}, {-1, 0}}), 2);
      },
      {"label -1 at position [1, 0]"});
  expect_error<DTypeError>([] { utils::to_categorical(constant({0.5f}), 2); },
                           {"label 0.5", "not a whole number"});
  expect_error<DTypeError>([] { utils::to_categorical(constant({true}), 2); }, {"bool"});
  expect_error<Error>([] { utils::to_categorical(constant({0}), 0); },
                      {"num_classes must be at least 1, got 0"});
}

TEST_P(Utils, RescaleAndStandardize) {
  const Tensor pixels = constant(std::vector<std::uint8_t>{0, 51, 255}, Shape{3});
  const Tensor scaled = utils::rescale(pixels, 1.0 / 255);
  EXPECT_EQ(scaled.dtype(), float32);
  EXPECT_EQ(scaled.device(), device());
  testing::expect_close(testing::values_of(scaled), {0.0, 0.2, 1.0}, 1e-6);
  testing::expect_close(testing::values_of(utils::rescale(pixels, 1.0 / 127.5, -1.0, float64)),
                        {-1.0, 51 / 127.5 - 1, 1.0}, 1e-12);
  testing::expect_close(testing::values_of(utils::standardize(pixels, 51.0, 2.0)),
                        {-25.5, 0.0, 102.0}, 1e-6);
  // Per-channel statistics broadcast over NHWC images.
  const Tensor image = constant(std::vector<std::uint8_t>{10, 20, 30, 40}, Shape{1, 2, 2});
  const Tensor s = utils::standardize(image, constant({10.f, 20.f}), constant({1.f, 4.f}));
  testing::expect_close(testing::values_of(s), {0.0, 0.0, 20.0, 5.0}, 1e-6);
  expect_error<DTypeError>([&] { utils::rescale(pixels, 2.0, 0.0, int32); },
                           {"rescale", "floating", "int32"});
}

INSTANTIATE_TEST_SUITE_P(Devices, Utils, ::testing::ValuesIn(testing::all_devices()),
                         testing::device_name);

}  // namespace
}  // namespace ember
