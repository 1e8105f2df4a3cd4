#include "kernels/cpu_backend.h"

#include <cstdlib>
#include <cstring>
#include <string_view>

#include "kernels/allocator.h"
#include "kernels/cpu_kernels.h"

namespace ember::cpu {
namespace {

class CpuBackend final : public Backend {
 public:
  Device device() const override { return Device::cpu(); }
  bool runs_natively(HalfPrimitive primitive, DType dtype) const override {
    // EMBER_HALF_NATIVE=0 widens every 16-bit primitive to float32 (for comparisons).
    static const bool allowed = [] {
      const char* setting = std::getenv("EMBER_HALF_NATIVE");
      return setting == nullptr || std::string_view(setting) != "0";
    }();
    if (!allowed) return false;
    switch (primitive) {
      case HalfPrimitive::elementwise:
        return true;  // kernels/simd/elementwise.cpp computes them in float32 registers
      case HalfPrimitive::pooling:
        return true;  // kernels/pool.cpp compares in float and sums in double
      case HalfPrimitive::gemm:
#if EMBER_WITH_ONEDNN
        return onednn_matmul_supports(dtype);
#else
        return false;
#endif
      case HalfPrimitive::conv2d:
#if EMBER_WITH_ONEDNN
        return onednn_conv2d_supports(dtype);
#else
        return false;
#endif
    }
    return false;
  }

  void* allocate(std::size_t bytes) override { return allocator_.allocate(bytes); }
  void deallocate(void* ptr, std::size_t bytes) override { allocator_.deallocate(ptr, bytes); }
  std::int64_t allocated_bytes() const override { return allocator_.live_bytes(); }
  void copy_from_host(void* dst, const void* src, std::size_t bytes) override {
    std::memcpy(dst, src, bytes);
  }
  void copy_to_host(void* dst, const void* src, std::size_t bytes) override {
    std::memcpy(dst, src, bytes);
  }
  void copy(void* dst, const void* src, std::size_t bytes) override {
    std::memcpy(dst, src, bytes);
  }
  void synchronize() override {}

  void fill(DType dtype, void* out, std::int64_t n, ScalarValue value) override {
    cpu::fill(dtype, out, n, value);
  }
  void cast(DType from, const void* x, DType to, void* y, std::int64_t n) override {
    cpu::cast(from, x, to, y, n);
  }
  void unary(UnaryOp op, DType dtype, const void* x, void* y, std::int64_t n,
             double param) override {
    cpu::unary(op, dtype, x, y, n, param);
  }
  void binary(BinaryOp op, DType dtype, const ElementwiseInput& a, const ElementwiseInput& b,
              void* out, const StridedLayout& shape) override {
    cpu::binary(op, dtype, a, b, out, shape);
  }
  void where(DType dtype, const ElementwiseInput& cond, const ElementwiseInput& x,
             const ElementwiseInput& y, void* out, const StridedLayout& shape) override {
    cpu::where(dtype, cond, x, y, out, shape);
  }
  void reduce(ReduceOp op, DType dtype, const void* x, void* y, std::int64_t outer, std::int64_t r,
              std::int64_t inner, std::int64_t mean_divisor) override {
    cpu::reduce(op, dtype, x, y, outer, r, inner, mean_divisor);
  }
  void arg_reduce(ArgReduceOp op, DType dtype, const void* x, std::int64_t* y, std::int64_t outer,
                  std::int64_t r, std::int64_t inner) override {
    cpu::arg_reduce(op, dtype, x, y, outer, r, inner);
  }
  void softmax(bool log, DType dtype, const void* x, void* y, std::int64_t outer, std::int64_t n,
               std::int64_t inner) override {
    cpu::softmax(log, dtype, x, y, outer, n, inner);
  }
  void gemm(const GemmArgs& args) override { cpu::gemm(args); }
  void strided_copy(std::size_t element_size, const void* src, const StridedLayout& src_layout,
                    void* dst, const StridedLayout& dst_layout) override {
    cpu::strided_copy(element_size, src, src_layout, dst, dst_layout);
  }
  void gather(std::size_t element_size, const void* x, std::int64_t outer, std::int64_t axis_size,
              std::int64_t inner, DType index_dtype, const void* indices, std::int64_t count,
              void* out) override {
    cpu::gather(element_size, x, outer, axis_size, inner, index_dtype, indices, count, out);
  }
  void scatter_add(DType dtype, const void* updates, std::int64_t outer, std::int64_t axis_size,
                   std::int64_t inner, DType index_dtype, const void* indices, std::int64_t count,
                   void* out) override {
    cpu::scatter_add(dtype, updates, outer, axis_size, inner, index_dtype, indices, count, out);
  }
  void conv2d_forward(const Conv2DArgs& args, const void* x, const void* filter, void* y) override {
    cpu::conv2d_forward(args, x, filter, y);
  }
  void conv2d_backward_data(const Conv2DArgs& args, const void* filter, const void* dy,
                            void* dx) override {
    cpu::conv2d_backward_data(args, filter, dy, dx);
  }
  void conv2d_backward_filter(const Conv2DArgs& args, const void* x, const void* dy,
                              void* dfilter) override {
    cpu::conv2d_backward_filter(args, x, dy, dfilter);
  }
  void pool2d_forward(const Pool2DArgs& args, const void* x, void* y) override {
    cpu::pool2d_forward(args, x, y);
  }
  void pool2d_backward(const Pool2DArgs& args, const void* x, const void* y, const void* dy,
                       void* dx) override {
    cpu::pool2d_backward(args, x, y, dy, dx);
  }
  void batch_norm_forward_training(const BatchNormArgs& args, const void* x, const void* scale,
                                   const void* offset, void* y, void* mean, void* variance,
                                   void* inv_std) override {
    cpu::batch_norm_forward_training(args, x, scale, offset, y, mean, variance, inv_std);
  }
  void batch_norm_backward(const BatchNormArgs& args, const void* x, const void* dy,
                           const void* scale, const void* mean, const void* inv_std, void* dx,
                           void* dscale, void* doffset) override {
    cpu::batch_norm_backward(args, x, dy, scale, mean, inv_std, dx, dscale, doffset);
  }
  void random(const RandomArgs& args) override { cpu::random(args); }
  void optimizer_update(const OptimizerUpdateArgs& args) override { cpu::optimizer_update(args); }

 private:
  HostAllocator allocator_;
};

}  // namespace

std::unique_ptr<Backend> make_backend() { return std::make_unique<CpuBackend>(); }

}  // namespace ember::cpu
