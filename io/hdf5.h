// HDF5 files as Keras uses them (.h5 models and weights, the weights inside a .keras archive): a
// tree of groups holding datasets (tensors) and string attributes, read or written whole. Keras'
// files are a model's weights, so whole-file reads cost nothing worth streaming for. Needs a build
// with libhdf5 (EMBER_HDF5, on when libhdf5-dev is found); otherwise every call throws an Error
// that says so.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/tensor.h"

namespace ember::io {

/// An attribute as Keras writes them: one string (a JSON text, a version) or a list of strings
/// (layer and weight names). Numeric attributes are skipped on reading, except empty arrays,
/// which are what h5py writes for an empty list.
using H5Attribute = std::variant<std::string, std::vector<std::string>>;

/// A group: its attributes, its datasets and its subgroups, by name.
struct H5Group {
  std::map<std::string, H5Attribute> attributes;
  std::map<std::string, Tensor> datasets;
  std::map<std::string, H5Group> groups;

  /// The group at a '/'-separated path below this one, or nullptr.
  const H5Group* find_group(std::string_view path) const;
  /// The dataset at a '/'-separated path below this one ("dense/kernel"), or nullptr.
  const Tensor* find_dataset(std::string_view path) const;
  /// The group at a path, made (with the groups above it) when missing.
  H5Group& group(std::string_view path);
  /// Puts a dataset at a path, making the groups above it.
  void set_dataset(std::string_view path, const Tensor& value);

  /// A string attribute; IoError naming `file` when it is missing or a list.
  std::string string_attribute(const std::string& name, const std::string& file) const;
  /// A list attribute, also when Keras split a long one into name0, name1, ... (HDF5 keeps an
  /// object's attributes under 64 KiB); IoError naming `file` when it is missing.
  std::vector<std::string> list_attribute(const std::string& name, const std::string& file) const;
};

/// Whether this build reads and writes HDF5 files.
bool hdf5_available();

/// Reads a whole HDF5 file: datasets of float32/float64/int32/int64/uint8/bool come back as CPU
/// tensors. Throws IoError naming the file when it is missing, not HDF5, truncated, or holds a
/// dataset of another type.
H5Group load_hdf5(const std::string& path);

/// Writes `root` as an HDF5 file, through a temporary file renamed into place. Single strings
/// are written as variable-length UTF-8 strings and lists as arrays of them, as h5py does.
void save_hdf5(const std::string& path, const H5Group& root);

/// The same from and to the bytes of an HDF5 file (a .keras archive's model.weights.h5), through
/// libhdf5's in-memory driver; `name` names the file in errors. Soft and external links are
/// refused (as Keras does), and a dataset is checked against what the file stores before any
/// memory is taken for it. Reading runs in a helper process (see Hdf5Reader).
H5Group load_hdf5_image(const std::string& bytes, const std::string& name);

/// Where libhdf5 parses the files ember reads. libhdf5 is a large C library that crashes, hangs
/// or overruns memory on some corrupt and hostile files, so by default it runs in a small helper
/// process (`ember-hdf5-reader`, started with posix_spawn) under limits on memory and time, and
/// sends back the tree, which ember checks before use: a crash, a hang or a limit there is an
/// IoError naming the file, and the loading process is untouched. in_process skips the helper
/// (a little faster, see docs/saving.md); use it for files you trust.
enum class Hdf5Reader { helper_process, in_process };

struct Hdf5ReaderOptions {
  Hdf5Reader reader = Hdf5Reader::helper_process;
  /// The helper is killed after this long plus timeout_seconds_per_gigabyte of the file (an
  /// IoError says so). A 100 MB file takes a tenth of a second; a hostile one can loop forever.
  double timeout_seconds = 10;
  double timeout_seconds_per_gigabyte = 60;
  /// The helper's memory (address space): this many bytes plus 16 times the file's size.
  std::uint64_t memory_bytes = std::uint64_t{1} << 30;
};

/// The settings every HDF5 read uses from now on (all threads); the previous ones are returned.
Hdf5ReaderOptions set_hdf5_reader(const Hdf5ReaderOptions& options);
Hdf5ReaderOptions hdf5_reader();

/// The helper program's path: $EMBER_HDF5_READER when set, else the one built with this ember
/// (its build folder, then its install folder: <prefix>/libexec/ember/ember-hdf5-reader).
/// IoError when there is none.
std::string hdf5_reader_path();
std::string save_hdf5_image(const H5Group& root, const std::string& name);

}  // namespace ember::io
