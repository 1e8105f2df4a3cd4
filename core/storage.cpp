#include "core/storage.h"

#include "core/backend/backend.h"

namespace ember {

Storage::Storage(const Device& device, std::size_t bytes)
    : device_(device), backend_(&detail::backend_for(device)), bytes_(bytes) {
  data_ = backend_->allocate(bytes);
}

Storage::~Storage() { backend_->deallocate(data_, bytes_); }

}  // namespace ember
