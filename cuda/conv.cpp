// Convolutions on the GPU through cuDNN's convolution API with NHWC tensors.
//
// Two layout facts shape this file. cuDNN's NHWC filters are (out, kh, kw, in) ("KRSC"), while
// ember keeps Keras' (kh, kw, in, out), so the filter is transposed into a scratch buffer on the
// way in (and the filter gradient on the way out): a pass over a small tensor. And cuDNN pads
// symmetrically, while TensorFlow's SAME padding puts an odd extra row at the bottom and column
// at the right; such inputs get those zero rows appended explicitly (as TensorFlow does on GPUs),
// the data gradient is computed for the padded input and its top-left part copied out.
// float64 goes through NCHW tensors and KCRS filters instead: cuDNN's NHWC kernels are for the
// float types of tensor cores (PyTorch makes the same choice), so double activations are
// transposed on the way in and out.
#include <cudnn.h>

#include <algorithm>
#include <array>
#include <climits>
#include <memory>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

#include "core/config.h"
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

// (KH, KW, Cg, O) -> (O, Cg, KH, KW): the NCHW filter.
void hwio_to_kcrs(const Conv2DArgs& a, const void* hwio, void* kcrs, const StreamContext& ctx) {
  const std::int64_t kh = a.kernel_height, kw = a.kernel_width, cg = a.in_channels / a.groups,
                     o = a.out_channels;
  launch_strided_copy(element_size(a), hwio, layout4(o, cg, kh, kw, 1, o, kw * cg * o, cg * o),
                      kcrs, layout4(o, cg, kh, kw, cg * kh * kw, kh * kw, kw, 1), ctx);
}

// (O, Cg, KH, KW) -> (KH, KW, Cg, O).
void kcrs_to_hwio(const Conv2DArgs& a, const void* kcrs, void* hwio, const StreamContext& ctx) {
  const std::int64_t kh = a.kernel_height, kw = a.kernel_width, cg = a.in_channels / a.groups,
                     o = a.out_channels;
  launch_strided_copy(element_size(a), kcrs, layout4(kh, kw, cg, o, kw, 1, kh * kw, cg * kh * kw),
                      hwio, layout4(kh, kw, cg, o, kw * cg * o, cg * o, o, 1), ctx);
}

// (N, H, W, C) -> (N, C, H, W), walked in the destination's order.
void nhwc_to_nchw(const Conv2DArgs& a, const void* nhwc, void* nchw, std::int64_t n, std::int64_t h,
                  std::int64_t w, std::int64_t c, const StreamContext& ctx) {
  launch_strided_copy(element_size(a), nhwc, layout4(n, c, h, w, h * w * c, 1, w * c, c), nchw,
                      layout4(n, c, h, w, c * h * w, h * w, w, 1), ctx);
}

// (N, C, H, W) -> (N, H, W, C).
void nchw_to_nhwc(const Conv2DArgs& a, const void* nchw, void* nhwc, std::int64_t n, std::int64_t h,
                  std::int64_t w, std::int64_t c, const StreamContext& ctx) {
  launch_strided_copy(element_size(a), nchw, layout4(n, h, w, c, c * h * w, w, 1, h * w), nhwc,
                      layout4(n, h, w, c, h * w * c, w * c, c, 1), ctx);
}

// A convolution's geometry, without the pointers.
using Geometry = std::array<std::int64_t, 20>;
Geometry geometry_of(const Conv2DArgs& a) {
  return {static_cast<std::int64_t>(a.dtype),
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
          a.groups,
          a.allow_tf32 ? 1 : 0};
}

// float32 convolutions use NHWC, cuDNN's fast layout on tensor cores; float64 ones NCHW, the
// layout its double-precision algorithms support. A float32 geometry for which cuDNN has no NHWC
// algorithm (odd channel counts are the least certain) is remembered here and runs in NCHW, with
// the activations and filters transposed around the call.
std::mutex nchw_mutex;
std::set<Geometry> nchw_geometries;

bool uses_nchw(const Conv2DArgs& a) {
  if (a.dtype == DType::float64) return true;
  const std::lock_guard<std::mutex> lock(nchw_mutex);
  return nchw_geometries.count(geometry_of(a)) > 0;
}

/// "cuDNN found no algorithm": the NHWC attempt that the NCHW layout may rescue.
class NoAlgorithmError : public Error {
 public:
  using Error::Error;
};

/// Runs `pass`; when cuDNN has no NHWC algorithm for the geometry, switches it to NCHW for good
/// and runs it again (what it enqueued before the search wrote scratch buffers only, or the
/// output the second run overwrites).
template <class Pass>
void with_layout_fallback(const Conv2DArgs& a, const Pass& pass) {
  try {
    pass();
  } catch (const NoAlgorithmError&) {
    if (uses_nchw(a)) throw;
    {
      const std::lock_guard<std::mutex> lock(nchw_mutex);
      nchw_geometries.insert(geometry_of(a));
    }
    pass();
  }
}

// The largest power of two (up to 256) that divides the address: cuDNN's kernels have alignment
// needs, and an algorithm timed on aligned buffers may refuse a tensor that is a view at an odd
// offset, so the choice is kept per alignment too.
std::int64_t alignment(const void* p) {
  const auto address = reinterpret_cast<std::uintptr_t>(p);
  std::int64_t a = 1;
  while (a < 256 && address % static_cast<std::uintptr_t>(a * 2) == 0) a *= 2;
  return a;
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
                                       std::size_t workspace, bool deterministic) {
  for (int i = 0; i < count; ++i) {
    const Perf& r = results[i];
    if (r.status != CUDNN_STATUS_SUCCESS || r.memory > workspace) continue;
    if (deterministic && r.determinism != CUDNN_DETERMINISTIC) continue;
    const bool tensor_ops =
        r.mathType == CUDNN_TENSOR_OP_MATH || r.mathType == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
    if (tensor_ops && a.dtype == DType::float32 && !a.allow_tf32) continue;
    return {static_cast<int>(r.algo), r.mathType, r.memory};
  }
  throw NoAlgorithmError(cat("conv2d: cuDNN found no algorithm for input (", a.batch, ", ",
                             a.in_height, ", ", a.in_width, ", ", a.in_channels, "), filter (",
                             a.kernel_height, ", ", a.kernel_width, ", ", a.in_channels / a.groups,
                             ", ", a.out_channels, "), dtype ", dtype_name(a.dtype),
                             deterministic ? " among its deterministic ones" : ""));
}

}  // namespace

struct CudnnOps::ConvDescriptors {
  TensorDescriptor x, y;
  FilterDescriptor w;
  ConvolutionDescriptor conv;
};

CudnnOps::AlgorithmKey CudnnOps::algorithm_key(Pass pass, const Conv2DArgs& a, const void* x,
                                               const void* w, const void* y) {
  AlgorithmKey key{static_cast<std::int64_t>(pass), alignment(x), alignment(w), alignment(y),
                   config::op_determinism_enabled() ? 1 : 0};
  const Geometry g = geometry_of(a);
  std::copy(g.begin(), g.end(), key.begin() + 5);
  return key;
}

CudnnOps::ConvDescriptors CudnnOps::describe(const Conv2DArgs& a, std::int64_t padded_height,
                                             std::int64_t padded_width) const {
  ConvDescriptors d;
  const cudnnDataType_t type = data_type(a.dtype);
  const cudnnTensorFormat_t format = uses_nchw(a) ? CUDNN_TENSOR_NCHW : CUDNN_TENSOR_NHWC;
  EMBER_CUDNN_CHECK(cudnnSetTensor4dDescriptor(
      d.x.get(), format, type, as_int(a.batch, "batch"), as_int(a.in_channels, "channels"),
      as_int(padded_height, "height"), as_int(padded_width, "width")));
  EMBER_CUDNN_CHECK(cudnnSetTensor4dDescriptor(
      d.y.get(), format, type, as_int(a.batch, "batch"), as_int(a.out_channels, "channels"),
      as_int(a.out_height, "height"), as_int(a.out_width, "width")));
  EMBER_CUDNN_CHECK(cudnnSetFilter4dDescriptor(
      d.w.get(), type, format, as_int(a.out_channels, "channels"),
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

const CudnnOps::ConvDescriptors& CudnnOps::descriptors(const Conv2DArgs& a,
                                                       std::int64_t padded_height,
                                                       std::int64_t padded_width) {
  std::array<std::int64_t, 23> key{};
  const Geometry g = geometry_of(a);
  std::copy(g.begin(), g.end(), key.begin());
  key[20] = padded_height;
  key[21] = padded_width;
  key[22] = uses_nchw(a) ? 1 : 0;
  std::shared_ptr<ConvDescriptors> found;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    auto& slot = descriptors_[key];
    if (!slot) slot = std::make_shared<ConvDescriptors>(describe(a, padded_height, padded_width));
    found = slot;
  }
  const bool exact = a.dtype == DType::float32 && !a.allow_tf32;
  EMBER_CUDNN_CHECK(
      cudnnSetConvolutionMathType(found->conv.get(), exact ? CUDNN_FMA_MATH : CUDNN_DEFAULT_MATH));
  return *found;
}

CudnnOps::AlgorithmChoice CudnnOps::heuristic_algorithm(Pass pass, const Conv2DArgs& a,
                                                        const ConvDescriptors& d,
                                                        std::size_t workspace) {
  int count = 0;
  switch (pass) {
    case Pass::forward: {
      std::vector<cudnnConvolutionFwdAlgoPerf_t> results(CUDNN_CONVOLUTION_FWD_ALGO_COUNT);
      EMBER_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(
          handle_.get(), d.x.get(), d.w.get(), d.conv.get(), d.y.get(),
          static_cast<int>(results.size()), &count, results.data()));
      return first_usable(results.data(), count, a, workspace, true);
    }
    case Pass::backward_data: {
      std::vector<cudnnConvolutionBwdDataAlgoPerf_t> results(CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT);
      EMBER_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(
          handle_.get(), d.w.get(), d.y.get(), d.conv.get(), d.x.get(),
          static_cast<int>(results.size()), &count, results.data()));
      return first_usable(results.data(), count, a, workspace, true);
    }
    case Pass::backward_filter:
    default: {
      std::vector<cudnnConvolutionBwdFilterAlgoPerf_t> results(
          CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT);
      EMBER_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(
          handle_.get(), d.x.get(), d.y.get(), d.conv.get(), d.w.get(),
          static_cast<int>(results.size()), &count, results.data()));
      return first_usable(results.data(), count, a, workspace, true);
    }
  }
}

CudnnOps::AlgorithmChoice CudnnOps::find_algorithm(Pass pass, const Conv2DArgs& a,
                                                   const ConvDescriptors& d, const void* x,
                                                   const void* w, void* y) {
  const AlgorithmKey key = algorithm_key(pass, a, x, w, y);
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    const auto it = algorithms_.find(key);
    if (it != algorithms_.end()) return it->second;
  }
  // The search runs every candidate on these very buffers (writing the output, which the
  // caller computes right after anyway) and waits for the timings. Under op determinism the
  // timing (which may rank two algorithms differently from run to run) is replaced by cuDNN's
  // heuristics, a function of the geometry, and only deterministic algorithms qualify.
  auto [workspace, bytes] = largest_scratch(kFindWorkspaceBytes, ctx_);
  const bool deterministic = config::op_determinism_enabled();
  int count = 0;
  AlgorithmChoice choice;
  if (deterministic) {
    choice = heuristic_algorithm(pass, a, d, bytes);
  } else {
    switch (pass) {
      case Pass::forward: {
        std::vector<cudnnConvolutionFwdAlgoPerf_t> results(CUDNN_CONVOLUTION_FWD_ALGO_COUNT);
        EMBER_CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithmEx(
            handle_.get(), d.x.get(), x, d.w.get(), w, d.conv.get(), d.y.get(), y,
            static_cast<int>(results.size()), &count, results.data(), workspace.get(), bytes));
        choice = first_usable(results.data(), count, a, bytes, false);
        break;
      }
      case Pass::backward_data: {
        std::vector<cudnnConvolutionBwdDataAlgoPerf_t> results(
            CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT);
        EMBER_CUDNN_CHECK(cudnnFindConvolutionBackwardDataAlgorithmEx(
            handle_.get(), d.w.get(), w, d.y.get(), y, d.conv.get(), d.x.get(),
            const_cast<void*>(x), static_cast<int>(results.size()), &count, results.data(),
            workspace.get(), bytes));
        choice = first_usable(results.data(), count, a, bytes, false);
        break;
      }
      case Pass::backward_filter: {
        std::vector<cudnnConvolutionBwdFilterAlgoPerf_t> results(
            CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT);
        EMBER_CUDNN_CHECK(cudnnFindConvolutionBackwardFilterAlgorithmEx(
            handle_.get(), d.x.get(), x, d.y.get(), y, d.conv.get(), d.w.get(),
            const_cast<void*>(w), static_cast<int>(results.size()), &count, results.data(),
            workspace.get(), bytes));
        choice = first_usable(results.data(), count, a, bytes, false);
        break;
      }
    }
  }
  // Exact float32 stays exact even if a result reports the default math type.
  if (a.dtype == DType::float32 && !a.allow_tf32) choice.math_type = CUDNN_FMA_MATH;
  const std::lock_guard<std::mutex> lock(mutex_);
  algorithms_.emplace(key, choice);
  return choice;
}

namespace {

std::size_t filter_bytes(const Conv2DArgs& a) {
  return static_cast<std::size_t>(a.kernel_height * a.kernel_width * (a.in_channels / a.groups) *
                                  a.out_channels) *
         element_size(a);
}

// The filter in cuDNN's layout: KRSC for NHWC, KCRS for NCHW.
ScratchBuffer cudnn_filter(const Conv2DArgs& a, const void* hwio, const StreamContext& ctx) {
  ScratchBuffer filter(filter_bytes(a), ctx);
  if (uses_nchw(a))
    hwio_to_kcrs(a, hwio, filter.get(), ctx);
  else
    hwio_to_krsc(a, hwio, filter.get(), ctx);
  return filter;
}

// An (N, H, W, C) activation as cuDNN reads it: itself for NHWC, an NCHW copy otherwise (then
// `copy` owns it).
struct CudnnActivation {
  ScratchBuffer copy;
  const void* data;
};
CudnnActivation cudnn_activation(const Conv2DArgs& a, const void* nhwc, std::int64_t n,
                                 std::int64_t h, std::int64_t w, std::int64_t c,
                                 const StreamContext& ctx) {
  if (!uses_nchw(a)) return {ScratchBuffer(0, ctx), nhwc};
  ScratchBuffer copy(static_cast<std::size_t>(n * h * w * c) * element_size(a), ctx);
  nhwc_to_nchw(a, nhwc, copy.get(), n, h, w, c, ctx);
  const void* data = copy.get();
  return {std::move(copy), data};
}

}  // namespace

void CudnnOps::conv2d_forward_in_layout(const Conv2DArgs& a, const void* x, const void* filter,
                                        void* y) {
  // x: (N, H, W, C)  filter: (KH, KW, C/G, O)  ->  y: (N, OH, OW, O)
  const PaddedInput p = padded_input(a);
  const std::size_t element = element_size(a);
  const ScratchBuffer w = cudnn_filter(a, filter, ctx_);
  ScratchBuffer padded(
      p.needed() ? static_cast<std::size_t>(a.batch * p.height * p.width * a.in_channels) * element
                 : 0,
      ctx_);
  if (p.needed()) pad_into(a, p, x, padded.get(), ctx_);
  const CudnnActivation input = cudnn_activation(a, p.needed() ? padded.get() : x, a.batch,
                                                 p.height, p.width, a.in_channels, ctx_);
  const std::int64_t y_elements = a.batch * a.out_height * a.out_width * a.out_channels;
  ScratchBuffer y_nchw(uses_nchw(a) ? static_cast<std::size_t>(y_elements) * element : 0, ctx_);
  void* output = uses_nchw(a) ? y_nchw.get() : y;
  const ConvDescriptors& d = descriptors(a, p.height, p.width);
  const AlgorithmChoice c = find_algorithm(Pass::forward, a, d, input.data, w.get(), output);
  EMBER_CUDNN_CHECK(cudnnSetConvolutionMathType(d.conv.get(), c.math_type));
  ScratchBuffer workspace(c.workspace_bytes, ctx_);
  const Blend blend(a.dtype);
  EMBER_CUDNN_CHECK(
      cudnnConvolutionForward(handle_.get(), blend.one(), d.x.get(), input.data, d.w.get(), w.get(),
                              d.conv.get(), static_cast<cudnnConvolutionFwdAlgo_t>(c.algorithm),
                              workspace.get(), c.workspace_bytes, blend.zero(), d.y.get(), output));
  if (uses_nchw(a))
    nchw_to_nhwc(a, output, y, a.batch, a.out_height, a.out_width, a.out_channels, ctx_);
}

void CudnnOps::conv2d_backward_data_in_layout(const Conv2DArgs& a, const void* filter,
                                              const void* dy, void* dx) {
  // dy: (N, OH, OW, O)  filter: (KH, KW, C/G, O)  ->  dx: (N, H, W, C)
  const PaddedInput p = padded_input(a);
  const std::size_t element = element_size(a);
  const ScratchBuffer w = cudnn_filter(a, filter, ctx_);
  const CudnnActivation gradient =
      cudnn_activation(a, dy, a.batch, a.out_height, a.out_width, a.out_channels, ctx_);
  const std::size_t padded_bytes =
      static_cast<std::size_t>(a.batch * p.height * p.width * a.in_channels) * element;
  // cuDNN writes the (padded) input gradient in its layout; NHWC and unpadded is dx itself.
  ScratchBuffer padded(p.needed() ? padded_bytes : 0, ctx_);
  ScratchBuffer dx_nchw(uses_nchw(a) ? padded_bytes : 0, ctx_);
  void* padded_nhwc = p.needed() ? padded.get() : dx;
  void* output = uses_nchw(a) ? dx_nchw.get() : padded_nhwc;
  const ConvDescriptors& d = descriptors(a, p.height, p.width);
  const AlgorithmChoice c =
      find_algorithm(Pass::backward_data, a, d, output, w.get(), const_cast<void*>(gradient.data));
  EMBER_CUDNN_CHECK(cudnnSetConvolutionMathType(d.conv.get(), c.math_type));
  ScratchBuffer workspace(c.workspace_bytes, ctx_);
  const Blend blend(a.dtype);
  EMBER_CUDNN_CHECK(cudnnConvolutionBackwardData(
      handle_.get(), blend.one(), d.w.get(), w.get(), d.y.get(), gradient.data, d.conv.get(),
      static_cast<cudnnConvolutionBwdDataAlgo_t>(c.algorithm), workspace.get(), c.workspace_bytes,
      blend.zero(), d.x.get(), output));
  if (uses_nchw(a))
    nchw_to_nhwc(a, output, padded_nhwc, a.batch, p.height, p.width, a.in_channels, ctx_);
  if (p.needed()) crop_from(a, p, padded.get(), dx, ctx_);
}

void CudnnOps::conv2d_backward_filter_in_layout(const Conv2DArgs& a, const void* x, const void* dy,
                                                void* dfilter) {
  // x: (N, H, W, C)  dy: (N, OH, OW, O)  ->  dfilter: (KH, KW, C/G, O)
  const PaddedInput p = padded_input(a);
  const std::size_t element = element_size(a);
  ScratchBuffer w(filter_bytes(a), ctx_);
  ScratchBuffer padded(
      p.needed() ? static_cast<std::size_t>(a.batch * p.height * p.width * a.in_channels) * element
                 : 0,
      ctx_);
  if (p.needed()) pad_into(a, p, x, padded.get(), ctx_);
  const CudnnActivation input = cudnn_activation(a, p.needed() ? padded.get() : x, a.batch,
                                                 p.height, p.width, a.in_channels, ctx_);
  const CudnnActivation gradient =
      cudnn_activation(a, dy, a.batch, a.out_height, a.out_width, a.out_channels, ctx_);
  const ConvDescriptors& d = descriptors(a, p.height, p.width);
  const AlgorithmChoice c = find_algorithm(Pass::backward_filter, a, d, input.data, w.get(),
                                           const_cast<void*>(gradient.data));
  EMBER_CUDNN_CHECK(cudnnSetConvolutionMathType(d.conv.get(), c.math_type));
  ScratchBuffer workspace(c.workspace_bytes, ctx_);
  const Blend blend(a.dtype);
  EMBER_CUDNN_CHECK(cudnnConvolutionBackwardFilter(
      handle_.get(), blend.one(), d.x.get(), input.data, d.y.get(), gradient.data, d.conv.get(),
      static_cast<cudnnConvolutionBwdFilterAlgo_t>(c.algorithm), workspace.get(), c.workspace_bytes,
      blend.zero(), d.w.get(), w.get()));
  if (uses_nchw(a))
    kcrs_to_hwio(a, w.get(), dfilter, ctx_);
  else
    krsc_to_hwio(a, w.get(), dfilter, ctx_);
}

void CudnnOps::conv2d_forward(const Conv2DArgs& a, const void* x, const void* filter, void* y) {
  with_layout_fallback(a, [&] { conv2d_forward_in_layout(a, x, filter, y); });
}

void CudnnOps::conv2d_backward_data(const Conv2DArgs& a, const void* filter, const void* dy,
                                    void* dx) {
  with_layout_fallback(a, [&] { conv2d_backward_data_in_layout(a, filter, dy, dx); });
}

void CudnnOps::conv2d_backward_filter(const Conv2DArgs& a, const void* x, const void* dy,
                                      void* dfilter) {
  with_layout_fallback(a, [&] { conv2d_backward_filter_in_layout(a, x, dy, dfilter); });
}

}  // namespace ember::cuda
