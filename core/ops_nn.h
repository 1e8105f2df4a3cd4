// Neural-network ops that are not elementwise.
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace ember {

/// exp(x) / sum(exp(x)) along `axis`, shifted by the max for stability.
Tensor softmax(const Tensor& x, std::int64_t axis = -1);
/// x - log(sum(exp(x))) along `axis`, computed stably.
Tensor log_softmax(const Tensor& x, std::int64_t axis = -1);

}  // namespace ember
