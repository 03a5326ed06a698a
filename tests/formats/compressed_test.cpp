// Whole-file compression: decoders whose memory the header sets are capped before they allocate.
#include <gtest/gtest.h>

#include "modelguard/formats/format.h"
#include "test_support.h"

namespace modelguard::formats {
namespace {

TEST(Compressed, LzmaDictionaryClaimsAreABudgetNotAnAllocation) {
  // lzma-alone: properties 0x5D, a 4 GiB - 256 dictionary, unknown size, then stream bytes.
  std::string header("\x5d\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 13);
  auto facts = testing::Analyze(testing::Bytes(header + std::string(64, '\0')));
  EXPECT_TRUE(testing::HasFact(facts, fact::kLimit, "<lzma>"));
  EXPECT_FALSE(testing::HasFact(facts, fact::kParseError));
}

}  // namespace
}  // namespace modelguard::formats
