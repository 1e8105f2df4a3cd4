// The data sets of keras.datasets: `auto [train, test] = io::datasets::mnist::load_data();`
// then `auto [x_train, y_train] = train;`, as Keras' `(x_train, y_train), (x_test, y_test) =
// mnist.load_data()`. Each loader looks, in order, in the folder it is given (then only there),
// in $EMBER_DATA/<name>, and in the cache, which utils::get_file fills from Keras' own origins
// with Keras' own hashes ($EMBER_HOME/datasets, by default ~/.ember/datasets; a mirror of the
// same files can stand in for the origins with $EMBER_DATASETS_MIRROR). Every file is checked
// as it is read (sizes, shapes, label ranges); errors name the file, where the loader looked,
// the URL and why a download failed, and where to put the file by hand.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace ember::io::datasets {

/// ((x_train, y_train), (x_test, y_test)): a std::pair of pairs, so structured bindings and
/// std::tie read like Keras' tuples, with names for the four tensors too.
struct LoadedData : std::pair<std::pair<Tensor, Tensor>, std::pair<Tensor, Tensor>> {
  const Tensor& x_train() const { return first.first; }
  const Tensor& y_train() const { return first.second; }
  const Tensor& x_test() const { return second.first; }
  const Tensor& y_test() const { return second.second; }
};

namespace mnist {
/// MNIST digits from `dir`, `$EMBER_DATA/mnist` or Keras' mnist.npz (downloaded once, 11 MB).
/// A folder holds train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
/// t10k-labels-idx1-ubyte, each with or without `.gz`, or mnist.npz. x: (60000, 28, 28) /
/// (10000, 28, 28) uint8, y: (60000,) / (10000,) uint8 in 0..9, on default_device().
/// Throws IoError.
LoadedData load_data(const std::string& dir = "");
}  // namespace mnist

namespace fashion_mnist {
/// Fashion-MNIST, the same four files as MNIST, from `dir`, `$EMBER_DATA/fashion-mnist`,
/// `/usr/share/datasets/fashion-mnist` (Debian's dataset-fashion-mnist package) or Keras'
/// download (30 MB; Keras publishes no hash for these files, so only their contents are
/// checked). x: (60000, 28, 28) / (10000, 28, 28) uint8, y: (60000,) / (10000,) uint8.
LoadedData load_data(const std::string& dir = "");
}  // namespace fashion_mnist

namespace cifar10 {
/// CIFAR-10 from `dir`, `$EMBER_DATA/cifar10` or Keras' download (cifar-10-python.tar.gz, 163
/// MiB, unpacked once into the cache). A folder holds the "python version"
/// (`cifar-10-batches-py/data_batch_{1..5}` and `test_batch`, pickled batches read by ember's
/// restricted unpickler, which runs nothing) or the "binary version"
/// (`cifar-10-batches-bin/data_batch_{1..5}.bin`, `test_batch.bin`), or those files directly.
/// x: (50000, 32, 32, 3) / (10000, 32, 32, 3) uint8 NHWC, y: (N, 1) uint8, as Keras returns
/// them. Throws IoError naming the file for a missing or truncated file, a malformed batch, or a
/// label above 9.
LoadedData load_data(const std::string& dir = "");
}  // namespace cifar10

namespace cifar100 {
/// CIFAR-100 as CIFAR-10, with `label_mode` "fine" (100 classes) or "coarse" (20 superclasses):
/// from `dir`, `$EMBER_DATA/cifar100` or Keras' download (cifar-100-python.tar.gz, 161 MiB). A
/// folder holds `cifar-100-python/{train,test}` or `cifar-100-binary/{train,test}.bin`.
/// x: (50000, 32, 32, 3) / (10000, 32, 32, 3) uint8, y: (N, 1) uint8. ember::Error for another
/// label_mode; IoError as cifar10.
LoadedData load_data(const std::string& label_mode = "fine", const std::string& dir = "");
}  // namespace cifar100

namespace boston_housing {
/// The Boston house prices (506 rows of 13 features, the median value in $1000s) from `dir`,
/// `$EMBER_DATA/boston_housing` or Keras' boston_housing.npz; shuffled with NumPy's
/// RandomState(seed) and split as Keras splits them, so the rows are Keras' rows in Keras'
/// order: the first int(506 * (1 - test_split)) train. x: (404, 13), y: (404,) float64 by
/// default. ember::Error for a test_split outside [0, 1); IoError as the others.
LoadedData load_data(double test_split = 0.2, std::uint32_t seed = 113,
                     const std::string& dir = "");
}  // namespace boston_housing

namespace imdb {
/// Token sequences of different lengths: what Keras returns as object arrays of lists.
/// utils::pad_sequences turns them into a tensor.
using Sequences = std::vector<std::vector<std::int32_t>>;

/// ((x_train, y_train), (x_test, y_test)) with ragged x.
struct ImdbData : std::pair<std::pair<Sequences, Tensor>, std::pair<Sequences, Tensor>> {
  const Sequences& x_train() const { return first.first; }
  const Tensor& y_train() const { return first.second; }
  const Sequences& x_test() const { return second.first; }
  const Tensor& y_test() const { return second.second; }
};

/// keras.datasets.imdb.load_data's arguments (less `path`; `dir` names a folder holding
/// imdb.npz instead).
struct Options {
  /// Keep the most frequent words only: indices >= num_words become oov_char (or are dropped).
  std::optional<std::int32_t> num_words{};
  /// Indices below skip_top (the most frequent words) become oov_char too.
  std::int32_t skip_top = 0;
  /// Drop the reviews of maxlen words or more (after start_char is added).
  std::optional<std::int32_t> maxlen{};
  std::uint32_t seed = 113;
  /// Put in front of every review; none: nothing.
  std::optional<std::int32_t> start_char = 1;
  /// What out-of-range words become; none: they are dropped.
  std::optional<std::int32_t> oov_char = 2;
  /// Added to every word index (0, 1, 2 are padding, start and out-of-vocabulary).
  std::int32_t index_from = 3;
  std::string dir{};
};

/// The IMDB movie reviews (25000 + 25000, labels 0 negative and 1 positive) from `dir`,
/// `$EMBER_DATA/imdb` or Keras' imdb.npz (17 MB; its ragged arrays are pickles, read by
/// ember's restricted unpickler). Shuffled with NumPy's RandomState(seed) and processed in
/// Keras' order, so the sequences equal Keras'. y: (N,) int64. ember::Error when maxlen leaves no
/// review; IoError as the others.
ImdbData load_data(const Options& options = {});

/// The word -> index map (imdb_word_index.json, Keras' download); index i of a sequence is word
/// i - index_from.
std::map<std::string, std::int32_t> get_word_index(const std::string& dir = "");
}  // namespace imdb

}  // namespace ember::io::datasets
