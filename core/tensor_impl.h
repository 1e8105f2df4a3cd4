// The shared state behind a Tensor handle. Internal: ops and backends use it, users do not.
#pragma once

#include <cstddef>
#include <memory>

#include "core/backend.h"
#include "core/storage.h"
#include "core/tensor.h"

namespace ember::detail {

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  std::size_t offset = 0;  // bytes from storage->data() to the first element
  Shape shape;
  DType dtype = DType::float32;

  void* data() const { return static_cast<char*>(storage->data()) + offset; }
};

/// A new tensor with uninitialised contents.
Tensor empty(const Shape& shape, DType dtype, const Device& device);
/// A new tensor sharing `base`'s storage, starting `byte_offset` bytes after `base`'s first element.
Tensor view(const Tensor& base, const Shape& shape, std::size_t byte_offset = 0);
/// A tensor holding a copy of host memory.
Tensor from_host(const void* data, const Shape& shape, DType dtype, const Device& device);
/// Mutable device pointer of a tensor just created by `empty` (before anyone else sees it).
inline void* mutable_data(const Tensor& t) { return t.impl()->data(); }
inline Backend& backend_of(const Tensor& t) { return t.impl()->storage->backend(); }
/// Throws Error naming `op` when `t` is undefined.
void check_defined(const Tensor& t, const char* op);

}  // namespace ember::detail
