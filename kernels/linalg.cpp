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
/// Multiply-adds below which a product runs on one thread: waking a worker costs more.
constexpr std::int64_t kSerialMacs = 1 << 18;

// One block of one product of the batch, by oneDNN on the calling thread: rows [begin, end) of C,
// or its columns when `columns`.
void sgemm_block(const GemmArgs& g, std::int64_t i, bool columns, std::int64_t begin,
                 std::int64_t end) {
  const float* a = static_cast<const float*>(g.a) + i * g.stride_a;
  const float* b = static_cast<const float*>(g.b) + i * g.stride_b;
  float* c = static_cast<float*>(g.c) + i * g.stride_c;
  std::int64_t m = g.m, n = g.n;
  if (columns) {  // columns of op(B): B's columns, or its rows when transposed
    b += g.transpose_b ? begin * g.ldb : begin;
    c += begin;
    n = end - begin;
  } else {  // rows of op(A): A's rows, or its columns when transposed
    a += g.transpose_a ? begin : begin * g.lda;
    c += begin * g.ldc;
    m = end - begin;
  }
  const dnnl_status_t status = dnnl_sgemm(g.transpose_a ? 'T' : 'N', g.transpose_b ? 'T' : 'N', m,
                                          n, g.k, 1.0f, a, g.lda, b, g.ldb, 0.0f, c, g.ldc);
  if (status != dnnl_success) {
    throw Error(cat("matmul: oneDNN sgemm failed with status ", static_cast<int>(status), " for ",
                    g.m, "x", g.k, " by ", g.k, "x", g.n));
  }
}

// The products of the batch cut into blocks of rows or columns of C (the longer side), shared
// out among ember's workers, each block run by oneDNN on one thread (kernels/thread_pool.h says
// why not in oneDNN's OpenMP team).
void gemm_onednn(const GemmArgs& g) {
  set_onednn_threads_here(1);
  const std::int64_t threads = max_threads();
  const std::int64_t total = g.batch * g.m * g.n * g.k;
  const bool columns = g.n > g.m;
  const std::int64_t side = columns ? g.n : g.m;
  const std::int64_t blocks_per_product =
      threads <= 1 || total < kSerialMacs
          ? 1
          : std::clamp<std::int64_t>((threads + g.batch - 1) / g.batch, 1,
                                     std::max<std::int64_t>(side, 1));
  const std::int64_t tasks = g.batch * blocks_per_product;
  const std::int64_t grain = total < kSerialMacs ? tasks : 1;
  parallel_for(tasks, grain, [&](std::int64_t begin, std::int64_t end) {
    set_onednn_threads_here(1);
    for (std::int64_t t = begin; t < end; ++t) {
      const std::int64_t i = t / blocks_per_product, block = t % blocks_per_product;
      sgemm_block(g, i, columns, side * block / blocks_per_product,
                  side * (block + 1) / blocks_per_product);
    }
  });
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
#if EMBER_WITH_ONEDNN
    case DType::bfloat16:
    case DType::float16:  // only where onednn_matmul_supports: the backend widens them otherwise
      onednn_matmul(g);
      break;
#endif
    default:
      EMBER_ASSERT(false && "gemm dtype checked by the op layer");
  }
}

}  // namespace ember::cpu
