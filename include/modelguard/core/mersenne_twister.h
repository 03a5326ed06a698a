#pragma once
// The Mersenne Twisters MT19937 and MT19937-64 (Matsumoto and Nishimura 1998; Nishimura 2000): the same
// numbers as std::mt19937 and std::mt19937_64 from the same seed (tests/core), and as torch's CPU generator
// (which is MT19937), with each block of the state regenerated in loops the compiler vectorises for the
// baseline x86-64 instruction set. libstdc++ regenerates word by word, several times slower; the watermark
// detector and the monitor's bootstrap calibration draw millions of numbers.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>

namespace modelguard {

template <typename UInt, size_t kWords, size_t kShift, unsigned kSeparation, UInt kMatrix, unsigned kU, UInt kD,
          unsigned kS, UInt kB, unsigned kT, UInt kC, unsigned kL, UInt kInit>
class MersenneTwisterEngine {
 public:
  using result_type = UInt;
  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return std::numeric_limits<UInt>::max(); }

  explicit MersenneTwisterEngine(UInt seed) {
    constexpr unsigned kBits = std::numeric_limits<UInt>::digits;
    state_[0] = seed;
    for (size_t i = 1; i < kWords; ++i)
      state_[i] = static_cast<UInt>(kInit * (state_[i - 1] ^ (state_[i - 1] >> (kBits - 2))) + i);
  }
  result_type operator()() {
    if (next_ == kWords) Refill();
    return block_[next_++];
  }
  // The next `count` numbers into `out`, as `count` calls would give them, a block at a time.
  void Generate(UInt* out, size_t count) {
    while (count > 0) {
      if (next_ == kWords) Refill();
      const size_t take = count < kWords - next_ ? count : kWords - next_;
      std::memcpy(out, block_ + next_, take * sizeof(UInt));
      next_ += take;
      out += take;
      count -= take;
    }
  }

 private:
  static constexpr UInt kLower = (UInt{1} << kSeparation) - 1, kUpper = static_cast<UInt>(~kLower);

  static UInt Twist(UInt word, UInt following, UInt far) {
    const UInt y = (word & kUpper) | (following & kLower);
    return far ^ (y >> 1) ^ (static_cast<UInt>(UInt{0} - (y & 1)) & kMatrix);
  }
  void Refill() {
    size_t i = 0;
    for (; i < kWords - kShift; ++i) state_[i] = Twist(state_[i], state_[i + 1], state_[i + kShift]);
    for (; i < kWords - 1; ++i) state_[i] = Twist(state_[i], state_[i + 1], state_[i + kShift - kWords]);
    state_[kWords - 1] = Twist(state_[kWords - 1], state_[0], state_[kShift - 1]);
    for (size_t k = 0; k < kWords; ++k) {
      UInt y = state_[k];
      y ^= (y >> kU) & kD;
      y ^= (y << kS) & kB;
      y ^= (y << kT) & kC;
      y ^= y >> kL;
      block_[k] = y;
    }
    next_ = 0;
  }

  alignas(64) UInt state_[kWords];
  alignas(64) UInt block_[kWords];
  size_t next_ = kWords;
};

// The parameters of std::mt19937 and std::mt19937_64 ([rand.predef]).
using MersenneTwister32 = MersenneTwisterEngine<uint32_t, 624, 397, 31, 0x9908b0dfu, 11, 0xffffffffu, 7, 0x9d2c5680u,
                                                15, 0xefc60000u, 18, 1812433253u>;
using MersenneTwister64 =
    MersenneTwisterEngine<uint64_t, 312, 156, 31, 0xb5026f5aa96619e9ull, 29, 0x5555555555555555ull, 17,
                          0x71d67fffeda60000ull, 37, 0xfff7eee000000000ull, 43, 6364136223846793005ull>;

}  // namespace modelguard
