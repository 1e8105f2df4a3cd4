// safetensors headers that lie about sizes (#18): a shape whose byte count wraps past 2^64, a
// rank above ember's, offsets that do not match the shape, and numbers that are not integers are
// IoErrors naming the file and the tensor, never a tensor without its data.
#include <filesystem>
#include <fstream>

#include "tests/test_support.h"

namespace ember {
namespace {

using testing::expect_error;

/// A safetensors file: the 8-byte little-endian header length, the JSON header, the data.
void write_safetensors(const std::string& path, const std::string& header,
                       const std::string& data) {
  std::string file;
  for (int i = 0; i < 8; ++i) file += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  std::ofstream(path, std::ios::binary) << file << header << data;
}

TEST(Safetensors, SizesInTheHeaderAreCheckedArithmetic) {
  const testing::TempDir dir;
  const DeviceScope cpu(Device::cpu());
  // 2^62 x 4 float32: 2^66 bytes, which wrapped to 0 and matched the empty offsets.
  write_safetensors(dir / "wraps.safetensors",
                    R"({"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,0]}})",
                    "");
  expect_error<IoError>([&] { io::load_safetensors(dir / "wraps.safetensors"); },
                        {"wraps.safetensors", "'w'", "(4611686018427387904, 4)", "more than 2^63"});
  write_safetensors(dir / "rank.safetensors",
                    R"({"w":{"dtype":"F32","shape":[1,1,1,1,1,1,1,1,1],"data_offsets":[0,4]}})",
                    std::string(4, '\0'));
  expect_error<IoError>([&] { io::load_safetensors(dir / "rank.safetensors"); },
                        {"rank.safetensors", "'w'", "rank 9"});
  write_safetensors(dir / "short.safetensors",
                    R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})",
                    std::string(8, '\0'));
  expect_error<IoError>([&] { io::load_safetensors(dir / "short.safetensors"); },
                        {"short.safetensors", "needs 12 bytes", "span 8"});
  // Non-integers where integers belong: a float past int64 (a fuzz finding; converting it was
  // undefined behaviour), a string, 2^64 - 1.
  for (const char* shape : {"[2.2e29]", "[\"2\"]", "[18446744073709551615]"}) {
    write_safetensors(dir / "float.safetensors",
                      cat(R"({"w":{"dtype":"F32","shape":)", shape, R"(,"data_offsets":[0,8]}})"),
                      std::string(8, '\0'));
    expect_error<IoError>([&] { io::load_safetensors(dir / "float.safetensors"); },
                          {"float.safetensors", "'w'", "shape", "not an integer"});
  }
  write_safetensors(dir / "offsets.safetensors",
                    R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8.5]}})",
                    std::string(8, '\0'));
  expect_error<IoError>([&] { io::load_safetensors(dir / "offsets.safetensors"); },
                        {"offsets.safetensors", "data_offsets", "not an integer"});
  // The same writer makes a file that loads.
  write_safetensors(dir / "ok.safetensors",
                    R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
                    std::string("\x00\x00\x80\x3f\x00\x00\x00\x40", 8));
  const auto file = io::load_safetensors(dir / "ok.safetensors");
  ASSERT_EQ(file.tensors.size(), 1u);
  EXPECT_EQ(file.tensors[0].second.to_vector<float>(), (std::vector<float>{1, 2}));
}

}  // namespace
}  // namespace ember
