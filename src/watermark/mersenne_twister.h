#pragma once
// MT19937, the 32-bit Mersenne Twister (Matsumoto and Nishimura 1998), as torch's CPU generator and
// std::mt19937 draw it, with its 624-word block regenerated in loops a compiler vectorises for the baseline
// x86-64 instruction set. libstdc++'s std::mt19937 regenerates word by word: four times slower here, and
// detection draws thousands of numbers per token. Same numbers as std::mt19937 (tests/watermark).
#include <cstddef>
#include <cstdint>

namespace modelguard::watermark {

class MersenneTwister32 {
 public:
  explicit MersenneTwister32(uint32_t seed) {
    state_[0] = seed;
    for (uint32_t i = 1; i < kWords; ++i) state_[i] = 1812433253u * (state_[i - 1] ^ (state_[i - 1] >> 30)) + i;
  }
  uint32_t operator()() {
    if (next_ == kWords) Refill();
    return block_[next_++];
  }

 private:
  static constexpr uint32_t kWords = 624, kShift = 397, kMatrix = 0x9908b0dfu;
  static constexpr uint32_t kUpper = 0x80000000u, kLower = 0x7fffffffu;

  static uint32_t Twist(uint32_t word, uint32_t following, uint32_t far) {
    const uint32_t y = (word & kUpper) | (following & kLower);
    return far ^ (y >> 1) ^ ((0u - (y & 1u)) & kMatrix);
  }
  void Refill() {
    uint32_t i = 0;
    for (; i < kWords - kShift; ++i) state_[i] = Twist(state_[i], state_[i + 1], state_[i + kShift]);
    for (; i < kWords - 1; ++i) state_[i] = Twist(state_[i], state_[i + 1], state_[i + kShift - kWords]);
    state_[kWords - 1] = Twist(state_[kWords - 1], state_[0], state_[kShift - 1]);
    for (uint32_t k = 0; k < kWords; ++k) {
      uint32_t y = state_[k];
      y ^= y >> 11;
      y ^= (y << 7) & 0x9d2c5680u;
      y ^= (y << 15) & 0xefc60000u;
      y ^= y >> 18;
      block_[k] = y;
    }
    next_ = 0;
  }

  alignas(64) uint32_t state_[kWords];
  alignas(64) uint32_t block_[kWords];
  uint32_t next_ = kWords;
};

}  // namespace modelguard::watermark
