#include "cuda/cuda_check.h"

#include "core/error.h"

namespace ember::cuda {

void throw_cuda_error(cudaError_t status, const char* expression, const char* file, int line) {
  // A failed call also leaves its code as the thread's "last error"; clear it so that the next
  // launch check does not report this failure a second time.
  cudaGetLastError();
  throw Error(cat("CUDA error ", cudaGetErrorName(status), " (", cudaGetErrorString(status),
                  ") in ", expression, " at ", file, ":", line));
}

void throw_cublas_error(cublasStatus_t status, const char* expression, const char* file, int line) {
  throw Error(cat("cuBLAS error ", cublasGetStatusName(status), " (", cublasGetStatusString(status),
                  ") in ", expression, " at ", file, ":", line));
}

void throw_cudnn_error(cudnnStatus_t status, const char* expression, const char* file, int line) {
  throw Error(cat("cuDNN error ", cudnnGetErrorString(status), " (status ",
                  static_cast<int>(status), ") in ", expression, " at ", file, ":", line));
}

}  // namespace ember::cuda
