// keras.utils.pad_sequences: token sequences of different lengths (io::datasets::imdb's, a
// tokenizer's) as one (samples, maxlen) tensor.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace ember::utils {

struct PadOptions {
  /// The length of every row; by default the longest sequence's.
  std::optional<std::int64_t> maxlen{};
  DType dtype = int32;
  /// "pre" (pad in front, as Keras does by default) or "post".
  std::string padding = "pre";
  /// Which end a longer sequence loses: "pre" (its start) or "post".
  std::string truncating = "pre";
  double value = 0;
};

/// (sequences.size(), maxlen) of `dtype` on default_device(): each sequence cut to maxlen and
/// padded with `value`, as keras.utils.pad_sequences. `utils::pad_sequences(x_train,
/// {.maxlen = 256})`. ember::Error for padding or truncating other than "pre"/"post" or a
/// negative maxlen.
Tensor pad_sequences(const std::vector<std::vector<std::int32_t>>& sequences,
                     const PadOptions& options = {});

}  // namespace ember::utils
