#include "core/tensor.h"

#include <atomic>
#include <cstring>
#include <ostream>

#include "core/error.h"
#include "core/function/trace.h"
#include "core/ops/run_op.h"
#include "core/tensor_impl.h"

namespace ember {
namespace detail {

Tensor empty(const Shape& shape, DType dtype, const Device& device) {
  for (std::int64_t d : shape) {
    if (d < 0) throw ShapeError(cat("cannot create a tensor of shape ", shape, ": negative size"));
  }
  if (shape.rank() > kMaxRank) {
    throw ShapeError(cat("cannot create a tensor of shape ", shape, ": rank ", shape.rank(),
                         " exceeds the maximum rank ", kMaxRank));
  }
  const std::optional<std::int64_t> elements = checked_product(shape.dims());
  const std::optional<std::int64_t> bytes =
      elements ? checked_multiply(*elements, static_cast<std::int64_t>(dtype_size(dtype)))
               : std::nullopt;
  if (!bytes) {
    throw ResourceExhaustedError(cat("cannot allocate a tensor of shape ", shape, " and dtype ",
                                     dtype_name(dtype), " on ", device,
                                     ": its size in bytes exceeds 2^63"));
  }
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(device, static_cast<std::size_t>(*bytes));
  impl->shape = shape;
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

std::uint64_t next_tensor_id() {
  static std::atomic<std::uint64_t> counter{1};
  return counter.fetch_add(1, std::memory_order_relaxed);
}

Tensor view(const Tensor& base, const Shape& shape, std::size_t byte_offset) {
  auto impl = std::make_shared<TensorImpl>(*base.impl());
  impl->offset += byte_offset;
  impl->shape = shape;
  impl->id = next_tensor_id();
  impl->keras_logits = nullptr;
  return Tensor(std::move(impl));
}

Tensor view_with_id(const Tensor& base, std::uint64_t id) {
  auto impl = std::make_shared<TensorImpl>(*base.impl());
  impl->id = id;
  impl->keras_logits = nullptr;
  return Tensor(std::move(impl));
}

Tensor from_host(const void* data, const Shape& shape, DType dtype, const Device& device) {
  Tensor t = empty(shape, dtype, device);
  const std::size_t bytes = static_cast<std::size_t>(t.size()) * dtype_size(dtype);
  if (bytes > 0) backend_of(t).copy_from_host(mutable_data(t), data, bytes);
  return t;
}

void check_defined(const Tensor& t, const char* op) {
  if (!t.defined()) throw Error(cat(op, ": the tensor is undefined (default-constructed)"));
}

}  // namespace detail

Tensor::Tensor(std::shared_ptr<detail::TensorImpl> impl) : impl_(std::move(impl)) {}

const Shape& Tensor::shape() const {
  detail::check_defined(*this, "Tensor::shape");
  return impl_->shape;
}

std::int64_t Tensor::size() const { return shape().num_elements(); }

DType Tensor::dtype() const {
  detail::check_defined(*this, "Tensor::dtype");
  return impl_->dtype;
}

Device Tensor::device() const {
  detail::check_defined(*this, "Tensor::device");
  return impl_->storage->device();
}

const void* Tensor::raw_data() const {
  detail::check_defined(*this, "Tensor::raw_data");
  return impl_->data();
}

namespace {
Tensor copy_forward(const Tensor& x, const Device& target) {
  detail::check_defined(x, "Tensor::to");
  const Device source = x.device();
  if (source == target) return x;
  check_device_available(target);
  const std::size_t bytes = static_cast<std::size_t>(x.size()) * dtype_size(x.dtype());
  if (source.is_cpu()) return detail::from_host(x.raw_data(), x.shape(), x.dtype(), target);
  // From a GPU: through the host (a direct peer copy is not worth its complexity here).
  std::vector<unsigned char> host(bytes);
  if (bytes > 0) detail::backend_of(x).copy_to_host(host.data(), x.raw_data(), bytes);
  return detail::from_host(host.data(), x.shape(), x.dtype(), target);
}
}  // namespace

Tensor Tensor::to(const Device& target) const {
  return detail::run_op("to", copy_forward, detail::no_gradient, *this, target);
}

namespace {

// Copies the tensor's bytes to `host` after checking that T is its element type.
void read_to_host(const Tensor& t, DType expected, void* host, const char* what) {
  detail::check_defined(t, what);
  trace::note_host_read(t, what);
  if (t.dtype() != expected) {
    throw DTypeError(cat(what, ": the tensor is ", dtype_name(t.dtype()), " but ",
                         dtype_name(expected), " was asked for; use the matching C++ type or ",
                         "ember::cast first"));
  }
  const std::size_t bytes = static_cast<std::size_t>(t.size()) * dtype_size(t.dtype());
  if (bytes > 0) detail::backend_of(t).copy_to_host(host, t.raw_data(), bytes);
}

// The values of a float16 or bfloat16 tensor widened to float (exact).
std::vector<float> widened_to_host(const Tensor& t, const char* what) {
  std::vector<std::uint16_t> bits(static_cast<std::size_t>(t.size()));
  read_to_host(t, t.dtype(), bits.data(), what);
  std::vector<float> out(bits.size());
  for (std::size_t i = 0; i < bits.size(); ++i) {
    out[i] = t.dtype() == DType::float16 ? half_bits::float16_to_float(bits[i])
                                         : half_bits::bfloat16_to_float(bits[i]);
  }
  return out;
}

}  // namespace

template <class T>
std::vector<T> Tensor::to_vector() const {
  if constexpr (std::is_same_v<T, float>) {
    if (defined() && is_half(dtype())) return widened_to_host(*this, "to_vector");
  }
  if constexpr (std::is_same_v<T, bool>) {
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size()));
    read_to_host(*this, DType::bool_, bytes.data(), "to_vector<bool>");
    return std::vector<bool>(bytes.begin(), bytes.end());
  } else {
    std::vector<T> out(static_cast<std::size_t>(size()));
    read_to_host(*this, dtype_of<T>::value, out.data(), "to_vector");
    return out;
  }
}

template <class T>
T Tensor::item() const {
  detail::check_defined(*this, "item");
  if (size() != 1) {
    throw ShapeError(cat("item: expected a tensor with one element, got shape ", shape()));
  }
  if constexpr (std::is_same_v<T, bool>) {
    std::uint8_t byte = 0;
    read_to_host(*this, DType::bool_, &byte, "item");
    return byte != 0;
  } else {
    if constexpr (std::is_same_v<T, float>) {
      if (is_half(dtype())) return widened_to_host(*this, "item")[0];
    }
    T value{};
    read_to_host(*this, dtype_of<T>::value, &value, "item");
    return value;
  }
}

Tensor::operator bool() const {
  detail::check_defined(*this, "Tensor::operator bool");
  if (size() != 1) {
    throw ShapeError(cat("the truth value of a tensor with shape ", shape(),
                         " is ambiguous; reduce it first (reduce_any, reduce_all)"));
  }
  return dispatch_dtype(dtype(), [&](auto zero) {
    using T = decltype(zero);
    T value{};
    read_to_host(*this, dtype(), &value, "Tensor::operator bool");
    return value != T{};
  });
}

template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<std::int32_t> Tensor::to_vector<std::int32_t>() const;
template std::vector<std::int64_t> Tensor::to_vector<std::int64_t>() const;
template std::vector<std::uint8_t> Tensor::to_vector<std::uint8_t>() const;
template std::vector<bool> Tensor::to_vector<bool>() const;
template float Tensor::item<float>() const;
template double Tensor::item<double>() const;
template std::int32_t Tensor::item<std::int32_t>() const;
template std::int64_t Tensor::item<std::int64_t>() const;
template std::uint8_t Tensor::item<std::uint8_t>() const;
template bool Tensor::item<bool>() const;
template std::vector<Float16> Tensor::to_vector<Float16>() const;
template std::vector<BFloat16> Tensor::to_vector<BFloat16>() const;
template Float16 Tensor::item<Float16>() const;
template BFloat16 Tensor::item<BFloat16>() const;

std::ostream& operator<<(std::ostream& out, const Tensor& t) { return out << t.to_string(); }

std::ostream& operator<<(std::ostream& out, DType dtype) {
  return out << "<dtype: '" << dtype_name(dtype) << "'>";
}

Tensor::RowIterator Tensor::begin() const {
  if (!defined()) throw Error("iterating over an undefined tensor");
  if (rank() == 0) {
    throw ShapeError(
        cat("cannot iterate over a scalar tensor (shape ", shape(), "); it has no rows"));
  }
  return RowIterator(this, 0);
}

Tensor::RowIterator Tensor::end() const {
  return RowIterator(this, defined() && rank() > 0 ? shape(0) : 0);
}

std::int64_t allocated_bytes(const Device& device) {
  return detail::backend_for(device).allocated_bytes();
}

}  // namespace ember
