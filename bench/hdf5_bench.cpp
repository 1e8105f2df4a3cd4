// What the HDF5 wall costs (io/hdf5.h, Hdf5Reader): a 100 MB .h5 file (25 float32 datasets of
// 1000 x 1000, as Keras writes a model's weights) read through the helper process and in this
// process, the median of several reads each, in one run.
//   hdf5_bench [runs]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "bench/machine.h"
#include "ember.h"
#include "io/hdf5.h"

int main(int argc, char** argv) {
  using namespace ember;
  const int runs = argc > 1 ? std::atoi(argv[1]) : 7;
  bench::print_machine();
  if (!io::hdf5_available()) {
    std::printf("built without HDF5: nothing to measure\n");
    return 0;
  }
  io::H5Group root;
  for (int i = 0; i < 25; ++i)
    root.set_dataset(cat("model_weights/dense_", i, "/kernel"),
                     random::Generator(i).normal({1000, 1000}));
  const std::string path =
      (std::filesystem::temp_directory_path() / "ember_hdf5_bench.h5").string();
  io::save_hdf5(path, root);
  const double megabytes = static_cast<double>(std::filesystem::file_size(path)) / 1e6;
  const auto median_ms = [&](io::Hdf5Reader reader) {
    io::set_hdf5_reader({.reader = reader});
    std::vector<double> times;
    for (int r = 0; r < runs; ++r) {
      const auto start = std::chrono::steady_clock::now();
      const io::H5Group loaded = io::load_hdf5(path);
      times.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count());
      if (loaded.find_dataset("model_weights/dense_24/kernel") == nullptr) std::abort();
    }
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
  };
  const double in_process = median_ms(io::Hdf5Reader::in_process);
  const double helper = median_ms(io::Hdf5Reader::helper_process);
  const double small_helper = [&] {  // the fixed cost: a tiny file
    io::H5Group tiny;
    tiny.set_dataset("w", ones({4}));
    io::save_hdf5(path + ".tiny.h5", tiny);
    io::set_hdf5_reader({.reader = io::Hdf5Reader::helper_process});
    std::vector<double> times;
    for (int r = 0; r < runs; ++r) {
      const auto start = std::chrono::steady_clock::now();
      io::load_hdf5(path + ".tiny.h5");
      times.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count());
    }
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
  }();
  std::filesystem::remove(path + ".tiny.h5");
  if (!std::getenv("EMBER_KEEP")) std::filesystem::remove(path);
  std::printf(
      "%.1f MB .h5, median of %d reads: in process %.1f ms, helper process %.1f ms "
      "(%.2fx, +%.1f ms); a 4-value file through the helper: %.2f ms\n",
      megabytes, runs, in_process, helper, helper / in_process, helper - in_process, small_helper);
  return 0;
}
