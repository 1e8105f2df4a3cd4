// Convolutions on the GPU through cuDNN's convolution API with NHWC tensors.
//
// Two layout facts shape this file. cuDNN's NHWC filters are (out, kh, kw, in) ("KRSC"), while
// ember keeps Keras' (kh, kw, in, out), so the filter is transposed into a scratch buffer on the
// way in (and the filter gradient on the way out): a pass over a small tensor. And cuDNN pads
// symmetrically, while TensorFlow's SAME padding puts an odd extra row at the bottom and column
// at the right; such inputs get those zero rows appended explicitly (as TensorFlow does on GPUs),
// the data gradient is computed for the padded input and its top-left part copied out.
#include <cudnn.h>

#include <climits>
#include <utility>
#include <vector>

#include "core/error.h"
#include "cuda/cudnn_ops.h"

namespace ember::cuda {
namespace {

// The most workspace a cudnnFind* call may give the algorithms it times; if the pool cannot
// provide it, smaller amounts are tried.
constexpr std::size_t kFindWorkspaceBytes = std::size_t{512} << 20;

int as_int(std::int64_t value, const char* what) {
  if (value > INT_MAX)
    throw Error(cat("conv2d: ", what, " ", value, " exceeds cuDNN's 32-bit sizes"));
  return static_cast<int>(value);
}

cudnnDataType_t data_type(DType dtype) {
  if (dtype == DType::float64) return CUDNN_DATA_DOUBLE;
  EMBER_ASSERT(dtype == DType::float32);
  return CUDNN_DATA_FLOAT;
}

// The 1 and 0 that cuDNN blends with (alpha·result + beta·destination), in the compute type.
class Blend {
 public:
  explicit Blend(DType dtype) : double_(dtype == DType::float64) {}
  const void* one() const { return double_ ? static_cast<const void*>(&one_d_) : &one_f_; }
  const void* zero() const { return double_ ? static_cast<const void*>(&zero_d_) : &zero_f_; }

 private:
  bool double_;
  float one_f_ = 1.0f, zero_f_ = 0.0f;
  double one_d_ = 1.0, zero_d_ = 0.0;
};

// The input size cuDNN sees: TensorFlow's extra bottom/right padding made explicit.
struct PaddedInput {
  std::int64_t height, width;
  bool needed() const { return extra_rows > 0 || extra_columns > 0; }
  std::int64_t extra_rows, extra_columns;
};

PaddedInput padded_input(const Conv2DArgs& a) {
  EMBER_ASSERT(a.pad_bottom >= a.pad_top && a.pad_right >= a.pad_left);
  const std::int64_t rows = a.pad_bottom - a.pad_top, columns = a.pad_right - a.pad_left;
  return {a.in_height + rows, a.in_width + columns, rows, columns};
}

std::size_t element_size(const Conv2DArgs& a) { return dtype_size(a.dtype); }

StridedLayout layout4(std::int64_t d0, std::int64_t d1, std::int64_t d2, std::int64_t d3,
                      std::int64_t s0, std::int64_t s1, std::int64_t s2, std::int64_t s3) {
  StridedLayout l;
  l.rank = 4;
  const std::int64_t shape[4] = {d0, d1, d2, d3}, strides[4] = {s0, s1, s2, s3};
  for (int i = 0; i < 4; ++i) {
    l.shape[i] = shape[i];
    l.strides[i] = strides[i];
  }
  return l;
}

// (KH, KW, Cg, O) -> (O, KH, KW, Cg), walked in the destination's order.
void hwio_to_krsc(const Conv2DArgs& a, const void* hwio, void* krsc, const StreamContext& ctx) {
  const std::int64_t kh = a.kernel_height, kw = a.kernel_width, cg = a.in_channels / a.groups,
                     o = a.out_channels;
  launch_strided_copy(element_size(a), hwio, layout4(o, kh, kw, cg, 1, kw * cg * o, cg * o, o),
                      krsc, layout4(o, kh, kw, cg, kh * kw * cg, kw * cg, cg, 1), ctx);
}

// (O, KH, KW, Cg) -> (KH, KW, Cg, O).
void krsc_to_hwio(const Conv2DArgs& a, const void* krsc, void* hwio, const StreamContext& ctx) {
  const std::int64_t kh = a.kernel_height, kw = a.kernel_width, cg = a.in_channels / a.groups,
                     o = a.out_channels;
  launch_strided_copy(element_size(a), krsc, layout4(kh, kw, cg, o, kw * cg, cg, 1, kh * kw * cg),
                      hwio, layout4(kh, kw, cg, o, kw * cg * o, cg * o, o, 1), ctx);
}

// x (N, H, W, C) into the top-left of zeros (N, Hp, Wp, C).
void pad_into(const Conv2DArgs& a, const PaddedInput& p, const void* x, void* padded,
              const StreamContext& ctx) {
  const std::int64_t n = a.batch, h = a.in_height, w = a.in_width, c = a.in_channels;
  launch_fill(a.dtype, padded, n * p.height * p.width * c, ScalarValue{}, ctx);
  launch_strided_copy(element_size(a), x, layout4(n, h, w, c, h * w * c, w * c, c, 1), padded,
                      layout4(n, h, w, c, p.height * p.width * c, p.width * c, c, 1), ctx);
}

// The top-left (N, H, W, C) of padded (N, Hp, Wp, C) into x.
void crop_from(const Conv2DArgs& a, const PaddedInput& p, const void* padded, void* x,
               const StreamContext& ctx) {
  const std::int64_t n = a.batch, h = a.in_height, w = a.in_width, c = a.in_channels;
  launch_strided_copy(element_size(a), padded,
                      layout4(n, h, w, c, p.height * p.width * c, p.width * c, c, 1), x,
                      layout4(n, h, w, c, h * w * c, w * c, c, 1), ctx);
}

// A pool buffer of up to `wanted` bytes: less when the pool cannot provide that much (an
// algorithm search with less workspace only skips the hungriest algorithms).
std::pair<ScratchBuffer, std::size_t> largest_scratch(std::size_t wanted,
                                                      const StreamContext& ctx) {
  for (std::size_t bytes = wanted; bytes >= (std::size_t{1} << 20); bytes /= 4) {
    if (auto buffer = ScratchBuffer::try_allocate(bytes, ctx)) return {std::move(*buffer), bytes};
  }
  return {ScratchBuffer(0, ctx), 0};
}

template <class Perf>
CudnnOps::AlgorithmChoice first_usable(const Perf* results, int count, const Conv2DArgs& a,
                                       std::size_t workspace) {
  for (int i = 0; i < count; ++i) {
    const Perf& r = results[i];
    if (r.status != CUDNN_STATUS_SUCCESS || r.memory > workspace) continue;
    const bool tensor_ops =
        r.mathType == CUDNN_TENSOR_OP_MATH || r.mathType == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
    if (tensor_ops && a.dtype == DType::float32 && !a.allow_tf32) continue;
    return {static_cast<int>(r.algo), r.mathType, r.memory};
  }
  throw Error(cat("conv2d: cuDNN found no algorithm for input (", a.batch, ", ", a.in_height, ", ",
                  a.in_width, ", ", a.in_channels, "), filter (", a.kernel_height, ", ",
                  a.kernel_width, ", ", a.in_channels / a.groups, ", ", a.out_channels, "), dtype ",
                  dtype_name(a.dtype)));
}

}  // namespace

struct CudnnOps::ConvDescriptors {
  TensorDescriptor x, y;
  FilterDescriptor w;
  ConvolutionDescriptor conv;
};

CudnnOps::AlgorithmKey CudnnOps::algorithm_key(Pass pass, const Conv2DArgs& a) {
  return {static_cast<std::int64_t>(pass),
          static_cast<std::int64_t>(a.dtype),
          a.allow_tf32 ? 1 : 0,
          a.batch,
          a.in_height,
          a.in_width,
          a.in_channels,
          a.out_height,
          a.out_width,
          a.out_channels,
          a.kernel_height,
          a.kernel_width,
          a.stride_height,
          a.stride_width,
          a.dilation_height,
          a.dilation_width,
          a.pad_top,
          a.pad_left,
          a.pad_bottom,
          a.pad_right,
          a.groups};
}

CudnnOps::ConvDescriptors CudnnOps::describe(const Conv2DArgs& a, std::int64_t padded_height,
                                             std::int64_t padded_width) const {
  ConvDescriptors d;
  const cudnnDataType_t type = data_type(a.dtype);
  EMBER_CUDNN_CHECK(
      cudnnSetTensor4dDescriptor(d.x.get(), CUDNN_TENSOR_NHWC, type, as_int(a.batch, "batch"),
                                 as_int(a.in_channels, "channels"), as_int(padded_height, "height"),
                                 as_int(padded_width, "width")));
  EMBER_CUDNN_CHECK(
      cudnnSetTensor4dDescriptor(d.y.get(), CUDNN_TENSOR_NHWC, type, as_int(a.batch, "batch"),
                                 as_int(a.out_channels, "channels"), as_int(a.out_height, "height"),
                                 as_int(a.out_width, "width")));
  EMBER_CUDNN_CHECK(cudnnSetFilter4dDescriptor(
      d.w.get(), type, CUDNN_TENSOR_NHWC, as_int(a.out_channels, "channels"),
      as_int(a.in_channels / a.groups, "channels"), as_int(a.kernel_height, "kernel"),
      as_int(a.kernel_width, "kernel")));
  EMBER_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(
      d.conv.get(), as_int(a.pad_top, "padding"), as_int(a.pad_left, "padding"),
      as_int(a.stride_height, "stride"), as_int(a.stride_width, "stride"),
      as_int(a.dilation_height, "dilation"), as_int(a.dilation_width, "dilation"),
      CUDNN_CROSS_CORRELATION, type));
  EMBER_CUDNN_CHECK(cudnnSetConvolutionGroupCount(d.conv.get(), as_int(a.groups, "groups")));
  // FMA math keeps float32 exact; the default lets cuDNN use TF32 tensor cores
  // (config::tf32_enabled).
  const bool exact = a.dtype == DType::float32 && !a.allow_tf32;
  EMBER_CUDNN_CHECK(
      cudnnSetConvolutionMathType(d.conv.get(), exact ? CUDNN_FMA_MATH : CUDNN_DEFAULT_MATH));
  return d;
}

CudnnOps::AlgorithmChoice CudnnOps::find_algorithm(Pass pass, const Conv2DArgs& a,
                                                   const ConvDescriptors& d, const void* x,
                                                   const void* w, void* y) {
  const AlgorithmKey key = algorithm_key(pass, a);
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    const auto it = algorithms_.find(key);
    if (it != algorithms_.end()) return it->second;
  }
  // The search runs every candidate on these very buffers (writing the output, which the
  // caller computes right after anyway) and waits for the timings.
  auto [workspace, bytes] = largest_scratch(kFindWorkspaceBytes, ctx_);
  int count = 0;
  AlgorithmChoice choice;
  switch (pass) {
    case Pass::forward: {
      std::vector<cudnnConvolutionFwdAlgoPerf_t> results(CUDNN_CONVOLUTION_FWD_ALGO_COUNT);
      EMBER_CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithmEx(
          handle_.get(), d.x.get(), x, d.w.get(), w, d.conv.get(), d.y.get(), y,
          static_cast<int>(results.size()), &count, results.data(), workspace.get(), bytes));
      choice = first_usable(results.data(), count, a, bytes);
      break;
    }
    case Pass::backward_data: {
      std::vector<cudnnConvolutionBwdDataAlgoPerf_t> results(CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT);
      EMBER_CUDNN_CHECK(cudnnFindConvolutionBackwardDataAlgorithmEx(
          handle_.get(), d.w.get(), w, d.y.get(), y, d.conv.get(), d.x.get(), const_cast<void*>(x),
          static_cast<int>(results.size()), &count, results.data(), workspace.get(), bytes));
      choice = first_usable(results.data(), count, a, bytes);
      break;
    }
    case Pass::backward_filter: {
      std::vector<cudnnConvolutionBwdFilterAlgoPerf_t> results(
          CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT);
      EMBER_CUDNN_CHECK(cudnnFindConvolutionBackwardFilterAlgorithmEx(
          handle_.get(), d.x.get(), x, d.y.get(), y, d.conv.get(), d.w.get(), const_cast<void*>(w),
          static_cast<int>(results.size()), &count, results.data(), workspace.get(), bytes));
      choice = first_usable(results.data(), count, a, bytes);
      break;
    }
  }
  const std::lock_guard<std::mutex> lock(mutex_);
  algorithms_.emplace(key, choice);
  return choice;
}

void CudnnOps::conv2d_forward(const Conv2DArgs& a, const void* x, const void* filter, void* y) {
  // x: (N, H, W, C)  filter: (KH, KW, C/G, O)  ->  y: (N, OH, OW, O)
  const PaddedInput p = padded_input(a);
  const std::size_t element = element_size(a);
  ScratchBuffer krsc(static_cast<std::size_t>(a.kernel_height * a.kernel_width *
                                              (a.in_channels / a.groups) * a.out_channels) *
                         element,
                     ctx_);
  hwio_to_krsc(a, filter, krsc.get(), ctx_);
  ScratchBuffer padded(
      p.needed() ? static_cast<std::size_t>(a.batch * p.height * p.width * a.in_channels) * element
                 : 0,
      ctx_);
  if (p.needed()) pad_into(a, p, x, padded.get(), ctx_);
  const void* input = p.needed() ? padded.get() : x;
  const ConvDescriptors d = describe(a, p.height, p.width);
  const AlgorithmChoice c = find_algorithm(Pass::forward, a, d, input, krsc.get(), y);
  EMBER_CUDNN_CHECK(cudnnSetConvolutionMathType(d.conv.get(), c.math_type));
  ScratchBuffer workspace(c.workspace_bytes, ctx_);
  const Blend blend(a.dtype);
  EMBER_CUDNN_CHECK(
      cudnnConvolutionForward(handle_.get(), blend.one(), d.x.get(), input, d.w.get(), krsc.get(),
                              d.conv.get(), static_cast<cudnnConvolutionFwdAlgo_t>(c.algorithm),
                              workspace.get(), c.workspace_bytes, blend.zero(), d.y.get(), y));
}

void CudnnOps::conv2d_backward_data(const Conv2DArgs& a, const void* filter, const void* dy,
                                    void* dx) {
  // dy: (N, OH, OW, O)  filter: (KH, KW, C/G, O)  ->  dx: (N, H, W, C)
  const PaddedInput p = padded_input(a);
  const std::size_t element = element_size(a);
  ScratchBuffer krsc(static_cast<std::size_t>(a.kernel_height * a.kernel_width *
                                              (a.in_channels / a.groups) * a.out_channels) *
                         element,
                     ctx_);
  hwio_to_krsc(a, filter, krsc.get(), ctx_);
  ScratchBuffer padded(
      p.needed() ? static_cast<std::size_t>(a.batch * p.height * p.width * a.in_channels) * element
                 : 0,
      ctx_);
  void* output = p.needed() ? padded.get() : dx;
  const ConvDescriptors d = describe(a, p.height, p.width);
  const AlgorithmChoice c =
      find_algorithm(Pass::backward_data, a, d, output, krsc.get(), const_cast<void*>(dy));
  EMBER_CUDNN_CHECK(cudnnSetConvolutionMathType(d.conv.get(), c.math_type));
  ScratchBuffer workspace(c.workspace_bytes, ctx_);
  const Blend blend(a.dtype);
  EMBER_CUDNN_CHECK(cudnnConvolutionBackwardData(
      handle_.get(), blend.one(), d.w.get(), krsc.get(), d.y.get(), dy, d.conv.get(),
      static_cast<cudnnConvolutionBwdDataAlgo_t>(c.algorithm), workspace.get(), c.workspace_bytes,
      blend.zero(), d.x.get(), output));
  if (p.needed()) crop_from(a, p, padded.get(), dx, ctx_);
}

void CudnnOps::conv2d_backward_filter(const Conv2DArgs& a, const void* x, const void* dy,
                                      void* dfilter) {
  // x: (N, H, W, C)  dy: (N, OH, OW, O)  ->  dfilter: (KH, KW, C/G, O)
  const PaddedInput p = padded_input(a);
  const std::size_t element = element_size(a);
  ScratchBuffer krsc(static_cast<std::size_t>(a.kernel_height * a.kernel_width *
                                              (a.in_channels / a.groups) * a.out_channels) *
                         element,
                     ctx_);
  ScratchBuffer padded(
      p.needed() ? static_cast<std::size_t>(a.batch * p.height * p.width * a.in_channels) * element
                 : 0,
      ctx_);
  if (p.needed()) pad_into(a, p, x, padded.get(), ctx_);
  const void* input = p.needed() ? padded.get() : x;
  const ConvDescriptors d = describe(a, p.height, p.width);
  const AlgorithmChoice c =
      find_algorithm(Pass::backward_filter, a, d, input, krsc.get(), const_cast<void*>(dy));
  EMBER_CUDNN_CHECK(cudnnSetConvolutionMathType(d.conv.get(), c.math_type));
  ScratchBuffer workspace(c.workspace_bytes, ctx_);
  const Blend blend(a.dtype);
  EMBER_CUDNN_CHECK(cudnnConvolutionBackwardFilter(
      handle_.get(), blend.one(), d.x.get(), input, d.y.get(), dy, d.conv.get(),
      static_cast<cudnnConvolutionBwdFilterAlgo_t>(c.algorithm), workspace.get(), c.workspace_bytes,
      blend.zero(), d.w.get(), krsc.get()));
  krsc_to_hwio(a, krsc.get(), dfilter, ctx_);
}

}  // namespace ember::cuda
