// core's clock reads the system clock as Unix time: seconds and milliseconds agree with each other and with
// std::time, and neither is a fixed or zero value.
#include "modelguard/core/clock.h"

#include <gtest/gtest.h>

#include <ctime>

namespace modelguard {
namespace {

TEST(Clock, SecondsAndMillisecondsAreTheSystemClocksUnixTime) {
  const auto before = static_cast<int64_t>(std::time(nullptr));
  const int64_t seconds = NowUnixSeconds();
  const int64_t milliseconds = NowUnixMilliseconds();
  const auto after = static_cast<int64_t>(std::time(nullptr));
  EXPECT_GE(seconds, before);
  EXPECT_LE(seconds, after);
  EXPECT_GE(milliseconds / 1000, seconds);
  EXPECT_LE(milliseconds / 1000, after);
  EXPECT_GT(seconds, 1767225600);  // after 2026-01-01: a real clock, not an epoch or a zero
}

}  // namespace
}  // namespace modelguard
