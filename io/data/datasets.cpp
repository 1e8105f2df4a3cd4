#include "io/data/datasets.h"

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

#include "core/error.h"
#include "core/tensor_impl.h"
#include "io/idx.h"

namespace ember::io::datasets {
namespace {

namespace fs = std::filesystem;

// --- MNIST and Fashion-MNIST: four IDX files ---------------------------------------------------

constexpr std::array<const char*, 4> kIdxFiles = {
    "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte"};
constexpr const char* kDebianFashionMnist = "/usr/share/datasets/fashion-mnist";

std::string environment_data_dir() {
  const char* value = std::getenv("EMBER_DATA");
  return value != nullptr ? value : "";
}

// `name.gz` or `name` in dir (the compressed one first, as distributed); empty when neither.
std::string find_idx_file(const fs::path& dir, const std::string& name) {
  for (const std::string& candidate : {name + ".gz", name}) {
    std::error_code ec;
    if (fs::is_regular_file(dir / candidate, ec)) return (dir / candidate).string();
  }
  return "";
}

// Why `dir` cannot serve: "no such directory", "missing a[.gz], b[.gz]"; empty when it can.
std::string idx_set_problem(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return "no such directory";
  std::string missing;
  for (const char* name : kIdxFiles) {
    if (find_idx_file(dir, name).empty())
      missing += cat(missing.empty() ? "" : ", ", name, "[.gz]");
  }
  return missing.empty() ? "" : "missing " + missing;
}

std::pair<Tensor, Tensor> load_idx_split(const char* loader, const std::string& images_path,
                                         const std::string& labels_path) {
  Tensor images = load_idx(images_path);
  Tensor labels = load_idx(labels_path);
  if (images.rank() != 3) {
    throw IoError(cat(images_path, ": expected images of shape (N, height, width), got ",
                      images.shape(), " (", loader, ")"));
  }
  if (labels.rank() != 1) {
    throw IoError(cat(labels_path, ": expected labels of shape (N,), got ", labels.shape(), " (",
                      loader, ")"));
  }
  if (images.shape(0) != labels.shape(0)) {
    throw IoError(cat(loader, ": ", images_path, " holds ", images.shape(0), " images but ",
                      labels_path, " holds ", labels.shape(0), " labels"));
  }
  return {std::move(images), std::move(labels)};
}

// Loads from the first candidate directory that holds all four files.
LoadedData load_idx_data(const char* loader, const char* title,
                         const std::vector<fs::path>& candidates, const std::string& how_to_get) {
  std::string looked;
  for (const fs::path& dir : candidates) {
    const std::string problem = idx_set_problem(dir);
    if (problem.empty()) {
      LoadedData data;
      data.first = load_idx_split(loader, find_idx_file(dir, kIdxFiles[0]),
                                  find_idx_file(dir, kIdxFiles[1]));
      data.second = load_idx_split(loader, find_idx_file(dir, kIdxFiles[2]),
                                   find_idx_file(dir, kIdxFiles[3]));
      return data;
    }
    looked += cat(looked.empty() ? "" : "; ", dir.string(), " (", problem, ")");
  }
  if (looked.empty()) {
    throw IoError(cat(loader, ": no directory was given and EMBER_DATA is not set. ", how_to_get));
  }
  throw IoError(
      cat(loader, ": the ", title, " files were not found; looked in ", looked, ". ", how_to_get));
}

// --- CIFAR-10: binary batches of 3073-byte records ---------------------------------------------

constexpr std::int64_t kCifarSide = 32;
constexpr std::int64_t kCifarPlane = kCifarSide * kCifarSide;
constexpr std::int64_t kCifarPixels = 3 * kCifarPlane;
constexpr std::int64_t kCifarRecord = 1 + kCifarPixels;
constexpr int kCifarClasses = 10;
constexpr const char* kCifarFolder = "cifar-10-batches-bin";
constexpr const char* kCifarHowToGet =
    "Unpack the \"CIFAR-10 binary version\" (cifar-10-binary.tar.gz) into a directory DIR, or "
    "convert ember's copy with `python3 shared/tools/cifar10_from_jpeg.py DIR`; then pass DIR to "
    "load_data or set EMBER_DATA so that DIR is $EMBER_DATA/cifar10";

fs::path find_cifar_dir(const std::string& dir) {
  fs::path base = dir;
  if (dir.empty()) {
    const std::string data = environment_data_dir();
    if (data.empty()) {
      throw IoError(cat("cifar10.load_data: no directory was given and EMBER_DATA is not set. ",
                        kCifarHowToGet));
    }
    base = fs::path(data) / "cifar10";
  }
  std::error_code ec;
  if (fs::is_directory(base / kCifarFolder, ec)) return base / kCifarFolder;
  if (fs::is_regular_file(base / "data_batch_1.bin", ec)) return base;
  throw IoError(cat("cifar10.load_data: no CIFAR-10 batches in ", base.string(), " (looked for ",
                    (base / kCifarFolder).string(), "/data_batch_1.bin and ",
                    (base / "data_batch_1.bin").string(), "). ", kCifarHowToGet));
}

// The number of records in a batch file, checking that its size is a whole number of them.
std::int64_t cifar_record_count(const fs::path& file) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) {
    throw IoError(cat(file.string(),
                      ": no such file (cifar10.load_data reads data_batch_1.bin .. "
                      "data_batch_5.bin and test_batch.bin from ",
                      file.parent_path().string(), ")"));
  }
  const auto size = static_cast<std::int64_t>(fs::file_size(file));
  if (size == 0 || size % kCifarRecord != 0) {
    throw IoError(cat(file.string(), ": size ", size, " bytes is not a whole number of ",
                      kCifarRecord, "-byte CIFAR-10 records (1 label byte + 3072 pixels): ",
                      size == 0 ? "the file is empty" : "the file is truncated or not CIFAR-10",
                      " (", size / kCifarRecord, " whole records, ", size % kCifarRecord,
                      " bytes left over)"));
  }
  return size / kCifarRecord;
}

// Reads the records of `files` into (N, 32, 32, 3) images and (N, 1) labels: each record's
// three 32x32 planes (R, G, B) are interleaved into NHWC pixels.
std::pair<Tensor, Tensor> load_cifar_split(const std::vector<fs::path>& files) {
  std::vector<std::int64_t> counts;
  std::int64_t total = 0;
  for (const fs::path& file : files) total += counts.emplace_back(cifar_record_count(file));
  std::vector<std::uint8_t> images(static_cast<std::size_t>(total * kCifarPixels));
  std::vector<std::uint8_t> labels(static_cast<std::size_t>(total));
  std::vector<char> records;
  std::int64_t row = 0;
  for (std::size_t f = 0; f < files.size(); ++f) {
    records.resize(static_cast<std::size_t>(counts[f] * kCifarRecord));
    std::ifstream in(files[f], std::ios::binary);
    in.read(records.data(), static_cast<std::streamsize>(records.size()));
    if (!in) throw IoError(cat(files[f].string(), ": read failed"));
    for (std::int64_t r = 0; r < counts[f]; ++r, ++row) {
      const auto* record = reinterpret_cast<const std::uint8_t*>(records.data()) + r * kCifarRecord;
      if (record[0] >= kCifarClasses) {
        throw IoError(cat(files[f].string(), ": record ", r, " has label ", int(record[0]),
                          "; CIFAR-10 labels are 0..", kCifarClasses - 1,
                          " (is this CIFAR-100 or another format?)"));
      }
      labels[static_cast<std::size_t>(row)] = record[0];
      std::uint8_t* pixels = images.data() + row * kCifarPixels;
      const std::uint8_t* planes = record + 1;
      for (std::int64_t p = 0; p < kCifarPlane; ++p) {
        for (std::int64_t c = 0; c < 3; ++c) pixels[p * 3 + c] = planes[c * kCifarPlane + p];
      }
    }
  }
  const Device device = default_device();
  return {detail::from_host(images.data(), Shape{total, kCifarSide, kCifarSide, 3}, uint8, device),
          detail::from_host(labels.data(), Shape{total, 1}, uint8, device)};
}

}  // namespace

namespace mnist {
LoadedData load_data(const std::string& dir) {
  std::vector<fs::path> candidates;
  if (!dir.empty()) {
    candidates.emplace_back(dir);
  } else if (!environment_data_dir().empty()) {
    candidates.push_back(fs::path(environment_data_dir()) / "mnist");
  }
  return load_idx_data(
      "mnist.load_data", "MNIST", candidates,
      "Download the four files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
      "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) from the MNIST site into a "
      "directory DIR; then pass DIR to load_data or set EMBER_DATA so that DIR is "
      "$EMBER_DATA/mnist");
}
}  // namespace mnist

namespace fashion_mnist {
LoadedData load_data(const std::string& dir) {
  std::vector<fs::path> candidates;
  if (!dir.empty()) {
    candidates.emplace_back(dir);
  } else {
    if (!environment_data_dir().empty()) {
      candidates.push_back(fs::path(environment_data_dir()) / "fashion-mnist");
    }
    candidates.emplace_back(kDebianFashionMnist);
  }
  return load_idx_data(
      "fashion_mnist.load_data", "Fashion-MNIST", candidates,
      "On Debian or Ubuntu: apt-get install dataset-fashion-mnist (installs them in "
      "/usr/share/datasets/fashion-mnist); elsewhere put the four files of the Fashion-MNIST "
      "release (train-images-idx3-ubyte.gz, ...) in $EMBER_DATA/fashion-mnist or pass their "
      "directory to load_data");
}
}  // namespace fashion_mnist

namespace cifar10 {
LoadedData load_data(const std::string& dir) {
  const fs::path folder = find_cifar_dir(dir);
  std::vector<fs::path> train;
  for (int i = 1; i <= 5; ++i) train.push_back(folder / cat("data_batch_", i, ".bin"));
  LoadedData data;
  data.first = load_cifar_split(train);
  data.second = load_cifar_split({folder / "test_batch.bin"});
  return data;
}
}  // namespace cifar10

}  // namespace ember::io::datasets
