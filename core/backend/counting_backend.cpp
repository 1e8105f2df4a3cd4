// Forwards every primitive to the device's own backend and counts it (core/counters.h).
#include "core/backend/counting_backend.h"

#include "core/counters_internal.h"

namespace ember::detail {
namespace {

class CountingBackend final : public Backend {
 public:
  explicit CountingBackend(Backend& inner) : inner_(inner), device_(inner.device()) {}

  Device device() const override { return device_; }
  bool runs_natively(HalfPrimitive primitive, DType dtype) const override {
    return inner_.runs_natively(primitive, dtype);
  }

  void* allocate(std::size_t bytes) override {
    void* data = inner_.allocate(bytes);
    count_allocation(device_, bytes);
    return data;
  }
  void deallocate(void* ptr, std::size_t bytes) override {
    inner_.deallocate(ptr, bytes);
    count_deallocation(device_, bytes);
  }
  std::int64_t allocated_bytes() const override { return inner_.allocated_bytes(); }
  void copy_from_host(void* dst, const void* host_src, std::size_t bytes) override {
    count_host_write(device_, bytes);
    inner_.copy_from_host(dst, host_src, bytes);
  }
  void copy_to_host(void* host_dst, const void* src, std::size_t bytes) override {
    count_host_read(device_, bytes);
    inner_.copy_to_host(host_dst, src, bytes);
  }
  void copy(void* dst, const void* src, std::size_t bytes) override {
    count_kernel(device_);
    inner_.copy(dst, src, bytes);
  }
  void synchronize() override { inner_.synchronize(); }
  void* native_stream() override { return inner_.native_stream(); }

  void fill(DType dtype, void* out, std::int64_t n, ScalarValue value) override {
    count_kernel(device_);
    inner_.fill(dtype, out, n, value);
  }
  void cast(DType from, const void* x, DType to, void* y, std::int64_t n) override {
    count_kernel(device_);
    inner_.cast(from, x, to, y, n);
  }
  void unary(UnaryOp op, DType dtype, const void* x, void* y, std::int64_t n,
             double param) override {
    count_kernel(device_);
    inner_.unary(op, dtype, x, y, n, param);
  }
  void binary(BinaryOp op, DType dtype, const ElementwiseInput& a, const ElementwiseInput& b,
              void* out, const StridedLayout& shape) override {
    count_kernel(device_);
    inner_.binary(op, dtype, a, b, out, shape);
  }
  void where(DType dtype, const ElementwiseInput& cond, const ElementwiseInput& x,
             const ElementwiseInput& y, void* out, const StridedLayout& shape) override {
    count_kernel(device_);
    inner_.where(dtype, cond, x, y, out, shape);
  }
  void reduce(ReduceOp op, DType dtype, const void* x, void* y, std::int64_t outer, std::int64_t r,
              std::int64_t inner, std::int64_t mean_divisor) override {
    count_kernel(device_);
    inner_.reduce(op, dtype, x, y, outer, r, inner, mean_divisor);
  }
  void arg_reduce(ArgReduceOp op, DType dtype, const void* x, std::int64_t* y, std::int64_t outer,
                  std::int64_t r, std::int64_t inner) override {
    count_kernel(device_);
    inner_.arg_reduce(op, dtype, x, y, outer, r, inner);
  }
  void softmax(bool log, DType dtype, const void* x, void* y, std::int64_t outer, std::int64_t n,
               std::int64_t inner) override {
    count_kernel(device_);
    inner_.softmax(log, dtype, x, y, outer, n, inner);
  }
  void gemm(const GemmArgs& args) override {
    count_kernel(device_);
    inner_.gemm(args);
  }
  void strided_copy(std::size_t element_size, const void* src, const StridedLayout& src_layout,
                    void* dst, const StridedLayout& dst_layout) override {
    count_kernel(device_);
    inner_.strided_copy(element_size, src, src_layout, dst, dst_layout);
  }
  void gather(std::size_t element_size, const void* x, std::int64_t outer, std::int64_t axis_size,
              std::int64_t inner, DType index_dtype, const void* indices, std::int64_t count,
              void* out) override {
    count_kernel(device_);
    inner_.gather(element_size, x, outer, axis_size, inner, index_dtype, indices, count, out);
  }
  void scatter_add(DType dtype, const void* updates, std::int64_t outer, std::int64_t axis_size,
                   std::int64_t inner, DType index_dtype, const void* indices, std::int64_t count,
                   void* out) override {
    count_kernel(device_);
    inner_.scatter_add(dtype, updates, outer, axis_size, inner, index_dtype, indices, count, out);
  }
  void conv2d_forward(const Conv2DArgs& args, const void* x, const void* filter, void* y) override {
    count_kernel(device_);
    inner_.conv2d_forward(args, x, filter, y);
  }
  void conv2d_backward_data(const Conv2DArgs& args, const void* filter, const void* dy,
                            void* dx) override {
    count_kernel(device_);
    inner_.conv2d_backward_data(args, filter, dy, dx);
  }
  void conv2d_backward_filter(const Conv2DArgs& args, const void* x, const void* dy,
                              void* dfilter) override {
    count_kernel(device_);
    inner_.conv2d_backward_filter(args, x, dy, dfilter);
  }
  void pool2d_forward(const Pool2DArgs& args, const void* x, void* y) override {
    count_kernel(device_);
    inner_.pool2d_forward(args, x, y);
  }
  void pool2d_backward(const Pool2DArgs& args, const void* x, const void* y, const void* dy,
                       void* dx) override {
    count_kernel(device_);
    inner_.pool2d_backward(args, x, y, dy, dx);
  }
  void batch_norm_forward_training(const BatchNormArgs& args, const void* x, const void* scale,
                                   const void* offset, void* y, void* mean, void* variance,
                                   void* inv_std) override {
    count_kernel(device_);
    inner_.batch_norm_forward_training(args, x, scale, offset, y, mean, variance, inv_std);
  }
  void batch_norm_backward(const BatchNormArgs& args, const void* x, const void* dy,
                           const void* scale, const void* mean, const void* inv_std, void* dx,
                           void* dscale, void* doffset) override {
    count_kernel(device_);
    inner_.batch_norm_backward(args, x, dy, scale, mean, inv_std, dx, dscale, doffset);
  }
  void optimizer_update(const OptimizerUpdateArgs& args) override {
    count_kernel(device_);
    inner_.optimizer_update(args);
  }
  void random(const RandomArgs& args) override {
    count_kernel(device_);
    inner_.random(args);
  }

 private:
  Backend& inner_;
  Device device_;
};

}  // namespace

std::unique_ptr<Backend> counting_backend(Backend& inner) {
  return std::make_unique<CountingBackend>(inner);
}

}  // namespace ember::detail
