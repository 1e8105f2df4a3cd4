// float16 and bfloat16 in files: .npy (<f2), safetensors (F16, BF16) and HDF5 (h5py's float16),
// read from files NumPy, h5py and a hand-framed safetensors wrote (tests/golden/
// make_half_fixtures.py, which printed the bit patterns below), written and read back, and the
// types a format lacks refused with the reason.
#include <cstdint>
#include <vector>

#include "tests/test_support.h"

namespace ember {
namespace {

using testing::expect_error;
using testing::TempDir;
using testing::test_data;

// The fixtures hold [[0.1, -2.5, 65504], [1e-7, -0.0, 3]] in each type.
const std::vector<std::uint16_t> kFloat16Bits = {0x2e66, 0xc100, 0x7bff, 0x0002, 0x8000, 0x4200};
const std::vector<std::uint16_t> kBFloat16Bits = {0x3dcd, 0xc020, 0x4780, 0x33d7, 0x8000, 0x4040};

template <class Half>
std::vector<std::uint16_t> bits_of(const Tensor& t) {
  std::vector<std::uint16_t> out;
  for (Half h : t.to_vector<Half>()) out.push_back(h.bits);
  return out;
}

TEST(HalfFiles, NpyFromNumPy) {
  const Tensor t = io::load_npy(test_data("half/float16_2x3.npy"));
  EXPECT_EQ(t.dtype(), float16);
  EXPECT_EQ(t.shape(), Shape({2, 3}));
  EXPECT_EQ(bits_of<Float16>(t), kFloat16Bits);
}

TEST(HalfFiles, NpyRoundTripAndNoBFloat16) {
  TempDir dir;
  const Tensor t = io::load_npy(test_data("half/float16_2x3.npy"));
  io::save_npy(dir / "x.npy", t);
  EXPECT_EQ(testing::read_bytes(dir / "x.npy"),
            testing::read_bytes(test_data("half/float16_2x3.npy")));
  expect_error<IoError>([&] { io::save_npy(dir / "b.npy", cast(t, bfloat16)); },
                        {"b.npy", "bfloat16", "float32"});
}

TEST(HalfFiles, SafetensorsF16AndBF16) {
  const io::SafetensorsFile file = io::load_safetensors(test_data("half/half.safetensors"));
  ASSERT_EQ(file.tensors.size(), 2u);
  EXPECT_EQ(file.tensors[0].first, "h");
  EXPECT_EQ(file.tensors[0].second.dtype(), float16);
  EXPECT_EQ(bits_of<Float16>(file.tensors[0].second), kFloat16Bits);
  EXPECT_EQ(file.tensors[1].first, "b");
  EXPECT_EQ(file.tensors[1].second.dtype(), bfloat16);
  EXPECT_EQ(bits_of<BFloat16>(file.tensors[1].second), kBFloat16Bits);
  TempDir dir;
  io::save_safetensors(dir / "again.safetensors", file.tensors);
  const io::SafetensorsFile again = io::load_safetensors(dir / "again.safetensors");
  EXPECT_EQ(bits_of<Float16>(again.tensors[0].second), kFloat16Bits);
  EXPECT_EQ(bits_of<BFloat16>(again.tensors[1].second), kBFloat16Bits);
}

TEST(HalfFiles, Hdf5Float16AsH5pyWritesIt) {
  if (!io::hdf5_available()) GTEST_SKIP() << "built without HDF5";
  const io::H5Group root = io::load_hdf5(test_data("half/float16.h5"));
  const Tensor* kernel = root.find_dataset("dense/kernel");
  ASSERT_NE(kernel, nullptr);
  EXPECT_EQ(kernel->dtype(), float16);
  EXPECT_EQ(bits_of<Float16>(*kernel), kFloat16Bits);
  TempDir dir;
  io::save_hdf5(dir / "again.h5", root);
  const io::H5Group again = io::load_hdf5(dir / "again.h5");
  EXPECT_EQ(bits_of<Float16>(*again.find_dataset("dense/kernel")), kFloat16Bits);
}

TEST(HalfFiles, Hdf5RefusesWhatItCannotHold) {
  if (!io::hdf5_available()) GTEST_SKIP() << "built without HDF5";
  expect_error<IoError>([] { io::load_hdf5(test_data("half/float16_big_endian.h5")); },
                        {"float16_big_endian.h5", "little-endian IEEE float16"});
  TempDir dir;
  io::H5Group root;
  root.set_dataset("w", ones({2}, bfloat16));
  expect_error<IoError>([&] { io::save_hdf5(dir / "b.h5", root); }, {"b.h5", "bfloat16"});
}

}  // namespace
}  // namespace ember
