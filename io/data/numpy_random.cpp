#include "io/data/numpy_random.h"

#include <utility>

namespace ember::io {

LegacyRandomState::LegacyRandomState(std::uint32_t seed) {
  state_[0] = seed;
  for (std::uint32_t i = 1; i < state_.size(); ++i) {
    state_[i] = 1812433253U * (state_[i - 1] ^ (state_[i - 1] >> 30)) + i;
  }
}

void LegacyRandomState::regenerate() {
  constexpr std::size_t kN = 624;
  constexpr std::size_t kM = 397;
  constexpr std::uint32_t kMatrix = 0x9908b0dfU;
  for (std::size_t i = 0; i < kN; ++i) {
    const std::uint32_t y = (state_[i] & 0x80000000U) | (state_[(i + 1) % kN] & 0x7fffffffU);
    state_[i] = state_[(i + kM) % kN] ^ (y >> 1) ^ ((y & 1U) != 0 ? kMatrix : 0U);
  }
  position_ = 0;
}

std::uint32_t LegacyRandomState::next_uint32() {
  if (position_ >= state_.size()) regenerate();
  std::uint32_t y = state_[position_++];
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680U;
  y ^= (y << 15) & 0xefc60000U;
  y ^= y >> 18;
  return y;
}

std::uint64_t LegacyRandomState::interval(std::uint64_t max) {
  if (max == 0) return 0;
  std::uint64_t mask = max;
  for (int shift : {1, 2, 4, 8, 16, 32}) mask |= mask >> shift;
  if (max <= 0xffffffffU) {
    for (;;) {
      const std::uint64_t value = next_uint32() & mask;
      if (value <= max) return value;
    }
  }
  for (;;) {  // numpy draws 64 bits as two 32-bit outputs, high word first
    const std::uint64_t high = next_uint32();
    const std::uint64_t value = ((high << 32) | next_uint32()) & mask;
    if (value <= max) return value;
  }
}

void LegacyRandomState::shuffle(std::vector<std::int64_t>& values) {
  for (std::size_t i = values.size(); i-- > 1;) {
    std::swap(values[i], values[interval(i)]);
  }
}

}  // namespace ember::io
