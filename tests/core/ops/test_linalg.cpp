// matmul and tensordot against float64 loops written here, on every device.
#include "tests/gradient_check.h"

namespace ember {
namespace {

using testing::check_gradient;
using testing::expect_close;
using testing::expect_error;
using testing::random_tensor;
using testing::random_values;
using testing::values_of;

// C[b] = op(A[b]) op(B[b]) with row-major storage and per-operand batch strides (0 = shared).
std::vector<double> reference_matmul(const std::vector<double>& a, const std::vector<double>& b,
                                     int batch, int m, int n, int k, bool ta, bool tb,
                                     bool shared_a = false, bool shared_b = false) {
  std::vector<double> c(static_cast<std::size_t>(batch) * m * n, 0.0);
  for (int p = 0; p < batch; ++p) {
    const double* A = a.data() + (shared_a ? 0 : p * m * k);
    const double* B = b.data() + (shared_b ? 0 : p * k * n);
    for (int i = 0; i < m; ++i) {
      for (int j = 0; j < n; ++j) {
        double s = 0;
        for (int q = 0; q < k; ++q) {
          s += (ta ? A[q * m + i] : A[i * k + q]) * (tb ? B[j * k + q] : B[q * n + j]);
        }
        c[(p * m + i) * n + j] = s;
      }
    }
  }
  return c;
}

class Linalg : public testing::OnDevice {
  testing::Tf32Scope exact_{false};  // exact float32 products for these comparisons
};

TEST_P(Linalg, MatmulWithTransposesMatchesLoops) {
  const int m = 37, n = 29, k = 53;  // odd sizes on purpose
  for (DType dtype : {float32, float64}) {
    for (bool ta : {false, true}) {
      for (bool tb : {false, true}) {
        const Tensor a =
            constant(random_values(m * k, -1, 1, 1), ta ? Shape{k, m} : Shape{m, k}, dtype);
        const Tensor b =
            constant(random_values(k * n, -1, 1, 2), tb ? Shape{n, k} : Shape{k, n}, dtype);
        const Tensor c = matmul(a, b, _transpose_a = ta, _transpose_b = tb);
        ASSERT_EQ(c.shape(), Shape({m, n}));
        expect_close(values_of(c), reference_matmul(values_of(a), values_of(b), 1, m, n, k, ta, tb),
                     dtype == float32 ? 1e-5 : 1e-13, "matmul");
      }
    }
  }
}

TEST_P(Linalg, BatchedMatmulBroadcastsBatchDimensions) {
  const Tensor a = constant(random_values(3 * 4 * 5, -1, 1, 3), Shape{3, 4, 5});
  const Tensor b = constant(random_values(5 * 2, -1, 1, 4), Shape{5, 2});
  const Tensor c = matmul(a, b);
  ASSERT_EQ(c.shape(), Shape({3, 4, 2}));
  expect_close(values_of(c),
               reference_matmul(values_of(a), values_of(b), 3, 4, 2, 5, false, false, false, true),
               1e-5, "batch x shared");
  const Tensor c2 = matmul(b, a, _transpose_a = true, _transpose_b = true);  // (2,5) x (3,5,4)^T
  ASSERT_EQ(c2.shape(), Shape({3, 2, 4}));
  expect_close(values_of(c2),
               reference_matmul(values_of(b), values_of(a), 3, 2, 4, 5, true, true, true, false),
               1e-5, "shared x batch");
  // (2, 1, 3, 4) x (1, 2, 4, 3) -> (2, 2, 3, 3): both sides broadcast.
  const Tensor p = constant(random_values(24, -1, 1, 5), Shape{2, 1, 3, 4});
  const Tensor q = constant(random_values(24, -1, 1, 6), Shape{1, 2, 4, 3});
  const Tensor r = matmul(p, q);
  ASSERT_EQ(r.shape(), Shape({2, 2, 3, 3}));
  const auto ph = values_of(p), qh = values_of(q), rh = values_of(r);
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 2; ++j) {
      const std::vector<double> pa(ph.begin() + i * 12, ph.begin() + i * 12 + 12);
      const std::vector<double> qb(qh.begin() + j * 12, qh.begin() + j * 12 + 12);
      const auto expected = reference_matmul(pa, qb, 1, 3, 3, 4, false, false);
      const std::vector<double> got(rh.begin() + (i * 2 + j) * 9, rh.begin() + (i * 2 + j) * 9 + 9);
      expect_close(got, expected, 1e-5, "double broadcast");
    }
  }
}

TEST_P(Linalg, IntegerAndVectorProducts) {
  const Tensor a = constant({{1, 2}, {3, 4}}), b = constant({{5, 6}, {7, 8}});
  EXPECT_EQ(matmul(a, b).to_vector<std::int32_t>(), (std::vector<std::int32_t>{19, 22, 43, 50}));
  EXPECT_EQ(a.matmul(b).dtype(), int32);
  const Tensor v = constant({1.f, 2.f, 3.f});
  const Tensor w = constant({{1.f, 0.f}, {0.f, 1.f}, {1.f, 1.f}});
  const Tensor vw = matmul(v, w);  // NumPy: a vector on the left is a row
  EXPECT_EQ(vw.shape(), Shape({2}));
  EXPECT_EQ(vw.to_vector<float>(), (std::vector<float>{4, 5}));
  EXPECT_EQ(matmul(transpose(w), v).to_vector<float>(), (std::vector<float>{4, 5}));
  EXPECT_EQ(matmul(zeros({2, 0}), zeros({0, 3})).to_vector<float>(), std::vector<float>(6, 0.f));
  EXPECT_EQ(matmul(zeros({0, 4}), zeros({4, 3})).shape(), Shape({0, 3}));
}

TEST_P(Linalg, MatmulErrorsNameBothShapes) {
  expect_error<ShapeError>(
      [] {
        matmul(zeros({64, 784}), zeros({128, 10}));
      },
      {"matmul: inner dimensions differ: (64, 784) x (128, 10)"});
  expect_error<DTypeError>(
      [] {
        matmul(zeros({2, 2}), zeros({2, 2}, float64));
      },
      {"matmul", "float32", "float64"});
  expect_error<DTypeError>(
      [] {
        matmul(zeros({2, 2}, bool_), zeros({2, 2}, bool_));
      },
      {"matmul", "bool"});
  expect_error<ShapeError>(
      [] {
        matmul(zeros({2, 3, 4}), zeros({5, 4, 2}));
      },
      {"matmul", "(2,)", "(5,)"});
  expect_error<ShapeError>([] { matmul(constant(1.f), zeros({2, 2})); }, {"matmul", "rank"});
}

TEST_P(Linalg, TensordotInnerAndOuter) {
  const Tensor a = constant({1.f, 2.f, 3.f}), b = constant({4.f, 5.f, 6.f});
  const Tensor outer = tensordot(a, b, 0);
  EXPECT_EQ(outer.shape(), Shape({3, 3}));
  EXPECT_EQ(outer.to_vector<float>(), (std::vector<float>{4, 5, 6, 8, 10, 12, 12, 15, 18}));
  const Tensor inner = tensordot(a, b, 1);
  EXPECT_EQ(inner.rank(), 0);
  EXPECT_EQ(inner.item<float>(), 32.f);
  // (2, 3, 4) . (4, 3, 5) contracting a's axes 1, 2 with b's axes 1, 0 -> (2, 5).
  const Tensor x = constant(random_values(24, -1, 1, 8), Shape{2, 3, 4});
  const Tensor y = constant(random_values(60, -1, 1, 9), Shape{4, 3, 5});
  const Tensor z = tensordot(x, y, {1, 2}, {1, 0});
  ASSERT_EQ(z.shape(), Shape({2, 5}));
  const auto xh = values_of(x), yh = values_of(y);
  std::vector<double> expected(10, 0.0);
  for (int i = 0; i < 2; ++i)
    for (int l = 0; l < 5; ++l)
      for (int j = 0; j < 3; ++j)
        for (int k = 0; k < 4; ++k)
          expected[i * 5 + l] += xh[i * 12 + j * 4 + k] * yh[k * 15 + j * 5 + l];
  expect_close(values_of(z), expected, 1e-5, "tensordot pairs");
  const Tensor m =
      tensordot(constant({{1.f, 2.f}, {3.f, 4.f}}), constant({{5.f, 6.f}, {7.f, 8.f}}), 1);
  EXPECT_EQ(m.to_vector<float>(), (std::vector<float>{19, 22, 43, 50}));
  expect_error<ShapeError>([&] { tensordot(a, zeros({4}), 1); }, {"tensordot", "differ"});
}

INSTANTIATE_TEST_SUITE_P(Devices, Linalg, ::testing::ValuesIn(testing::all_devices()),
                         testing::device_name);

// --- gradients against float64 central differences (CPU) ----------------------------------------

class LinalgGradients : public ::testing::Test {
  DeviceScope cpu_{Device::cpu()};
};

TEST_F(LinalgGradients, MatmulAndTensordot) {
  const Tensor a = random_tensor({3, 4}, -1, 1, 10), b = random_tensor({4, 2}, -1, 1, 11);
  check_gradient("matmul", [](auto& v) { return matmul(v[0], v[1]); }, {a, b});
  const Tensor at = random_tensor({4, 3}, -1, 1, 12), bt = random_tensor({2, 4}, -1, 1, 13);
  check_gradient("matmul ta", [](auto& v) { return matmul(v[0], v[1], _transpose_a = true); },
                 {at, b});
  check_gradient("matmul tb", [](auto& v) { return matmul(v[0], v[1], _transpose_b = true); },
                 {a, bt});
  check_gradient(
      "matmul ta tb",
      [](auto& v) { return matmul(v[0], v[1], _transpose_a = true, _transpose_b = true); },
      {at, bt});
  const Tensor batch = random_tensor({2, 3, 4}, -1, 1, 14);
  check_gradient("batched x shared", [](auto& v) { return matmul(v[0], v[1]); }, {batch, b});
  const Tensor p = random_tensor({2, 1, 3, 4}, -1, 1, 15),
               q = random_tensor({1, 3, 4, 2}, -1, 1, 16);
  check_gradient("broadcast batches", [](auto& v) { return matmul(v[0], v[1]); }, {p, q});
  const Tensor vec = random_tensor({4}, -1, 1, 17);
  check_gradient("vector x matrix", [](auto& v) { return matmul(v[0], v[1]); }, {vec, b});
  check_gradient("matrix x vector", [](auto& v) { return matmul(v[0], v[1]); }, {a, vec});
  check_gradient("tensordot 0", [](auto& v) { return tensordot(v[0], v[1], 0); },
                 {vec, random_tensor({3}, -1, 1, 23)});
  check_gradient("tensordot pairs",
                 [](auto& v) {
                   return tensordot(v[0], v[1], {1, 2}, {1, 0});
                 },
                 {random_tensor({2, 3, 4}, -1, 1, 18), random_tensor({4, 3, 2}, -1, 1, 19)});
}

}  // namespace
}  // namespace ember
