// Widens float16 and bfloat16 operands to float32 for the primitives a backend does not run on
// them natively, and rounds the results back (core/backend/half_precision_backend.h).
#include "core/backend/half_precision_backend.h"

#include <algorithm>
#include <vector>

namespace ember::detail {
namespace {

/// A float32 buffer on the device, freed when it goes out of scope.
class Float32Buffer {
 public:
  Float32Buffer(Backend& backend, std::int64_t n)
      : backend_(&backend),
        bytes_(static_cast<std::size_t>(std::max<std::int64_t>(n, 1)) * sizeof(float)),
        data_(static_cast<float*>(backend.allocate(bytes_))) {}
  Float32Buffer(Float32Buffer&& other) noexcept
      : backend_(other.backend_), bytes_(other.bytes_), data_(other.data_) {
    other.data_ = nullptr;
  }
  Float32Buffer(const Float32Buffer&) = delete;
  Float32Buffer& operator=(const Float32Buffer&) = delete;
  Float32Buffer& operator=(Float32Buffer&&) = delete;
  ~Float32Buffer() {
    if (data_ != nullptr) backend_->deallocate(data_, bytes_);
  }
  float* data() const { return data_; }

 private:
  Backend* backend_;
  std::size_t bytes_;
  float* data_;
};

/// The elements a strided layout reaches: the lowest offset (negative strides reach below the
/// data pointer) and how many elements from there on.
struct Span {
  std::int64_t lowest = 0, count = 0;
};

Span span_of(const StridedLayout& layout) {
  Span span{0, 1};
  std::int64_t highest = 0;
  for (int d = 0; d < layout.rank; ++d) {
    if (layout.shape[d] == 0) return {0, 0};
    const std::int64_t reach = (layout.shape[d] - 1) * layout.strides[d];
    (reach < 0 ? span.lowest : highest) += reach;
  }
  span.count = highest - span.lowest + 1;
  return span;
}

std::int64_t element_count(const StridedLayout& shape) {
  std::int64_t n = 1;
  for (int d = 0; d < shape.rank; ++d) n *= shape.shape[d];
  return n;
}

/// The rows x cols matrices of a gemm operand, `batch` of them `stride` apart, `ld` between rows.
std::int64_t matrix_span(std::int64_t batch, std::int64_t stride, std::int64_t rows,
                         std::int64_t cols, std::int64_t ld) {
  if (batch == 0 || rows == 0 || cols == 0) return 0;
  return (batch - 1) * stride + (rows - 1) * ld + cols;
}

/// A host value combined with a 16-bit tensor is first rounded to its type, as TensorFlow
/// converts a Python number to the tensor's dtype before the op.
double rounded_to(DType dtype, double v) {
  const float f = static_cast<float>(v);
  return dtype == DType::float16 ? static_cast<float>(Float16(f)) : static_cast<float>(BFloat16(f));
}

class HalfPrecisionBackend final : public Backend {
 public:
  explicit HalfPrecisionBackend(Backend& inner) : inner_(inner) {}

  Device device() const override { return inner_.device(); }
  bool runs_natively(HalfPrimitive primitive, DType dtype) const override {
    return inner_.runs_natively(primitive, dtype);
  }

  // --- passed through: memory, copies and the primitives that only move bits ----------------
  void* allocate(std::size_t bytes) override { return inner_.allocate(bytes); }
  void deallocate(void* ptr, std::size_t bytes) override { inner_.deallocate(ptr, bytes); }
  std::int64_t allocated_bytes() const override { return inner_.allocated_bytes(); }
  void copy_from_host(void* dst, const void* host_src, std::size_t bytes) override {
    inner_.copy_from_host(dst, host_src, bytes);
  }
  void copy_to_host(void* host_dst, const void* src, std::size_t bytes) override {
    inner_.copy_to_host(host_dst, src, bytes);
  }
  void copy(void* dst, const void* src, std::size_t bytes) override {
    inner_.copy(dst, src, bytes);
  }
  void synchronize() override { inner_.synchronize(); }
  void* native_stream() override { return inner_.native_stream(); }
  void fill(DType dtype, void* out, std::int64_t n, ScalarValue value) override {
    if (is_half(dtype)) value.f = rounded_to(dtype, value.f);
    inner_.fill(dtype, out, n, value);
  }
  void cast(DType from, const void* x, DType to, void* y, std::int64_t n) override {
    inner_.cast(from, x, to, y, n);
  }
  void where(DType dtype, const ElementwiseInput& cond, const ElementwiseInput& x,
             const ElementwiseInput& y, void* out, const StridedLayout& shape) override {
    if (!is_half(dtype)) return inner_.where(dtype, cond, x, y, out, shape);
    ElementwiseInput xr = x, yr = y;
    if (xr.is_scalar) xr.scalar.f = rounded_to(dtype, xr.scalar.f);
    if (yr.is_scalar) yr.scalar.f = rounded_to(dtype, yr.scalar.f);
    inner_.where(dtype, cond, xr, yr, out, shape);
  }
  void strided_copy(std::size_t element_size, const void* src, const StridedLayout& src_layout,
                    void* dst, const StridedLayout& dst_layout) override {
    inner_.strided_copy(element_size, src, src_layout, dst, dst_layout);
  }
  void gather(std::size_t element_size, const void* x, std::int64_t outer, std::int64_t axis_size,
              std::int64_t inner, DType index_dtype, const void* indices, std::int64_t count,
              void* out) override {
    inner_.gather(element_size, x, outer, axis_size, inner, index_dtype, indices, count, out);
  }

  // --- widened unless the backend runs them natively ------------------------------------------
  void unary(UnaryOp op, DType dtype, const void* x, void* y, std::int64_t n,
             double param) override {
    if (!is_half(dtype) || inner_.runs_natively(HalfPrimitive::elementwise, dtype)) {
      return inner_.unary(op, dtype, x, y, n, param);
    }
    Float32Buffer wide = widen(dtype, x, n);
    inner_.unary(op, DType::float32, wide.data(), wide.data(), n, param);
    narrow(wide, dtype, y, n);
  }

  void binary(BinaryOp op, DType dtype, const ElementwiseInput& a, const ElementwiseInput& b,
              void* out, const StridedLayout& shape) override {
    if (!is_half(dtype)) return inner_.binary(op, dtype, a, b, out, shape);
    if (inner_.runs_natively(HalfPrimitive::elementwise, dtype)) {
      ElementwiseInput ra = a, rb = b;  // host scalars rounded to the type, as when widened
      if (ra.is_scalar) ra.scalar.f = rounded_to(dtype, ra.scalar.f);
      if (rb.is_scalar) rb.scalar.f = rounded_to(dtype, rb.scalar.f);
      return inner_.binary(op, dtype, ra, rb, out, shape);
    }
    std::vector<Float32Buffer> held;
    const ElementwiseInput wa = widen_input(dtype, a, held);
    const ElementwiseInput wb = widen_input(dtype, b, held);
    if (is_comparison(op)) return inner_.binary(op, DType::float32, wa, wb, out, shape);
    const std::int64_t n = element_count(shape);
    Float32Buffer result(inner_, n);
    inner_.binary(op, DType::float32, wa, wb, result.data(), shape);
    narrow(result, dtype, out, n);
  }

  void reduce(ReduceOp op, DType dtype, const void* x, void* y, std::int64_t outer, std::int64_t r,
              std::int64_t inner, std::int64_t mean_divisor) override {
    if (!is_half(dtype)) return inner_.reduce(op, dtype, x, y, outer, r, inner, mean_divisor);
    Float32Buffer wide = widen(dtype, x, outer * r * inner);
    Float32Buffer result(inner_, outer * inner);
    inner_.reduce(op, DType::float32, wide.data(), result.data(), outer, r, inner, mean_divisor);
    narrow(result, dtype, y, outer * inner);
  }
  void arg_reduce(ArgReduceOp op, DType dtype, const void* x, std::int64_t* y, std::int64_t outer,
                  std::int64_t r, std::int64_t inner) override {
    if (!is_half(dtype)) return inner_.arg_reduce(op, dtype, x, y, outer, r, inner);
    Float32Buffer wide = widen(dtype, x, outer * r * inner);
    inner_.arg_reduce(op, DType::float32, wide.data(), y, outer, r, inner);
  }
  void softmax(bool log, DType dtype, const void* x, void* y, std::int64_t outer, std::int64_t n,
               std::int64_t inner) override {
    if (!is_half(dtype)) return inner_.softmax(log, dtype, x, y, outer, n, inner);
    const std::int64_t total = outer * n * inner;
    Float32Buffer wide = widen(dtype, x, total);
    Float32Buffer result(inner_, total);
    inner_.softmax(log, DType::float32, wide.data(), result.data(), outer, n, inner);
    narrow(result, dtype, y, total);
  }

  void gemm(const GemmArgs& args) override {
    if (!is_half(args.dtype) || inner_.runs_natively(HalfPrimitive::gemm, args.dtype)) {
      return inner_.gemm(args);
    }
    const std::int64_t a_rows = args.transpose_a ? args.k : args.m;
    const std::int64_t a_cols = args.transpose_a ? args.m : args.k;
    const std::int64_t b_rows = args.transpose_b ? args.n : args.k;
    const std::int64_t b_cols = args.transpose_b ? args.k : args.n;
    const std::int64_t a_span = matrix_span(args.batch, args.stride_a, a_rows, a_cols, args.lda);
    const std::int64_t b_span = matrix_span(args.batch, args.stride_b, b_rows, b_cols, args.ldb);
    const std::int64_t c_span = matrix_span(args.batch, args.stride_c, args.m, args.n, args.ldc);
    Float32Buffer a = widen(args.dtype, args.a, a_span);
    Float32Buffer b = widen(args.dtype, args.b, b_span);
    // C is widened too when its rows have gaps, so that narrowing it back leaves them unchanged.
    const bool c_dense =
        args.ldc == args.n && (args.batch == 1 || args.stride_c == args.m * args.n);
    Float32Buffer c = c_dense ? Float32Buffer(inner_, c_span) : widen(args.dtype, args.c, c_span);
    GemmArgs wide = args;
    wide.dtype = DType::float32;
    wide.a = a.data();
    wide.b = b.data();
    wide.c = c.data();
    inner_.gemm(wide);
    narrow(c, args.dtype, args.c, c_span);
  }

  void scatter_add(DType dtype, const void* updates, std::int64_t outer, std::int64_t axis_size,
                   std::int64_t inner, DType index_dtype, const void* indices, std::int64_t count,
                   void* out) override {
    if (!is_half(dtype)) {
      return inner_.scatter_add(dtype, updates, outer, axis_size, inner, index_dtype, indices,
                                count, out);
    }
    Float32Buffer wide_updates = widen(dtype, updates, outer * count * inner);
    Float32Buffer wide_out = widen(dtype, out, outer * axis_size * inner);
    inner_.scatter_add(DType::float32, wide_updates.data(), outer, axis_size, inner, index_dtype,
                       indices, count, wide_out.data());
    narrow(wide_out, dtype, out, outer * axis_size * inner);
  }

  void conv2d_forward(const Conv2DArgs& args, const void* x, const void* filter, void* y) override {
    if (native_conv(args.dtype)) return inner_.conv2d_forward(args, x, filter, y);
    Float32Buffer wx = widen(args.dtype, x, input_size(args));
    Float32Buffer wf = widen(args.dtype, filter, filter_size(args));
    Float32Buffer wy(inner_, output_size(args));
    inner_.conv2d_forward(as_float32(args), wx.data(), wf.data(), wy.data());
    narrow(wy, args.dtype, y, output_size(args));
  }
  void conv2d_backward_data(const Conv2DArgs& args, const void* filter, const void* dy,
                            void* dx) override {
    if (native_conv(args.dtype)) return inner_.conv2d_backward_data(args, filter, dy, dx);
    Float32Buffer wf = widen(args.dtype, filter, filter_size(args));
    Float32Buffer wdy = widen(args.dtype, dy, output_size(args));
    Float32Buffer wdx(inner_, input_size(args));
    inner_.conv2d_backward_data(as_float32(args), wf.data(), wdy.data(), wdx.data());
    narrow(wdx, args.dtype, dx, input_size(args));
  }
  void conv2d_backward_filter(const Conv2DArgs& args, const void* x, const void* dy,
                              void* dfilter) override {
    if (native_conv(args.dtype)) return inner_.conv2d_backward_filter(args, x, dy, dfilter);
    Float32Buffer wx = widen(args.dtype, x, input_size(args));
    Float32Buffer wdy = widen(args.dtype, dy, output_size(args));
    Float32Buffer wdf(inner_, filter_size(args));
    inner_.conv2d_backward_filter(as_float32(args), wx.data(), wdy.data(), wdf.data());
    narrow(wdf, args.dtype, dfilter, filter_size(args));
  }

  void pool2d_forward(const Pool2DArgs& args, const void* x, void* y) override {
    if (!is_half(args.dtype) || inner_.runs_natively(HalfPrimitive::pooling, args.dtype)) {
      return inner_.pool2d_forward(args, x, y);
    }
    const std::int64_t in = args.batch * args.in_height * args.in_width * args.channels;
    const std::int64_t out = args.batch * args.out_height * args.out_width * args.channels;
    Float32Buffer wx = widen(args.dtype, x, in);
    Float32Buffer wy(inner_, out);
    Pool2DArgs wide = args;
    wide.dtype = DType::float32;
    inner_.pool2d_forward(wide, wx.data(), wy.data());
    narrow(wy, args.dtype, y, out);
  }
  void pool2d_backward(const Pool2DArgs& args, const void* x, const void* y, const void* dy,
                       void* dx) override {
    if (!is_half(args.dtype) || inner_.runs_natively(HalfPrimitive::pooling, args.dtype)) {
      return inner_.pool2d_backward(args, x, y, dy, dx);
    }
    const std::int64_t in = args.batch * args.in_height * args.in_width * args.channels;
    const std::int64_t out = args.batch * args.out_height * args.out_width * args.channels;
    // Average pooling reads neither x nor y (they may be null).
    Float32Buffer wx = widen(args.dtype, x, x ? in : 0);
    Float32Buffer wy = widen(args.dtype, y, y ? out : 0);
    Float32Buffer wdy = widen(args.dtype, dy, out);
    Float32Buffer wdx(inner_, in);
    Pool2DArgs wide = args;
    wide.dtype = DType::float32;
    inner_.pool2d_backward(wide, x ? wx.data() : nullptr, y ? wy.data() : nullptr, wdy.data(),
                           wdx.data());
    narrow(wdx, args.dtype, dx, in);
  }

  void batch_norm_forward_training(const BatchNormArgs& args, const void* x, const void* scale,
                                   const void* offset, void* y, void* mean, void* variance,
                                   void* inv_std) override {
    if (!is_half(args.dtype)) {
      return inner_.batch_norm_forward_training(args, x, scale, offset, y, mean, variance, inv_std);
    }
    const std::int64_t n = args.rows * args.channels, c = args.channels;
    Float32Buffer wx = widen(args.dtype, x, n);
    Float32Buffer wscale = widen(args.dtype, scale, c);
    Float32Buffer woffset = widen(args.dtype, offset, c);
    Float32Buffer wy(inner_, n), wmean(inner_, c), wvariance(inner_, c), winv(inner_, c);
    BatchNormArgs wide = args;
    wide.dtype = DType::float32;
    inner_.batch_norm_forward_training(wide, wx.data(), wscale.data(), woffset.data(), wy.data(),
                                       wmean.data(), wvariance.data(), winv.data());
    narrow(wy, args.dtype, y, n);
    narrow(wmean, args.dtype, mean, c);
    narrow(wvariance, args.dtype, variance, c);
    narrow(winv, args.dtype, inv_std, c);
  }
  void batch_norm_backward(const BatchNormArgs& args, const void* x, const void* dy,
                           const void* scale, const void* mean, const void* inv_std, void* dx,
                           void* dscale, void* doffset) override {
    if (!is_half(args.dtype)) {
      return inner_.batch_norm_backward(args, x, dy, scale, mean, inv_std, dx, dscale, doffset);
    }
    const std::int64_t n = args.rows * args.channels, c = args.channels;
    Float32Buffer wx = widen(args.dtype, x, n);
    Float32Buffer wdy = widen(args.dtype, dy, n);
    Float32Buffer wscale = widen(args.dtype, scale, c);
    Float32Buffer wmean = widen(args.dtype, mean, c);
    Float32Buffer winv = widen(args.dtype, inv_std, c);
    Float32Buffer wdx(inner_, n), wdscale(inner_, c), wdoffset(inner_, c);
    BatchNormArgs wide = args;
    wide.dtype = DType::float32;
    inner_.batch_norm_backward(wide, wx.data(), wdy.data(), wscale.data(), wmean.data(),
                               winv.data(), wdx.data(), wdscale.data(), wdoffset.data());
    narrow(wdx, args.dtype, dx, n);
    narrow(wdscale, args.dtype, dscale, c);
    narrow(wdoffset, args.dtype, doffset, c);
  }

  void optimizer_update(const OptimizerUpdateArgs& args) override {
    if (!is_half(args.dtype)) return inner_.optimizer_update(args);
    // Each variable, its gradient and its slots are widened, updated in float32 and rounded back
    // (variables in mixed precision stay float32; this serves 16-bit variables made by hand).
    std::vector<Float32Buffer> held;
    std::vector<OptimizerTensor> wide(args.tensors, args.tensors + args.count);
    held.reserve(args.count * 5);
    for (OptimizerTensor& t : wide) {
      held.push_back(widen(args.dtype, t.param, t.n));
      t.param = held.back().data();
      held.push_back(widen(args.dtype, t.grad, t.n));
      t.grad = held.back().data();
      for (void*& slot : t.slots) {
        if (slot == nullptr) continue;
        held.push_back(widen(args.dtype, slot, t.n));
        slot = held.back().data();
      }
    }
    OptimizerUpdateArgs wide_args = args;
    wide_args.dtype = DType::float32;
    wide_args.tensors = wide.data();
    inner_.optimizer_update(wide_args);
    for (std::size_t i = 0; i < args.count; ++i) {
      const OptimizerTensor& original = args.tensors[i];
      inner_.cast(DType::float32, wide[i].param, args.dtype, original.param, original.n);
      for (int s = 0; s < 3; ++s) {
        if (original.slots[s] == nullptr) continue;
        inner_.cast(DType::float32, wide[i].slots[s], args.dtype, original.slots[s], original.n);
      }
    }
  }

  void random(const RandomArgs& args) override {
    if (!is_half(args.dtype)) return inner_.random(args);
    Float32Buffer wide(inner_, args.n);
    RandomArgs wide_args = args;
    wide_args.dtype = DType::float32;
    wide_args.out = wide.data();
    inner_.random(wide_args);
    narrow(wide, args.dtype, args.out, args.n);
  }

 private:
  Float32Buffer widen(DType dtype, const void* x, std::int64_t n) {
    Float32Buffer wide(inner_, n);
    if (n > 0) inner_.cast(dtype, x, DType::float32, wide.data(), n);
    return wide;
  }
  void narrow(const Float32Buffer& wide, DType dtype, void* y, std::int64_t n) {
    if (n > 0) inner_.cast(DType::float32, wide.data(), dtype, y, n);
  }

  /// An elementwise input read through float32: the elements its layout reaches are widened (the
  /// buffer is kept in `held`), the layout stays as it was; a host scalar is rounded to `dtype`.
  ElementwiseInput widen_input(DType dtype, const ElementwiseInput& input,
                               std::vector<Float32Buffer>& held) {
    ElementwiseInput wide = input;
    if (input.is_scalar) {
      wide.scalar.f = rounded_to(dtype, input.scalar.f);
      return wide;
    }
    const Span span = span_of(input.layout);
    const char* lowest =
        static_cast<const char*>(input.data) + span.lowest * static_cast<std::int64_t>(2);
    held.push_back(widen(dtype, lowest, span.count));
    wide.data = held.back().data() - span.lowest;
    return wide;
  }

  bool native_conv(DType dtype) const {
    return !is_half(dtype) || inner_.runs_natively(HalfPrimitive::conv2d, dtype);
  }
  static Conv2DArgs as_float32(Conv2DArgs args) {
    args.dtype = DType::float32;
    return args;
  }
  static std::int64_t input_size(const Conv2DArgs& a) {
    return a.batch * a.in_height * a.in_width * a.in_channels;
  }
  static std::int64_t filter_size(const Conv2DArgs& a) {
    return a.kernel_height * a.kernel_width * (a.in_channels / a.groups) * a.out_channels;
  }
  static std::int64_t output_size(const Conv2DArgs& a) {
    return a.batch * a.out_height * a.out_width * a.out_channels;
  }

  Backend& inner_;
};

}  // namespace

std::unique_ptr<Backend> half_precision_backend(Backend& inner) {
  return std::make_unique<HalfPrecisionBackend>(inner);
}

}  // namespace ember::detail
