// The cuDNN half of the CUDA backend: convolutions (conv.cpp) and batch normalization
// (norm.cpp), one CudnnOps per device (internal, host C++20).
//
// Convolutions pick their algorithm with cudnnFind*AlgorithmEx the first time a shape is seen
// (which times the candidates, so that one call waits for the GPU) and keep the choice per
// (pass, shape, dtype, TF32 switch, alignment of the buffers); later calls queue their work
// without waiting.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

#include "core/backend/kernel_types.h"
#include "cuda/cudnn_handles.h"
#include "cuda/launch.h"

namespace ember::cuda {

class CudnnOps {
 public:
  /// A cuDNN handle bound to ctx.stream; scratch memory comes from ctx.allocator.
  explicit CudnnOps(const StreamContext& ctx);

  void conv2d_forward(const Conv2DArgs& args, const void* x, const void* filter, void* y);
  void conv2d_backward_data(const Conv2DArgs& args, const void* filter, const void* dy, void* dx);
  void conv2d_backward_filter(const Conv2DArgs& args, const void* x, const void* dy, void* dfilter);
  void batch_norm_forward_training(const BatchNormArgs& args, const void* x, const void* scale,
                                   const void* offset, void* y, void* mean, void* variance,
                                   void* inv_std);
  void batch_norm_backward(const BatchNormArgs& args, const void* x, const void* dy,
                           const void* scale, const void* mean, const void* inv_std, void* dx,
                           void* dscale, void* doffset);

  /// What cudnnFind* chose for one pass and shape: the algorithm (a cudnnConvolution*Algo_t),
  /// the math type it was timed with, and its workspace.
  struct AlgorithmChoice {
    int algorithm = 0;
    cudnnMathType_t math_type = CUDNN_DEFAULT_MATH;
    std::size_t workspace_bytes = 0;
  };

 private:
  // The passes in the layout uses_nchw (cuda/conv.cpp) picks; the public ones above retry in NCHW
  // when cuDNN has no NHWC algorithm for a float32 geometry.
  void conv2d_forward_in_layout(const Conv2DArgs& args, const void* x, const void* filter, void* y);
  void conv2d_backward_data_in_layout(const Conv2DArgs& args, const void* filter, const void* dy,
                                      void* dx);
  void conv2d_backward_filter_in_layout(const Conv2DArgs& args, const void* x, const void* dy,
                                        void* dfilter);
  enum class Pass : std::uint8_t { forward, backward_data, backward_filter };
  // pass, the three buffers' alignments, op determinism, then the geometry (cuda/conv.cpp)
  using AlgorithmKey = std::array<std::int64_t, 25>;
  static AlgorithmKey algorithm_key(Pass pass, const Conv2DArgs& args, const void* x, const void* w,
                                    const void* y);
  struct ConvDescriptors;
  ConvDescriptors describe(const Conv2DArgs& args, std::int64_t padded_height,
                           std::int64_t padded_width) const;
  /// describe()'s result for a geometry, made once and kept (no descriptor is created or
  /// destroyed per call). The convolution descriptor's math type is reset to describe()'s on
  /// every lookup, since passes set their algorithm's; callers hold the backend's library mutex.
  const ConvDescriptors& descriptors(const Conv2DArgs& args, std::int64_t padded_height,
                                     std::int64_t padded_width);
  AlgorithmChoice find_algorithm(Pass pass, const Conv2DArgs& args, const ConvDescriptors& d,
                                 const void* x, const void* w, void* y);
  /// cuDNN's heuristic ranking (no timing), first deterministic algorithm that fits `workspace`.
  AlgorithmChoice heuristic_algorithm(Pass pass, const Conv2DArgs& args, const ConvDescriptors& d,
                                      std::size_t workspace);

  StreamContext ctx_;
  CudnnHandle handle_;
  std::mutex mutex_;
  std::map<AlgorithmKey, AlgorithmChoice> algorithms_;
  std::map<std::array<std::int64_t, 23>, std::shared_ptr<ConvDescriptors>> descriptors_;
};

}  // namespace ember::cuda
