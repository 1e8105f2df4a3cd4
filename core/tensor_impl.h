// The shared state behind a Tensor handle (internal: ops and backends use it, users do not).
#pragma once

#include <cstddef>
#include <memory>

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
/// Throws Error naming `op` when `t` is undefined.
void check_defined(const Tensor& t, const char* op);

}  // namespace ember::detail
