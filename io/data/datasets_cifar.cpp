// cifar10 and cifar100: Keras' download (the "python version": pickled batches), or a folder
// holding that layout or the "binary version" (fixed-size records).
#include <filesystem>
#include <vector>

#include "core/error.h"
#include "core/tensor_impl.h"
#include "io/data/dataset_sources.h"
#include "io/data/datasets.h"
#include "io/pickle.h"
#include "io/whole_file.h"

namespace ember::io::datasets {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kSide = 32;
constexpr std::int64_t kPlane = kSide * kSide;
constexpr std::int64_t kPixels = 3 * kPlane;

// One CIFAR variant: its folders, files and label layout.
struct CifarSet {
  const char* loader;
  const char* title;
  int classes;
  // The binary version: each record is `label_bytes` labels, then the planes R, G, B.
  const char* binary_folder;
  std::vector<const char*> binary_train;
  const char* binary_test;
  int label_bytes;
  int label_index;  // which of the record's labels is returned
  // The python version, as Keras downloads it.
  const char* python_folder;
  std::vector<const char*> python_train;
  const char* python_test;
  const char* label_key;  // the batch dict's key of the labels
  const char* keras_archive;
  const char* keras_target;  // get_file's fname, as Keras names it
  const char* keras_sha256;
};

CifarSet cifar10_set() {
  return {"cifar10.load_data",
          "CIFAR-10",
          10,
          "cifar-10-batches-bin",
          {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
           "data_batch_5.bin"},
          "test_batch.bin",
          1,
          0,
          "cifar-10-batches-py",
          {"data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5"},
          "test_batch",
          "labels",
          "cifar-10-python.tar.gz",
          "cifar-10-batches-py-target",
          // keras/src/datasets/cifar10.py
          "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"};
}

CifarSet cifar100_set(const std::string& label_mode) {
  if (label_mode != "fine" && label_mode != "coarse") {
    throw Error(cat("cifar100.load_data: label_mode must be \"fine\" or \"coarse\", got \"",
                    label_mode, "\""));
  }
  const bool fine = label_mode == "fine";
  return {"cifar100.load_data",
          "CIFAR-100",
          fine ? 100 : 20,
          "cifar-100-binary",
          {"train.bin"},
          "test.bin",
          2,
          fine ? 1 : 0,
          "cifar-100-python",
          {"train"},
          "test",
          fine ? "fine_labels" : "coarse_labels",
          "cifar-100-python.tar.gz",
          "cifar-100-python-target",
          // keras/src/datasets/cifar100.py
          "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"};
}

// "data_batch_1.bin, ..., test_batch.bin": the files of the layout `file` belongs to.
std::string layout_files(const CifarSet& set, const fs::path& file) {
  const bool binary = file.extension() == ".bin";
  std::string names;
  for (const char* name : binary ? set.binary_train : set.python_train) names += cat(name, ", ");
  return names + (binary ? set.binary_test : set.python_test);
}

std::string read_whole(const fs::path& file, const CifarSet& set) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) {
    throw IoError(cat(file.string(), ": no such file (", set.loader, " reads ",
                      layout_files(set, file), " from ", file.parent_path().string(), ")"));
  }
  return read_file_bytes(file.string());
}

// Appends one image stored as planes R, G, B to `images` as NHWC pixels.
void append_interleaved(const std::uint8_t* planes, std::vector<std::uint8_t>& images) {
  const std::size_t at = images.size();
  images.resize(at + kPixels);
  std::uint8_t* pixels = images.data() + at;
  for (std::int64_t p = 0; p < kPlane; ++p) {
    for (std::int64_t c = 0; c < 3; ++c) pixels[p * 3 + c] = planes[c * kPlane + p];
  }
}

void check_label(const CifarSet& set, const fs::path& file, std::int64_t row, std::int64_t label) {
  if (label < 0 || label >= set.classes) {
    throw IoError(cat(file.string(), ": record ", row, " has label ", label, "; ", set.title,
                      " labels are 0..", set.classes - 1,
                      set.classes == 10 ? " (is this CIFAR-100 or another format?)" : ""));
  }
}

// A binary batch: records of label bytes then 3072 pixels; its size a whole number of them.
void read_binary_batch(const CifarSet& set, const fs::path& file, std::vector<std::uint8_t>& images,
                       std::vector<std::uint8_t>& labels) {
  const std::string bytes = read_whole(file, set);
  const auto record = static_cast<std::int64_t>(set.label_bytes + kPixels);
  const auto size = static_cast<std::int64_t>(bytes.size());
  if (size == 0 || size % record != 0) {
    throw IoError(cat(
        file.string(), ": size ", size, " bytes is not a whole number of ", record, "-byte ",
        set.title, " records (", set.label_bytes, " label byte", set.label_bytes > 1 ? "s" : "",
        " + 3072 pixels): ",
        size == 0 ? "the file is empty" : "the file is truncated or not " + std::string(set.title),
        " (", size / record, " whole records, ", size % record, " bytes left over)"));
  }
  const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
  for (std::int64_t r = 0; r < size / record; ++r) {
    const std::uint8_t* at = data + r * record;
    check_label(set, file, r, at[set.label_index]);
    labels.push_back(at[set.label_index]);
    append_interleaved(at + set.label_bytes, images);
  }
}

// A pickled batch: a dict whose b"data" is an (N, 3072) uint8 array and whose label key a list
// of N ints.
void read_python_batch(const CifarSet& set, const fs::path& file, std::vector<std::uint8_t>& images,
                       std::vector<std::uint8_t>& labels) {
  const std::string bytes = read_whole(file, set);
  PickleLimits limits;
  limits.compact_int_lists = true;
  const PickleValue batch = read_pickle(bytes, file.string(), limits);
  if (batch.kind != PickleValue::Kind::dict) {
    throw IoError(cat(file.string(), ": expected a pickled dict (a ", set.title, " batch), got ",
                      batch.kind_name()));
  }
  const PickleValue* data = batch.find("data");
  const PickleValue* label_list = batch.find(set.label_key);
  if (data == nullptr || label_list == nullptr) {
    throw IoError(cat(file.string(), ": the batch has no \"",
                      data == nullptr ? "data" : set.label_key, "\" entry (", set.loader, ")"));
  }
  if (data->kind != PickleValue::Kind::ndarray || data->dtype != "|u1" || data->shape.size() != 2 ||
      data->shape[1] != kPixels || data->fortran_order) {
    throw IoError(cat(file.string(),
                      ": \"data\" must be a C-ordered uint8 array of shape (N, 3072)", " (",
                      set.loader, ")"));
  }
  const std::int64_t rows = data->shape[0];
  if (label_list->kind != PickleValue::Kind::list ||
      static_cast<std::int64_t>(label_list->size()) != rows) {
    throw IoError(cat(file.string(), ": \"", set.label_key, "\" must be a list of ", rows,
                      " labels, one per image (", set.loader, ")"));
  }
  const std::vector<std::int64_t> values = label_list->int_values(file.string());
  const auto* pixels = reinterpret_cast<const std::uint8_t*>(data->data.data());
  for (std::int64_t r = 0; r < rows; ++r) {
    const std::int64_t label = values[static_cast<std::size_t>(r)];
    check_label(set, file, r, label);
    labels.push_back(static_cast<std::uint8_t>(label));
    append_interleaved(pixels + r * kPixels, images);
  }
}

using BatchReader = void (*)(const CifarSet&, const fs::path&, std::vector<std::uint8_t>&,
                             std::vector<std::uint8_t>&);

std::pair<Tensor, Tensor> read_split(const CifarSet& set, const fs::path& folder,
                                     const std::vector<const char*>& files, BatchReader read) {
  std::vector<std::uint8_t> images;
  std::vector<std::uint8_t> labels;
  for (const char* name : files) read(set, folder / name, images, labels);
  const auto rows = static_cast<std::int64_t>(labels.size());
  const Device device = default_device();
  return {detail::from_host(images.data(), Shape{rows, kSide, kSide, 3}, uint8, device),
          detail::from_host(labels.data(), Shape{rows, 1}, uint8, device)};
}

// Loads the layout `base` holds: the python or the binary folder, or either's files directly.
// Returns false, with `problem` set, when it holds neither.
bool load_folder(const CifarSet& set, const fs::path& base, LoadedData& data,
                 std::string& problem) {
  std::error_code ec;
  for (const fs::path& folder : {base / set.python_folder, base}) {
    if (fs::is_regular_file(folder / set.python_test, ec)) {
      data.first = read_split(set, folder, set.python_train, read_python_batch);
      data.second = read_split(set, folder, {set.python_test}, read_python_batch);
      return true;
    }
  }
  for (const fs::path& folder : {base / set.binary_folder, base}) {
    if (fs::is_regular_file(folder / set.binary_test, ec)) {
      data.first = read_split(set, folder, set.binary_train, read_binary_batch);
      data.second = read_split(set, folder, {set.binary_test}, read_binary_batch);
      return true;
    }
  }
  problem = cat("looked for ", (base / set.python_folder / set.python_test).string(), " and ",
                (base / set.binary_folder / set.binary_test).string());
  return false;
}

LoadedData load_cifar(const CifarSet& set, const std::string& dir, const char* data_subdir) {
  LoadedData data;
  std::string problem;
  if (!dir.empty()) {
    if (load_folder(set, dir, data, problem)) return data;
    throw IoError(cat(set.loader, ": no ", set.title, " batches in ", dir, " (", problem,
                      "). Unpack ", set.keras_archive,
                      " (the python version) or the binary "
                      "version there, or call load_data() to download it"));
  }
  std::string looked;
  if (const std::string base = sources::environment_data_dir(); !base.empty()) {
    const fs::path folder = fs::path(base) / data_subdir;
    if (load_folder(set, folder, data, problem)) return data;
    looked = cat(folder.string(), " (", problem, ")");
  }
  utils::GetFileOptions get;
  get.fname = set.keras_target;
  get.origin = sources::origin(sources::kCifarSite, set.keras_archive);
  get.file_hash = set.keras_sha256;
  get.extract = true;
  const fs::path extracted = sources::fetch(set.loader, get, looked);
  if (!load_folder(set, extracted, data, problem)) {
    throw IoError(cat(set.loader, ": ", extracted.string(), " holds no ", set.title, " batches (",
                      problem, ")"));
  }
  return data;
}

}  // namespace

namespace cifar10 {
LoadedData load_data(const std::string& dir) { return load_cifar(cifar10_set(), dir, "cifar10"); }
}  // namespace cifar10

namespace cifar100 {
LoadedData load_data(const std::string& label_mode, const std::string& dir) {
  return load_cifar(cifar100_set(label_mode), dir, "cifar100");
}
}  // namespace cifar100

}  // namespace ember::io::datasets
