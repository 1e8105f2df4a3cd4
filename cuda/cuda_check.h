// Turning CUDA runtime, cuBLAS and cuDNN status codes into ember::Error (internal, thin: .cu files
// include it). The throwing functions live in cuda_check.cpp, so this header needs no C++20
// library.
#pragma once

#include <cublas_api.h>
#include <cuda_runtime_api.h>
#include <cudnn_graph.h>

namespace ember::cuda {

/// Throws ember::Error naming the failed expression, the CUDA error and the source location.
[[noreturn]] void throw_cuda_error(cudaError_t status, const char* expression, const char* file,
                                   int line);
/// Throws ember::Error naming the failed expression, the cuBLAS status and the source location.
[[noreturn]] void throw_cublas_error(cublasStatus_t status, const char* expression,
                                     const char* file, int line);

/// Throws ember::Error naming the failed expression, the cuDNN status and the source location.
[[noreturn]] void throw_cudnn_error(cudnnStatus_t status, const char* expression, const char* file,
                                    int line);

}  // namespace ember::cuda

#define EMBER_CUDA_CHECK(expr)                                                        \
  do {                                                                                \
    const cudaError_t ember_cuda_status_ = (expr);                                    \
    if (ember_cuda_status_ != cudaSuccess) {                                          \
      ::ember::cuda::throw_cuda_error(ember_cuda_status_, #expr, __FILE__, __LINE__); \
    }                                                                                 \
  } while (0)

/// Right after a kernel launch: a bad configuration is reported here, not at the next sync.
#define EMBER_CUDA_CHECK_LAUNCH() EMBER_CUDA_CHECK(cudaGetLastError())

#define EMBER_CUBLAS_CHECK(expr)                                                          \
  do {                                                                                    \
    const cublasStatus_t ember_cublas_status_ = (expr);                                   \
    if (ember_cublas_status_ != CUBLAS_STATUS_SUCCESS) {                                  \
      ::ember::cuda::throw_cublas_error(ember_cublas_status_, #expr, __FILE__, __LINE__); \
    }                                                                                     \
  } while (0)

#define EMBER_CUDNN_CHECK(expr)                                                         \
  do {                                                                                  \
    const cudnnStatus_t ember_cudnn_status_ = (expr);                                   \
    if (ember_cudnn_status_ != CUDNN_STATUS_SUCCESS) {                                  \
      ::ember::cuda::throw_cudnn_error(ember_cudnn_status_, #expr, __FILE__, __LINE__); \
    }                                                                                   \
  } while (0)
