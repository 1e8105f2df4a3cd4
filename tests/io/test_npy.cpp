// .npy files: fixtures written by NumPy (tests/golden/make_npy_fixtures.py), round trips, and
// every malformed case.
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "tests/test_support.h"

namespace ember {
namespace {

using testing::expect_error;
namespace fs = std::filesystem;

std::string fixture(const std::string& name) { return testing::test_data(name); }

class Npy : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string name = "ember_npy_";
    name += std::to_string(::getpid());
    dir_ = fs::temp_directory_path() / name;
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  void write_bytes(const std::string& name, const std::string& bytes) const {
    std::ofstream(path(name), std::ios::binary) << bytes;
  }
  static std::string read_bytes(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  fs::path dir_;
  DeviceScope cpu_{Device::cpu()};
};

TEST_F(Npy, ReadsWhatNumPyWrites) {
  const Tensor f = io::load_npy(fixture("float32_2x3.npy"));
  EXPECT_EQ(f.shape(), Shape({2, 3}));
  EXPECT_EQ(f.dtype(), float32);
  std::vector<float> expected;
  for (int i = 0; i < 6; ++i) expected.push_back(static_cast<float>(i) / 10.0f);
  EXPECT_EQ(f.to_vector<float>(), expected);
  EXPECT_EQ(io::load_npy(fixture("int64_4.npy")).to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{-2, 0, 7, std::int64_t{1} << 40}));
  EXPECT_EQ(io::load_npy(fixture("bool_3.npy")).to_vector<bool>(),
            (std::vector<bool>{true, false, true}));
  EXPECT_EQ(io::load_npy(fixture("uint8_2x2.npy")).to_vector<std::uint8_t>(),
            (std::vector<std::uint8_t>{0, 1, 254, 255}));
  const Tensor s = io::load_npy(fixture("float64_scalar.npy"));
  EXPECT_EQ(s.rank(), 0);
  EXPECT_EQ(s.item<double>(), 2.5);
  EXPECT_EQ(io::load_npy(fixture("int32_empty.npy")).shape(), Shape({0, 4}));
}

TEST_F(Npy, WritesWhatNumPyWrites) {
  // Byte-for-byte equal to NumPy's own file for the same array.
  std::vector<float> values;
  for (int i = 0; i < 6; ++i) values.push_back(static_cast<float>(i) / 10.0f);
  io::save_npy(path("f.npy"), constant(values, Shape{2, 3}));
  EXPECT_EQ(read_bytes(path("f.npy")), read_bytes(fixture("float32_2x3.npy")));
  io::save_npy(path("s.npy"), constant(2.5, float64));
  EXPECT_EQ(read_bytes(path("s.npy")), read_bytes(fixture("float64_scalar.npy")));
  io::save_npy(path("b.npy"), constant({true, false, true}));
  EXPECT_EQ(read_bytes(path("b.npy")), read_bytes(fixture("bool_3.npy")));
}

TEST_F(Npy, RoundTripsEveryDtype) {
  const std::vector<Tensor> tensors = {constant({{1.5f, -2.f}, {3.f, 4.f}}),
                                       constant({1.0, 2.0}, float64),
                                       constant({1, -2, 3}),
                                       constant(std::vector<std::int64_t>{1, 2}),
                                       constant(std::vector<std::uint8_t>{0, 255}),
                                       constant({true, false}),
                                       zeros({0, 2, 3}),
                                       constant(7)};
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const std::string p = path(cat("t", i, ".npy"));
    io::save_npy(p, tensors[i]);
    const Tensor back = io::load_npy(p);
    EXPECT_EQ(back.shape(), tensors[i].shape());
    EXPECT_EQ(back.dtype(), tensors[i].dtype());
    EXPECT_EQ(back.to_string(), tensors[i].to_string());
  }
}

TEST_F(Npy, MalformedFilesAreErrorsNamingTheFile) {
  expect_error<IoError>([&] { io::load_npy(path("missing.npy")); }, {"missing.npy", "cannot open"});
  write_bytes("text.npy", "hello, this is not numpy");
  expect_error<IoError>([&] { io::load_npy(path("text.npy")); }, {"text.npy", "bad magic"});
  const std::string good = read_bytes(fixture("float32_2x3.npy"));
  write_bytes("short.npy", good.substr(0, good.size() - 5));
  expect_error<IoError>([&] { io::load_npy(path("short.npy")); },
                        {"short.npy", "truncated", "24 bytes", "19"});
  write_bytes("header.npy", good.substr(0, 40));
  expect_error<IoError>([&] { io::load_npy(path("header.npy")); },
                        {"header.npy", "truncated .npy header"});
  std::string bad_version = good;
  bad_version[6] = 9;
  write_bytes("version.npy", bad_version);
  expect_error<IoError>([&] { io::load_npy(path("version.npy")); }, {"version.npy", "version 9"});
  expect_error<IoError>([&] { io::load_npy(fixture("fortran.npy")); }, {"fortran.npy", "Fortran"});
  expect_error<IoError>([&] { io::load_npy(fixture("bigendian.npy")); }, {"bigendian.npy", ">f4"});
  expect_error<IoError>([&] { io::load_npy(fixture("complex.npy")); }, {"complex.npy", "<c8"});
  std::string bad_bool = read_bytes(fixture("bool_3.npy"));
  bad_bool.back() = 7;
  write_bytes("bool.npy", bad_bool);
  expect_error<IoError>([&] { io::load_npy(path("bool.npy")); }, {"bool.npy", "0 or 1"});
}

/// A version 1.0 .npy file with this header text and these data bytes.
std::string npy_file(const std::string& header, const std::string& data) {
  std::string padded = header;
  while ((10 + padded.size() + 1) % 64 != 0) padded += ' ';
  padded += '\n';
  std::string file = "\x93NUMPY";
  file += '\x01';
  file += '\x00';
  file += static_cast<char>(padded.size() & 0xff);
  file += static_cast<char>(padded.size() >> 8);
  return file + padded + data;
}

TEST_F(Npy, ShapesBeyondInt64AreErrorsNamingTheFile) {
  // A shape whose bytes wrap to 0 (2^62 x 4 x 4 bytes) once loaded silently with no data.
  write_bytes("wraps.npy", npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': "
                                    "(4611686018427387904, 4), }",
                                    ""));
  expect_error<IoError>([&] { io::load_npy(path("wraps.npy")); },
                        {"wraps.npy", "(4611686018427387904, 4)", "more bytes than an int64"});
  write_bytes("huge.npy", npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': "
                                   "(99999999999999999999, 2), }",
                                   ""));
  expect_error<IoError>([&] { io::load_npy(path("huge.npy")); }, {"huge.npy", "beyond int64"});
  // The well-formed file made the same way loads (the helper writes real .npy files).
  write_bytes("ok.npy", npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }",
                                 std::string("\x00\x00\x80\x3f\x00\x00\x00\x40", 8)));
  EXPECT_EQ(io::load_npy(path("ok.npy")).to_vector<float>(), (std::vector<float>{1, 2}));
}

TEST_F(Npy, FailedWritesLeaveNothingBehind) {
  io::save_npy(path("keep.npy"), constant({1, 2}));
  const std::string before = read_bytes(path("keep.npy"));
  expect_error<IoError>([&] { io::save_npy(path("no/such/dir/x.npy"), constant({1})); }, {"x.npy"});
  for (const auto& entry : fs::directory_iterator(dir_)) {
    EXPECT_EQ(entry.path().extension(), ".npy") << "left behind: " << entry.path();
  }
  EXPECT_EQ(read_bytes(path("keep.npy")), before);
}

}  // namespace
}  // namespace ember
