#include "core/ops/creation.h"

#include <cmath>
#include <vector>

#include "core/error.h"
#include "core/ops/op_support.h"
#include "core/ops/run_op.h"

namespace ember {

Tensor zeros(const Shape& shape, DType dtype) {
  return detail::full(shape, dtype, default_device(), ScalarValue{});
}

Tensor ones(const Shape& shape, DType dtype) {
  return detail::full(shape, dtype, default_device(), ScalarValue{1.0, 1});
}

namespace {

Tensor full_like_forward(const Tensor& x, const std::optional<DType>& dtype, double value) {
  detail::check_defined(x, value == 0 ? "zeros_like" : "ones_like");
  return detail::full(x.shape(), dtype.value_or(x.dtype()), x.device(),
                      ScalarValue{value, static_cast<std::int64_t>(value)});
}

}  // namespace

Tensor zeros_like(const Tensor& x, std::optional<DType> dtype) {
  return detail::run_op("zeros_like", full_like_forward, detail::no_gradient, x, dtype, 0.0);
}

Tensor ones_like(const Tensor& x, std::optional<DType> dtype) {
  return detail::run_op("ones_like", full_like_forward, detail::no_gradient, x, dtype, 1.0);
}

Tensor fill(const Shape& shape, const Scalar& value) {
  const DType dtype = value.natural_dtype();
  return detail::full(shape, dtype, default_device(), value.as(dtype, "fill"));
}

Tensor eye(std::int64_t n, std::optional<std::int64_t> m_in, DType dtype) {
  const std::int64_t m = m_in.value_or(n);
  if (n < 0 || m < 0) throw ShapeError(cat("eye: sizes must be >= 0, got ", n, " x ", m));
  if (dtype == DType::bool_) throw DTypeError("eye: expected a numeric dtype, got bool");
  // The diagonal is one strided region of length min(n, m) with stride m + 1.
  Tensor out = detail::full({n, m}, dtype, default_device(), ScalarValue{});
  const std::int64_t diagonal = std::min(n, m);
  if (diagonal == 0) return out;
  const Tensor one = detail::full({diagonal}, dtype, out.device(), ScalarValue{1.0, 1});
  StridedLayout dst;
  dst.rank = 1;
  dst.shape[0] = diagonal;
  dst.strides[0] = m + 1;
  detail::copy_region(one, 0, detail::contiguous_layout(one.shape()), out, 0, dst);
  return out;
}

Tensor range(const Scalar& limit) { return range(0, limit, 1); }

Tensor range(const Scalar& start, const Scalar& limit, const Scalar& delta,
             std::optional<DType> dtype_in) {
  // TensorFlow infers the widest of the three types: any real makes it float32.
  DType inferred = DType::int32;
  for (const Scalar* s : {&start, &limit, &delta}) {
    if (is_floating(s->natural_dtype()))
      inferred = DType::float32;
    else if (s->natural_dtype() == DType::int64 && inferred == DType::int32)
      inferred = DType::int64;
  }
  const DType dtype = dtype_in.value_or(inferred);
  if (dtype == DType::bool_) throw DTypeError("range: expected a numeric dtype, got bool");
  const double a = start.as_double(), b = limit.as_double(), d = delta.as_double();
  if (d == 0) throw Error("range: delta must not be zero");
  const double steps = std::ceil((b - a) / d);
  const auto n = static_cast<std::int64_t>(steps > 0 ? steps : 0);
  return dispatch_dtype(dtype, [&](auto zero) {
    using T = decltype(zero);
    std::vector<unsigned char> buffer(static_cast<std::size_t>(n) * sizeof(T));
    T* values = reinterpret_cast<T*>(buffer.data());
    for (std::int64_t i = 0; i < n; ++i) values[i] = static_cast<T>(a + static_cast<double>(i) * d);
    return detail::from_host(buffer.data(), Shape{n}, dtype, default_device());
  });
}

}  // namespace ember
