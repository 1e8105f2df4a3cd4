#include "distribute/buckets.h"

#include <map>
#include <string>
#include <utility>

#include "core/ops.h"

namespace ember::distribute::detail {

std::vector<std::vector<std::size_t>> plan_buckets(const std::vector<BucketEntry>& entries,
                                                   const std::vector<std::size_t>& order,
                                                   std::int64_t bucket_bytes) {
  std::vector<std::vector<std::size_t>> buckets;
  std::vector<std::int64_t> filled;
  std::map<std::pair<DType, std::string>, std::size_t> open;  // (dtype, device) -> bucket
  for (std::size_t i : order) {
    const BucketEntry& e = entries[i];
    const auto key = std::make_pair(e.dtype, e.device.str());
    auto found = open.find(key);
    if (found == open.end() || filled[found->second] + e.bytes > bucket_bytes) {
      buckets.emplace_back();
      filled.push_back(0);
      found = open.insert_or_assign(key, buckets.size() - 1).first;
    }
    buckets[found->second].push_back(i);
    filled[found->second] += e.bytes;
  }
  return buckets;
}

Tensor join_bucket(const std::vector<Tensor>& parts) {
  std::vector<Tensor> flat;
  for (const Tensor& t : parts) flat.push_back(reshape(t, Shape{t.size()}));
  return flat.size() == 1 ? flat[0] : concat(flat, 0);
}

std::vector<Tensor> cut_bucket(const Tensor& joined, const std::vector<Shape>& shapes) {
  std::vector<std::int64_t> sizes;
  for (const Shape& s : shapes) sizes.push_back(s.num_elements());
  std::vector<Tensor> parts =
      sizes.size() == 1 ? std::vector<Tensor>{joined} : split(joined, sizes, 0);
  for (std::size_t j = 0; j < parts.size(); ++j) parts[j] = reshape(parts[j], shapes[j]);
  return parts;
}

}  // namespace ember::distribute::detail
