// core's Mersenne Twisters draw exactly what the standard library's do from the same seed, across several
// regenerations of the state.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "modelguard/core/mersenne_twister.h"

namespace modelguard {
namespace {

TEST(MersenneTwister, Mt19937DrawsWhatTheStandardLibraryDraws) {
  for (uint32_t seed : {0u, 1u, 5489u, 108401041u, 4294967295u}) {
    std::mt19937 expected(seed);
    MersenneTwister32 ours(seed);
    for (int i = 0; i < 3000; ++i) ASSERT_EQ(ours(), expected()) << "seed " << seed << ", draw " << i;
  }
}

TEST(MersenneTwister, Mt19937_64DrawsWhatTheStandardLibraryDraws) {
  for (uint64_t seed : {0ull, 1ull, 5489ull, 0x9e3779b97f4a7c15ull, 18446744073709551615ull}) {
    std::mt19937_64 expected(seed);
    MersenneTwister64 ours(seed);
    for (int i = 0; i < 2000; ++i) ASSERT_EQ(ours(), expected()) << "seed " << seed << ", draw " << i;
  }
  // A standard distribution takes it as it takes std::mt19937_64.
  std::mt19937_64 standard(7);
  MersenneTwister64 ours(7);
  std::uniform_int_distribution<int> die(1, 6);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(die(ours), die(standard));
}

// Generate gives in bulk what as many calls give, whatever the block boundaries and the calls between.
TEST(MersenneTwister, GenerateDrawsWhatSingleCallsDraw) {
  std::mt19937_64 expected(3);
  MersenneTwister64 ours(3);
  std::vector<uint64_t> bulk;
  for (size_t count : {0, 1, 2, 311, 312, 313, 1000, 5, 624}) {
    bulk.assign(count, 0);
    ours.Generate(bulk.data(), count);
    for (size_t i = 0; i < count; ++i) ASSERT_EQ(bulk[i], expected()) << "count " << count << ", number " << i;
    ASSERT_EQ(ours(), expected());  // a single call after each bulk one
  }
}

}  // namespace
}  // namespace modelguard
