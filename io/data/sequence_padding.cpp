#include "io/data/sequence_padding.h"

#include <algorithm>

#include "core/error.h"
#include "core/ops.h"
#include "core/tensor_impl.h"

namespace ember::utils {

Tensor pad_sequences(const std::vector<std::vector<std::int32_t>>& sequences,
                     const PadOptions& options) {
  for (const auto& [what, side] :
       {std::pair{"padding", &options.padding}, std::pair{"truncating", &options.truncating}}) {
    if (*side != "pre" && *side != "post") {
      throw Error(
          cat("pad_sequences: ", what, " must be \"pre\" or \"post\", got \"", *side, "\""));
    }
  }
  std::int64_t maxlen = 0;
  if (options.maxlen) {
    if (*options.maxlen < 0)
      throw Error(cat("pad_sequences: maxlen must be >= 0, got ", *options.maxlen));
    maxlen = *options.maxlen;
  } else {
    for (const auto& s : sequences) maxlen = std::max(maxlen, static_cast<std::int64_t>(s.size()));
  }
  const auto rows = static_cast<std::int64_t>(sequences.size());
  // Built in float64 (which holds every int32 exactly), then cast to the dtype asked for.
  std::vector<double> out(static_cast<std::size_t>(rows * maxlen), options.value);
  for (std::int64_t r = 0; r < rows; ++r) {
    const auto& s = sequences[static_cast<std::size_t>(r)];
    const auto length = std::min(maxlen, static_cast<std::int64_t>(s.size()));
    const auto skip =
        options.truncating == "pre" ? static_cast<std::int64_t>(s.size()) - length : 0;
    const auto start = options.padding == "pre" ? maxlen - length : 0;
    for (std::int64_t i = 0; i < length; ++i) {
      out[static_cast<std::size_t>(r * maxlen + start + i)] = s[static_cast<std::size_t>(skip + i)];
    }
  }
  const Tensor doubles =
      detail::from_host(out.data(), Shape{rows, maxlen}, float64, default_device());
  return options.dtype == float64 ? doubles : cast(doubles, options.dtype);
}

}  // namespace ember::utils
