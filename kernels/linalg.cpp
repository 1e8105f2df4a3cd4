// Matrix products on the CPU: oneDNN's sgemm for float32 when available, otherwise (and for
// float64 and integers) a cache-blocked reference kernel.
#include <algorithm>
#include <vector>

#include "core/error.h"
#include "kernels/cpu_kernels.h"
#include "kernels/parallel.h"

#if EMBER_WITH_ONEDNN
#include <oneapi/dnnl/dnnl.h>
#endif

namespace ember::cpu {
namespace {

// C (m x n) = op(A) (m x k) · op(B) (k x n) for one matrix of the batch. op(A) and op(B) are
// first packed row-major when transposed, so the inner loop runs over contiguous rows of B and C.
template <class T>
void gemm_reference_one(const GemmArgs& g, const T* a, const T* b, T* c) {
  const std::int64_t m = g.m, n = g.n, k = g.k;
  std::vector<T> a_packed, b_packed;
  const T* A = a;  // row-major m x k with leading dimension lda
  std::int64_t lda = g.lda;
  if (g.transpose_a) {
    a_packed.resize(static_cast<std::size_t>(m * k));
    for (std::int64_t p = 0; p < k; ++p) {
      for (std::int64_t i = 0; i < m; ++i) a_packed[i * k + p] = a[p * g.lda + i];
    }
    A = a_packed.data();
    lda = k;
  }
  const T* B = b;  // row-major k x n with leading dimension ldb
  std::int64_t ldb = g.ldb;
  if (g.transpose_b) {
    b_packed.resize(static_cast<std::size_t>(k * n));
    for (std::int64_t j = 0; j < n; ++j) {
      for (std::int64_t p = 0; p < k; ++p) b_packed[p * n + j] = b[j * g.ldb + p];
    }
    B = b_packed.data();
    ldb = n;
  }
  // Blocks of B (kc x nc) stay in cache while every row of the thread's share of C uses them.
  constexpr std::int64_t kc = 128, nc = 512;
  parallel_for(m, std::max<std::int64_t>(1, 65536 / std::max<std::int64_t>(n * k, 1)),
               [&](std::int64_t row_begin, std::int64_t row_end) {
                 for (std::int64_t i = row_begin; i < row_end; ++i) {
                   std::fill(c + i * g.ldc, c + i * g.ldc + n, T(0));
                 }
                 for (std::int64_t j0 = 0; j0 < n; j0 += nc) {
                   const std::int64_t j1 = std::min(n, j0 + nc);
                   for (std::int64_t p0 = 0; p0 < k; p0 += kc) {
                     const std::int64_t p1 = std::min(k, p0 + kc);
                     for (std::int64_t i = row_begin; i < row_end; ++i) {
                       T* c_row = c + i * g.ldc;
                       for (std::int64_t p = p0; p < p1; ++p) {
                         const T a_ip = A[i * lda + p];
                         const T* b_row = B + p * ldb;
                         for (std::int64_t j = j0; j < j1; ++j) c_row[j] += a_ip * b_row[j];
                       }
                     }
                   }
                 }
               });
}

template <class T>
void gemm_reference(const GemmArgs& g) {
  for (std::int64_t i = 0; i < g.batch; ++i) {
    gemm_reference_one<T>(g, static_cast<const T*>(g.a) + i * g.stride_a,
                          static_cast<const T*>(g.b) + i * g.stride_b,
                          static_cast<T*>(g.c) + i * g.stride_c);
  }
}

#if EMBER_WITH_ONEDNN
void gemm_onednn(const GemmArgs& g) {
  for (std::int64_t i = 0; i < g.batch; ++i) {
    const dnnl_status_t status =
        dnnl_sgemm(g.transpose_a ? 'T' : 'N', g.transpose_b ? 'T' : 'N', g.m, g.n, g.k, 1.0f,
                   static_cast<const float*>(g.a) + i * g.stride_a, g.lda,
                   static_cast<const float*>(g.b) + i * g.stride_b, g.ldb, 0.0f,
                   static_cast<float*>(g.c) + i * g.stride_c, g.ldc);
    if (status != dnnl_success) {
      throw Error(cat("matmul: oneDNN sgemm failed with status ", static_cast<int>(status), " for ",
                      g.m, "x", g.k, " by ", g.k, "x", g.n));
    }
  }
}
#endif

}  // namespace

void gemm(const GemmArgs& g) {
  switch (g.dtype) {
    case DType::float32:
#if EMBER_WITH_ONEDNN
      gemm_onednn(g);
#else
      gemm_reference<float>(g);
#endif
      break;
    case DType::float64:
      gemm_reference<double>(g);
      break;
    case DType::int32:
      gemm_reference<std::int32_t>(g);
      break;
    case DType::int64:
      gemm_reference<std::int64_t>(g);
      break;
    default:
      EMBER_ASSERT(false && "gemm dtype checked by the op layer");
  }
}

}  // namespace ember::cpu
