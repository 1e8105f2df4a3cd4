// Buckets of a bucketed all-reduce (internal): which tensors travel together in one collective,
// and how a bucket's tensors are joined into one flat tensor and cut apart again. Shared by
// Strategy::all_reduce and GradientReducer, so both send the same collectives.
#pragma once

#include <cstdint>
#include <vector>

#include "core/device.h"
#include "core/dtype.h"
#include "core/shape.h"
#include "core/tensor.h"

namespace ember::distribute::detail {

struct BucketEntry {
  DType dtype;
  Device device;
  std::int64_t bytes = 0;
};

/// The entries, visited in `order`, grouped into buckets of one dtype and device of at most
/// `bucket_bytes` each (an entry larger than that travels alone); each bucket lists its
/// members in visiting order, and the buckets come in the order they were opened.
std::vector<std::vector<std::size_t>> plan_buckets(const std::vector<BucketEntry>& entries,
                                                   const std::vector<std::size_t>& order,
                                                   std::int64_t bucket_bytes);
/// The parts flattened and joined end to end (one part: flattened only, a view).
Tensor join_bucket(const std::vector<Tensor>& parts);
/// The inverse of join_bucket: `joined` cut into tensors of `shapes`.
std::vector<Tensor> cut_bucket(const Tensor& joined, const std::vector<Shape>& shapes);

}  // namespace ember::distribute::detail
