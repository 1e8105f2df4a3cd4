// The data sets of keras.datasets: `auto [train, test] = io::datasets::mnist::load_data();`
// then `auto [x_train, y_train] = train;`, as Keras' `(x_train, y_train), (x_test, y_test) =
// mnist.load_data()`. Nothing is downloaded: the loaders read the files from a directory (see each
// loader), and their errors say where they looked and how to get the data.
#pragma once

#include <string>
#include <utility>

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
/// MNIST digits from `dir` (default `$EMBER_DATA/mnist`): train-images-idx3-ubyte,
/// train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each with or without
/// `.gz`. x: (N, 28, 28) uint8, y: (N,) uint8, on default_device(). Throws IoError.
LoadedData load_data(const std::string& dir = "");
}  // namespace mnist

namespace fashion_mnist {
/// Fashion-MNIST, the same files as MNIST, from `dir`; by default `$EMBER_DATA/fashion-mnist`
/// when it holds them, else `/usr/share/datasets/fashion-mnist` (Debian's dataset-fashion-mnist
/// package). x: (60000, 28, 28) / (10000, 28, 28) uint8, y: (60000,) / (10000,) uint8.
LoadedData load_data(const std::string& dir = "");
}  // namespace fashion_mnist

namespace cifar10 {
/// CIFAR-10 in the official binary layout: `<dir>/cifar-10-batches-bin/data_batch_{1..5}.bin` and
/// `test_batch.bin` (`dir` may also be that folder itself; default `$EMBER_DATA/cifar10`).
/// x: (N, 32, 32, 3) uint8 NHWC, y: (N, 1) uint8, as Keras returns them. Throws IoError naming
/// the file for a missing file, a size that is not a whole number of 3073-byte records, or a
/// label above 9.
LoadedData load_data(const std::string& dir = "");
}  // namespace cifar10

}  // namespace ember::io::datasets
