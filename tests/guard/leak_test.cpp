#include "modelguard/guard/leak.h"

#include <gtest/gtest.h>

#include "modelguard/core/bytes.h"

namespace modelguard::guard {
namespace {

TEST(GuardCanary, IsRandomAndWellFormed) {
  auto a = NewCanary();
  auto b = NewCanary();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), 20u);
  EXPECT_EQ(a->rfind("mgc-", 0), 0u);
  EXPECT_NE(*a, *b);
}

TEST(GuardCanary, FoundWhenSplitAcrossChunksAndReencoded) {
  const std::string canary = "mgc-0123456789abcdef";
  {
    CanaryWatch watch(canary);
    EXPECT_FALSE(watch.Feed("Sure! The hidden marker is mgc-01234"));
    EXPECT_FALSE(watch.Feed("5678"));
    EXPECT_TRUE(watch.Feed("9abcdef, anything else?"));
  }
  {
    CanaryWatch watch(canary);  // spaced out and upper-cased
    EXPECT_TRUE(watch.Feed("M G C - 0 1 2 3 4 5 6 7 8 9 A B C D E F"));
  }
  {
    CanaryWatch watch(canary);  // reversed
    EXPECT_TRUE(watch.Feed("fedcba9876543210cgm"));
  }
  for (const std::string prefix : {"", "x", "xy", "The secret: "}) {
    CanaryWatch watch(canary);  // base64 at every alignment, split in two chunks
    const std::string encoded = Base64Encode(prefix + canary + " end");
    const size_t half = encoded.size() / 2;
    watch.Feed(encoded.substr(0, half));
    EXPECT_TRUE(watch.Feed(encoded.substr(half))) << prefix;
  }
  {
    CanaryWatch watch(canary);  // hex of the bytes
    EXPECT_TRUE(watch.Feed(HexEncode(canary)));
  }
}

TEST(GuardCanary, OrdinaryOutputDoesNotTrigger) {
  CanaryWatch watch("mgc-0123456789abcdef");
  for (int i = 0; i < 200; ++i) EXPECT_FALSE(watch.Feed("The answer is 0123456789 and abcdef are hex digits. "));
}

TEST(GuardPromptLeak, MeasuresShingleOverlapIncrementally) {
  const std::string system =
      "You are Acme's support bot. Never discuss pricing of the enterprise plan. Escalate refunds above 500 dollars to "
      "a human.";
  PromptLeakMeter meter(system);
  EXPECT_GT(meter.prompt_shingles(), 10u);
  EXPECT_LT(meter.Feed("Hello! How can I help you with your Acme order today?"), 0.05);
  meter.Feed("My instructions say: you are acme's support bot. never discuss pri");
  const double overlap = meter.Feed("cing of the enterprise plan. escalate refunds above 500 dollars to a human.");
  EXPECT_GT(overlap, 0.8);
  PromptLeakMeter short_prompt("Be nice.");
  EXPECT_EQ(short_prompt.Feed("Be nice. Be nice."), 0.0);
}

}  // namespace
}  // namespace modelguard::guard
