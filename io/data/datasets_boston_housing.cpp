// boston_housing: Keras' boston_housing.npz, shuffled and split as Keras does.
#include <vector>

#include "core/error.h"
#include "core/tensor_impl.h"
#include "io/data/dataset_sources.h"
#include "io/data/datasets.h"
#include "io/data/numpy_random.h"
#include "io/npy.h"

namespace ember::io::datasets::boston_housing {
namespace {

constexpr const char* kLoader = "boston_housing.load_data";
constexpr const char* kNpz = "boston_housing.npz";
// keras/src/datasets/boston_housing.py
constexpr const char* kSha256 = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5";

// Rows [begin, end) of `order` taken from `values` (rows of `width` doubles).
Tensor rows(const std::vector<double>& values, std::int64_t width,
            const std::vector<std::int64_t>& order, std::size_t begin, std::size_t end,
            bool matrix) {
  std::vector<double> out;
  out.reserve((end - begin) * static_cast<std::size_t>(width));
  for (std::size_t r = begin; r < end; ++r) {
    const auto* row = values.data() + order[r] * width;
    out.insert(out.end(), row, row + width);
  }
  const auto count = static_cast<std::int64_t>(end - begin);
  return detail::from_host(out.data(), matrix ? Shape{count, width} : Shape{count}, float64,
                           default_device());
}

}  // namespace

LoadedData load_data(double test_split, std::uint32_t seed, const std::string& dir) {
  if (!(test_split >= 0 && test_split < 1)) {
    throw Error(cat(kLoader, ": test_split must be in [0, 1), got ", test_split));
  }
  const std::string path = sources::find_or_fetch(kLoader, dir, "boston_housing", kNpz, kSha256);
  const std::vector<ZipEntry> entries = read_zip(path);
  const Tensor x = parse_npy(sources::npz_member(entries, "x", path, kLoader), path + "/x.npy");
  const Tensor y = parse_npy(sources::npz_member(entries, "y", path, kLoader), path + "/y.npy");
  if (x.rank() != 2 || y.rank() != 1 || x.shape(0) != y.shape(0) || x.dtype() != float64 ||
      y.dtype() != float64) {
    throw IoError(cat(path, ": expected float64 x of shape (N, features) and y of shape (N,), got ",
                      dtype_name(x.dtype()), " ", x.shape(), " and ", dtype_name(y.dtype()), " ",
                      y.shape(), " (", kLoader, ")"));
  }
  const auto count = static_cast<std::size_t>(x.shape(0));
  std::vector<std::int64_t> order(count);
  for (std::size_t i = 0; i < count; ++i) order[i] = static_cast<std::int64_t>(i);
  LegacyRandomState(seed).shuffle(order);
  // Keras: int(len(x) * (1 - test_split)) rows train.
  const auto train = static_cast<std::size_t>(static_cast<double>(count) * (1 - test_split));
  const std::vector<double> features = x.to_vector<double>();
  const std::vector<double> targets = y.to_vector<double>();
  LoadedData data;
  data.first = {rows(features, x.shape(1), order, 0, train, true),
                rows(targets, 1, order, 0, train, false)};
  data.second = {rows(features, x.shape(1), order, train, count, true),
                 rows(targets, 1, order, train, count, false)};
  return data;
}

}  // namespace ember::io::datasets::boston_housing
