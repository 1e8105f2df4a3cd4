// Shared helpers for ember's tests: device parametrisation and float64 reference data.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "ember.h"

namespace ember::testing {

/// Every device a device-generic test runs on. CUDA is always listed, so a machine without a
/// GPU reports those cases as skipped instead of silently dropping them.
inline std::vector<Device> all_devices() { return {Device::cpu(), Device::cuda(0)}; }

inline std::string device_name(const ::testing::TestParamInfo<Device>& info) {
  return info.param.is_cpu() ? "cpu" : "cuda" + std::to_string(info.param.index);
}

/// Base fixture: skips on a missing GPU and makes the parameter the default device.
class OnDevice : public ::testing::TestWithParam<Device> {
 protected:
  void SetUp() override {
    if (GetParam().is_cuda() && !cuda_available()) {
      GTEST_SKIP() << "no CUDA GPU on this machine (" << GetParam() << " tests skipped)";
    }
    scope_ = std::make_unique<DeviceScope>(GetParam());
  }
  void TearDown() override { scope_.reset(); }
  Device device() const { return GetParam(); }

 private:
  std::unique_ptr<DeviceScope> scope_;
};

/// TF32 math (on by default on CUDA, for speed) is off in every test program: the references are
/// exact float32 or float64 loops, which TF32's 10-bit mantissa would not meet on a GPU. Tests of
/// TF32 itself turn it on with a Tf32Scope.
inline const bool kTf32OffInTests = [] {
  config::set_tf32_enabled(false);
  return true;
}();

/// Sets TF32 math for float32 matmuls and convolutions on CUDA while it lives, then puts the
/// previous setting back.
class Tf32Scope {
 public:
  explicit Tf32Scope(bool enabled) : previous_(config::tf32_enabled()) {
    config::set_tf32_enabled(enabled);
  }
  ~Tf32Scope() { config::set_tf32_enabled(previous_); }
  Tf32Scope(const Tf32Scope&) = delete;
  Tf32Scope& operator=(const Tf32Scope&) = delete;

 private:
  bool previous_;
};

#define EMBER_SKIP_WITHOUT_GPU() \
  if (!::ember::cuda_available()) GTEST_SKIP() << "no CUDA GPU on this machine"

/// Deterministic test data from the standard library (independent of ember's generator).
inline std::vector<double> random_values(std::size_t n, double lo = -1.0, double hi = 1.0,
                                         unsigned seed = 1) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<double> v(n);
  for (double& x : v) x = dist(rng);
  return v;
}

inline std::vector<float> to_float(const std::vector<double>& v) {
  return std::vector<float>(v.begin(), v.end());
}

/// Values of any floating tensor, widened to double.
inline std::vector<double> values_of(const Tensor& t) {
  if (t.dtype() == float64) return t.to_vector<double>();
  const auto f = cast(t, float64).to_vector<double>();
  return f;
}

/// Asserts |actual - expected| <= tol * max(1, |expected|) elementwise (NaNs must match).
inline void expect_close(const std::vector<double>& actual, const std::vector<double>& expected,
                         double tol, const std::string& what = "") {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  for (std::size_t i = 0; i < actual.size(); ++i) {
    if (std::isnan(expected[i])) {
      EXPECT_TRUE(std::isnan(actual[i])) << what << " element " << i;
      continue;
    }
    if (std::isinf(expected[i])) {
      EXPECT_EQ(actual[i], expected[i]) << what << " element " << i;
      continue;
    }
    const double scale = std::max(1.0, std::fabs(expected[i]));
    EXPECT_NEAR(actual[i], expected[i], tol * scale) << what << " element " << i;
  }
}

/// max |actual - expected| <= tol · max |expected|: the error measure for TF32 results, whose
/// absolute error grows with the length of each sum, not with the element's own size.
inline void expect_close_normwise(const std::vector<double>& actual,
                                  const std::vector<double>& expected, double tol,
                                  const std::string& what = "") {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  double largest = 0, worst = 0;
  std::size_t worst_at = 0;
  for (std::size_t i = 0; i < actual.size(); ++i) {
    largest = std::max(largest, std::fabs(expected[i]));
    const double error = std::fabs(actual[i] - expected[i]);
    if (std::isnan(error) || error > worst) worst = error, worst_at = i;  // a NaN stays the worst
  }
  EXPECT_LE(worst, tol * std::max(largest, 1e-30))
      << what << ": element " << worst_at << " is " << actual[worst_at] << ", expected "
      << expected[worst_at] << " (largest |expected| " << largest << ")";
}

/// Runs `f` and checks that it throws E whose message contains every fragment.
template <class E, class F>
void expect_error(F&& f, std::initializer_list<std::string> fragments) {
  try {
    f();
    ADD_FAILURE() << "expected an exception";
  } catch (const E& e) {
    const std::string message = e.what();
    for (const auto& fragment : fragments) {
      EXPECT_NE(message.find(fragment), std::string::npos)
          << "message \"" << message << "\" lacks \"" << fragment << "\"";
    }
  }
}

/// The path of a file under tests/data (EMBER_TEST_DATA, which CTest sets):
/// test_data("keras_files/stacked.h5").
inline std::string test_data(const std::string& relative) {
  const char* dir = std::getenv("EMBER_TEST_DATA");
  return std::string(dir ? dir : "tests/data") + "/" + relative;
}

/// A file's bytes, as they are ("" when it cannot be read).
inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

/// Writes `bytes` to `path`, replacing the file.
inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// A fresh folder under the system's temp directory, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("ember_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter()++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  std::filesystem::path path_;
};

}  // namespace ember::testing
