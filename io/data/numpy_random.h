// (internal) NumPy's legacy np.random.RandomState: MT19937 seeded with one 32-bit integer, and
// its shuffle. Keras' boston_housing and imdb loaders shuffle with RandomState(seed); ember
// shuffles the same way so that its splits hold the same rows in the same order.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace ember::io {

class LegacyRandomState {
 public:
  /// RandomState(seed): MT19937's init_genrand(seed).
  explicit LegacyRandomState(std::uint32_t seed);
  /// The next 32-bit output of MT19937 (tempered).
  std::uint32_t next_uint32();
  /// A uniform integer in [0, max], as numpy's random_interval draws it: masked draws, rejected
  /// until one falls in range.
  std::uint64_t interval(std::uint64_t max);
  /// RandomState.shuffle of a 1-D array: Fisher-Yates from the last element down.
  void shuffle(std::vector<std::int64_t>& values);

 private:
  void regenerate();
  std::array<std::uint32_t, 624> state_{};
  std::size_t position_ = 624;
};

}  // namespace ember::io
