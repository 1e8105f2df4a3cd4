// Walking a row-major output range while following several strided input layouts (internal).
#pragma once

#include <array>
#include <cstdint>

#include "core/backend/kernel_types.h"

namespace ember::cpu {

/// Calls run(out_index, offsets, count, inner_strides) for each stretch of the output range
/// [begin, end) that lies along the last axis: output elements out_index .. out_index+count-1
/// read input k at offsets[k] + j * inner_strides[k].
template <std::size_t N, class Run>
void for_each_run(const StridedLayout& shape, const std::array<const StridedLayout*, N>& inputs,
                  std::int64_t begin, std::int64_t end, const Run& run) {
  if (shape.rank == 0) {  // a single element
    std::array<std::int64_t, N> zero{};
    if (begin < end) run(begin, zero, std::int64_t{1}, zero);
    return;
  }
  const int last = shape.rank - 1;
  std::int64_t index[kMaxRank];
  std::int64_t rest = begin;
  for (int d = last; d >= 0; --d) {
    index[d] = rest % shape.shape[d];
    rest /= shape.shape[d];
  }
  std::array<std::int64_t, N> offsets{}, inner{};
  for (std::size_t k = 0; k < N; ++k) {
    inner[k] = inputs[k]->strides[last];
    for (int d = 0; d <= last; ++d) offsets[k] += index[d] * inputs[k]->strides[d];
  }
  std::int64_t position = begin;
  while (position < end) {
    const std::int64_t count = std::min(shape.shape[last] - index[last], end - position);
    run(position, offsets, count, inner);
    position += count;
    // Advance the odometer to the start of the next run.
    for (std::size_t k = 0; k < N; ++k) offsets[k] += count * inner[k];
    index[last] += count;
    for (int d = last; d > 0 && index[d] == shape.shape[d]; --d) {
      index[d] = 0;
      ++index[d - 1];
      for (std::size_t k = 0; k < N; ++k) {
        offsets[k] += inputs[k]->strides[d - 1] - shape.shape[d] * inputs[k]->strides[d];
      }
    }
  }
}

}  // namespace ember::cpu
