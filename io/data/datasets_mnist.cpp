// mnist and fashion_mnist: four IDX files (gzip'ed or not) in a folder, MNIST's mnist.npz, or
// Keras' downloads of either.
#include <array>
#include <filesystem>
#include <vector>

#include "core/error.h"
#include "core/tensor_impl.h"
#include "io/data/dataset_sources.h"
#include "io/data/datasets.h"
#include "io/idx.h"
#include "io/npy.h"
#include "io/zip.h"

namespace ember::io::datasets {
namespace {

namespace fs = std::filesystem;

constexpr std::array<const char*, 4> kIdxFiles = {
    "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte"};
constexpr const char* kMnistNpz = "mnist.npz";
// Keras' hash of mnist.npz (keras/src/datasets/mnist.py).
constexpr const char* kMnistNpzSha256 =
    "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1";
constexpr int kClasses = 10;

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

// Images (N, height, width) and labels (N,) of one split, both uint8, labels below 10.
std::pair<Tensor, Tensor> checked_split(const std::string& loader, Tensor images,
                                        const std::string& images_name, Tensor labels,
                                        const std::string& labels_name) {
  if (images.rank() != 3 || images.dtype() != uint8) {
    throw IoError(cat(images_name, ": expected uint8 images of shape (N, height, width), got ",
                      dtype_name(images.dtype()), " ", images.shape(), " (", loader, ")"));
  }
  if (labels.rank() != 1 || labels.dtype() != uint8) {
    throw IoError(cat(labels_name, ": expected uint8 labels of shape (N,), got ",
                      dtype_name(labels.dtype()), " ", labels.shape(), " (", loader, ")"));
  }
  if (images.shape(0) != labels.shape(0)) {
    throw IoError(cat(loader, ": ", images_name, " holds ", images.shape(0), " images but ",
                      labels_name, " holds ", labels.shape(0), " labels"));
  }
  const std::vector<std::uint8_t> values = labels.to_vector<std::uint8_t>();
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i] >= kClasses) {
      throw IoError(cat(labels_name, ": label ", int(values[i]), " at position ", i,
                        " is outside 0..", kClasses - 1, " (", loader, ")"));
    }
  }
  return {std::move(images), std::move(labels)};
}

LoadedData load_idx_folder(const std::string& loader, const fs::path& dir) {
  LoadedData data;
  const std::string files[4] = {find_idx_file(dir, kIdxFiles[0]), find_idx_file(dir, kIdxFiles[1]),
                                find_idx_file(dir, kIdxFiles[2]), find_idx_file(dir, kIdxFiles[3])};
  data.first = checked_split(loader, load_idx(files[0]), files[0], load_idx(files[1]), files[1]);
  data.second = checked_split(loader, load_idx(files[2]), files[2], load_idx(files[3]), files[3]);
  return data;
}

// mnist.npz as Keras ships it: x_train, y_train, x_test, y_test.
LoadedData load_mnist_npz(const std::string& loader, const std::string& path) {
  const std::vector<ZipEntry> entries = read_zip(path);
  auto array = [&](const std::string& key) {
    return parse_npy(sources::npz_member(entries, key, path, loader), path + "/" + key + ".npy");
  };
  LoadedData data;
  data.first = checked_split(loader, array("x_train"), path + "/x_train.npy", array("y_train"),
                             path + "/y_train.npy");
  data.second = checked_split(loader, array("x_test"), path + "/x_test.npy", array("y_test"),
                              path + "/y_test.npy");
  return data;
}

// A folder of the caller's or $EMBER_DATA's: the IDX files, or mnist.npz (MNIST only). Sets
// `problem` and returns false when the folder cannot serve.
bool load_folder(const std::string& loader, const fs::path& dir, bool npz_too, LoadedData& data,
                 std::string& problem) {
  std::error_code ec;
  if (npz_too && fs::is_regular_file(dir / kMnistNpz, ec)) {
    data = load_mnist_npz(loader, (dir / kMnistNpz).string());
    return true;
  }
  problem = idx_set_problem(dir);
  if (!problem.empty()) return false;
  data = load_idx_folder(loader, dir);
  return true;
}

std::string listed(const std::string& looked, const fs::path& dir, const std::string& problem) {
  return cat(looked, looked.empty() ? "" : "; ", dir.string(), " (", problem, ")");
}

}  // namespace

namespace mnist {
LoadedData load_data(const std::string& dir) {
  const std::string loader = "mnist.load_data";
  LoadedData data;
  std::string problem;
  if (!dir.empty()) {
    if (load_folder(loader, dir, true, data, problem)) return data;
    throw IoError(cat(loader, ": no MNIST in ", dir, " (", problem, "; nor ", kMnistNpz,
                      "). Put train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
                      "t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz (or Keras' ",
                      kMnistNpz,
                      ") there, or call load_data() to download it; EMBER_DATA/mnist "
                      "is the default folder"));
  }
  std::string looked;
  if (const std::string base = sources::environment_data_dir(); !base.empty()) {
    const fs::path folder = fs::path(base) / "mnist";
    if (load_folder(loader, folder, true, data, problem)) return data;
    looked = listed(looked, folder, problem);
  }
  utils::GetFileOptions get;
  get.fname = kMnistNpz;
  get.origin = sources::origin(sources::kKerasBucket, kMnistNpz);
  get.file_hash = kMnistNpzSha256;
  return load_mnist_npz(loader, sources::fetch(loader, get, looked));
}
}  // namespace mnist

namespace fashion_mnist {
LoadedData load_data(const std::string& dir) {
  const std::string loader = "fashion_mnist.load_data";
  LoadedData data;
  std::string problem;
  if (!dir.empty()) {
    if (load_folder(loader, dir, false, data, problem)) return data;
    throw IoError(cat(loader, ": no Fashion-MNIST in ", dir, " (", problem,
                      "). Put the four files of the Fashion-MNIST release "
                      "(train-images-idx3-ubyte.gz, ...) there; or on Debian or Ubuntu apt-get "
                      "install dataset-fashion-mnist; or call load_data() to download them"));
  }
  std::string looked;
  std::vector<fs::path> folders;
  if (const std::string base = sources::environment_data_dir(); !base.empty()) {
    folders.push_back(fs::path(base) / "fashion-mnist");
  }
  if (const std::string system = sources::system_datasets_dir(); !system.empty()) {
    folders.push_back(fs::path(system) / "fashion-mnist");  // Debian's dataset-fashion-mnist
  }
  for (const fs::path& folder : folders) {
    if (load_folder(loader, folder, false, data, problem)) return data;
    looked = listed(looked, folder, problem);
  }
  // Keras downloads the four files without a hash; ember checks their contents as it reads them.
  std::string downloaded;
  for (const char* name : kIdxFiles) {
    utils::GetFileOptions get;
    get.fname = cat(name, ".gz");
    get.origin = sources::origin(sources::kKerasBucket, get.fname);
    get.cache_subdir = "datasets/fashion-mnist";
    downloaded = sources::fetch(loader, get, looked);
  }
  return load_idx_folder(loader, fs::path(downloaded).parent_path());
}
}  // namespace fashion_mnist

}  // namespace ember::io::datasets
