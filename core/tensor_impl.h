// The shared state behind a Tensor handle (internal: ops and backends use it, users do not).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>

#include "core/backend/backend.h"
#include "core/storage.h"
#include "core/tensor.h"

namespace ember::detail {

/// A fresh identity for a tensor (or variable): what GradientTape records and looks up.
std::uint64_t next_tensor_id();

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  std::size_t offset = 0;  // bytes from storage->data() to the first element
  Shape shape;
  DType dtype = DType::float32;
  /// Identity for autodiff: every op output and view gets a new one; reads of a Variable carry
  /// the variable's, so a tape sees all reads of one variable as one source.
  std::uint64_t id = next_tensor_id();
  /// Keras' _keras_logits: the logits a softmax or sigmoid activation made these probabilities
  /// from; the cross-entropies use them instead (layers/losses). Any op's result, views
  /// included, starts without.
  std::shared_ptr<TensorImpl> keras_logits;

  void* data() const { return static_cast<char*>(storage->data()) + offset; }
};

/// A new tensor with uninitialised contents.
Tensor empty(const Shape& shape, DType dtype, const Device& device);
/// A new tensor (with a new identity) sharing `base`'s storage, starting `byte_offset` bytes
/// after `base`'s first element.
Tensor view(const Tensor& base, const Shape& shape, std::size_t byte_offset = 0);
/// A view of all of `base` that carries the identity `id` (a variable read).
Tensor view_with_id(const Tensor& base, std::uint64_t id);
/// A tensor holding a copy of host memory.
Tensor from_host(const void* data, const Shape& shape, DType dtype, const Device& device);
/// Mutable device pointer of a tensor just created by `empty` (before anyone else sees it).
inline void* mutable_data(const Tensor& t) { return t.impl()->data(); }
inline Backend& backend_of(const Tensor& t) { return t.impl()->storage->backend(); }
/// Marks `probabilities` as softmax(logits) or sigmoid(logits) (a Keras activation's result).
inline void set_keras_logits(const Tensor& probabilities, const Tensor& logits) {
  probabilities.impl()->keras_logits = logits.impl();
}
/// The logits `t` was made from by a Keras softmax or sigmoid activation, if it was.
inline std::optional<Tensor> keras_logits(const Tensor& t) {
  if (!t.defined() || !t.impl()->keras_logits) return std::nullopt;
  return Tensor(t.impl()->keras_logits);
}
/// Throws Error naming `op` when `t` is undefined.
void check_defined(const Tensor& t, const char* op);

}  // namespace ember::detail
