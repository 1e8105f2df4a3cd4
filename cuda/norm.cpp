// Batch normalization on the GPU through cuDNN (spatial mode), and the CudnnOps set-up.
//
// x is (rows, channels) with the channels innermost, which is cuDNN's NCHW layout with
// H = W = 1, so the statistics run over the rows as spatial batch normalization's do over N·H·W.
// cuDNN reports the batch variance only through its running variance, unbiased (divided by
// rows − 1); with an averaging factor of 1 and zeroed running buffers that is the batch's, which
// is rescaled by (rows − 1) / rows to the biased variance TensorFlow and Keras use.
#include <cudnn.h>

#include <climits>

#include "core/error.h"
#include "cuda/cudnn_ops.h"

namespace ember::cuda {
namespace {

// One float or double in cuDNN's scaling type (double for float64 data, float otherwise).
class ScalingValue {
 public:
  ScalingValue(DType dtype, double value)
      : is_double_(dtype == DType::float64), d_(value), f_(static_cast<float>(value)) {}
  const void* get() const { return is_double_ ? static_cast<const void*>(&d_) : &f_; }

 private:
  bool is_double_;
  double d_;
  float f_;
};

struct BatchNormDescriptors {
  TensorDescriptor x, channels;
};

BatchNormDescriptors describe_batch_norm(const BatchNormArgs& a) {
  if (a.rows > INT_MAX || a.channels > INT_MAX) {
    throw Error(cat("fused_batch_norm: ", a.rows, " rows of ", a.channels,
                    " channels exceed cuDNN's 32-bit sizes"));
  }
  const cudnnDataType_t type = a.dtype == DType::float64 ? CUDNN_DATA_DOUBLE : CUDNN_DATA_FLOAT;
  BatchNormDescriptors d;
  EMBER_CUDNN_CHECK(cudnnSetTensor4dDescriptor(d.x.get(), CUDNN_TENSOR_NCHW, type,
                                               static_cast<int>(a.rows),
                                               static_cast<int>(a.channels), 1, 1));
  EMBER_CUDNN_CHECK(
      cudnnDeriveBNTensorDescriptor(d.channels.get(), d.x.get(), CUDNN_BATCHNORM_SPATIAL));
  return d;
}

}  // namespace

CudnnOps::CudnnOps(const StreamContext& ctx) : ctx_(ctx) {
  EMBER_CUDNN_CHECK(cudnnSetStream(handle_.get(), ctx_.stream));
}

void CudnnOps::batch_norm_forward_training(const BatchNormArgs& a, const void* x, const void* scale,
                                           const void* offset, void* y, void* mean, void* variance,
                                           void* inv_std) {
  // x: (rows, C)  scale, offset: (C,)  ->  y: (rows, C); mean, variance, inv_std: (C,)
  const BatchNormDescriptors d = describe_batch_norm(a);
  const std::size_t bytes = static_cast<std::size_t>(a.channels) * dtype_size(a.dtype);
  EMBER_CUDA_CHECK(cudaMemsetAsync(mean, 0, bytes, ctx_.stream));
  EMBER_CUDA_CHECK(cudaMemsetAsync(variance, 0, bytes, ctx_.stream));
  ScratchBuffer saved_mean(bytes, ctx_);
  const ScalingValue one(a.dtype, 1.0), zero(a.dtype, 0.0);
  EMBER_CUDNN_CHECK(cudnnBatchNormalizationForwardTraining(
      handle_.get(), CUDNN_BATCHNORM_SPATIAL, one.get(), zero.get(), d.x.get(), x, d.x.get(), y,
      d.channels.get(), scale, offset, 1.0, mean, variance, a.epsilon, saved_mean.get(), inv_std));
  // Unbiased -> biased; one row has variance 0 (cuDNN's unbiased estimate would divide by 0).
  StridedLayout shape;
  shape.rank = 1;
  shape.shape[0] = a.channels;
  shape.strides[0] = 1;
  if (a.rows == 1) {
    launch_fill(a.dtype, variance, a.channels, ScalarValue{}, ctx_);
    return;
  }
  ElementwiseInput unbiased;
  unbiased.data = variance;
  unbiased.layout = shape;
  unbiased.contiguous = true;
  ElementwiseInput factor;
  factor.is_scalar = true;
  factor.scalar.f = static_cast<double>(a.rows - 1) / static_cast<double>(a.rows);
  launch_binary(BinaryOp::multiply, a.dtype, unbiased, factor, variance, shape, ctx_);
}

void CudnnOps::batch_norm_backward(const BatchNormArgs& a, const void* x, const void* dy,
                                   const void* scale, const void* mean, const void* inv_std,
                                   void* dx, void* dscale, void* doffset) {
  // x, dy: (rows, C)  scale, mean, inv_std: (C,)  ->  dx: (rows, C); dscale, doffset: (C,)
  const BatchNormDescriptors d = describe_batch_norm(a);
  const ScalingValue one(a.dtype, 1.0), zero(a.dtype, 0.0);
  EMBER_CUDNN_CHECK(cudnnBatchNormalizationBackward(
      handle_.get(), CUDNN_BATCHNORM_SPATIAL, one.get(), zero.get(), one.get(), zero.get(),
      d.x.get(), x, d.x.get(), dy, d.x.get(), dx, d.channels.get(), scale, dscale, doffset,
      a.epsilon, mean, inv_std));
}

}  // namespace ember::cuda
