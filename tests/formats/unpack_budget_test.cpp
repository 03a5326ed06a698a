// Decompression budgets (Limits, UnpackBuffer): a bomb is one archive.decompression-bomb finding, stopped at
// the member, total, held-at-once or ratio cap, and never hides the members after it.
#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

#include "modelguard/formats/format.h"
#include "test_support.h"

namespace modelguard::formats {
namespace {

using testing::FixtureDir;
using testing::HasFact;
using testing::ReadFile;

std::vector<uint8_t> Gzip(const std::vector<uint8_t>& in) {
  return testing::Deflate(std::string_view(reinterpret_cast<const char*>(in.data()), in.size()), MAX_WBITS + 16);
}

std::vector<Fact> AnalyzeWith(const Limits& limits, const std::vector<uint8_t>& data) {
  std::vector<Fact> facts;
  AnalysisContext ctx(limits, facts);
  AnalyzeBuffer({data.data(), data.size()}, ctx);
  return facts;
}

const Fact* Find(const std::vector<Fact>& facts, FactKind kind) {
  for (const Fact& f : facts) {
    if (f.kind == kind) return &f;
  }
  return nullptr;
}

TEST(DecompressionBudget, ZipAndGzipBombsAreFindingsNotAnalysedContent) {
  for (const char* name : {"/hostile/zip_bomb.zip", "/hostile/gzip_bomb.gz"}) {
    const auto facts = testing::Analyze(ReadFile(FixtureDir() + name));
    EXPECT_TRUE(HasFact(facts, fact::kDecompressionBomb)) << name;
    EXPECT_FALSE(HasFact(facts, fact::kUnknownFormat)) << name << ": the zeros must not be analysed";
  }
}

TEST(DecompressionBudget, ABombDoesNotHideTheMembersAfterIt) {
  const auto facts = testing::Analyze(ReadFile(FixtureDir() + "/hostile/tar_bomb_then_payload.tar"));
  EXPECT_TRUE(HasFact(facts, fact::kDecompressionBomb, "<gzip>"));
  EXPECT_TRUE(HasFact(facts, fact::kPickleImport, "posix", "system"));
}

TEST(DecompressionBudget, RatioStopsABombBeforeTheMemberCap) {
  const auto bomb = Gzip(std::vector<uint8_t>(32 << 20, 0));  // 32 MiB of zeros in ~32 KB
  Limits limits;
  const auto facts = AnalyzeWith(limits, bomb);
  const Fact* f = Find(facts, fact::kDecompressionBomb);
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->detail.find("200:1"), std::string::npos) << f->detail;
  limits.max_compression_ratio = 0;  // configurable: off, the zeros are analysed (and are no format)
  const auto unchecked = AnalyzeWith(limits, bomb);
  EXPECT_FALSE(HasFact(unchecked, fact::kDecompressionBomb));
  EXPECT_TRUE(HasFact(unchecked, fact::kUnknownFormat));
}

TEST(DecompressionBudget, NestedMembersShareTheInMemoryBudget) {
  // gzip(gzip(6 MiB) + 6 MiB): the outer member holds 6 MiB while the inner one decompresses 6 MiB more.
  std::vector<uint8_t> inner = Gzip(std::vector<uint8_t>(6 << 20, 'a'));
  inner.resize(inner.size() + (6 << 20), 0);
  const auto outer = Gzip(inner);
  Limits limits;
  limits.max_compression_ratio = 0;
  EXPECT_FALSE(HasFact(AnalyzeWith(limits, outer), fact::kDecompressionBomb));
  limits.max_unpacked_held = 10 << 20;
  const auto facts = AnalyzeWith(limits, outer);
  const Fact* f = Find(facts, fact::kDecompressionBomb);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->location, "<gzip>");  // the inner member, not the outer one
  EXPECT_NE(f->detail.find("in memory at once"), std::string::npos) << f->detail;
}

TEST(DecompressionBudget, BuffersReleaseWhatTheyHeldAndTheTotalIsReportedOnce) {
  Limits limits;
  limits.max_member_size = 4 << 20;
  limits.max_unpacked_held = 5 << 20;
  limits.max_total_unpacked = 10 << 20;
  limits.max_compression_ratio = 0;
  std::vector<Fact> facts;
  AnalysisContext ctx(limits, facts);
  const std::vector<uint8_t> mib(1 << 20, 'x');
  UnpackBuffer buffer(ctx);
  // Members of 3 MiB one after the other fit the 5 MiB held budget: each Start releases the previous one.
  for (int member = 0; member < 3; ++member) {
    buffer.Start("m" + std::to_string(member), 1);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(buffer.Append(mib)) << member;
    EXPECT_EQ(buffer.size(), uint64_t{3} << 20);
    EXPECT_EQ(buffer.view()[0], 'x');
  }
  EXPECT_TRUE(facts.empty());
  // The 10 MiB total is spent after one more MiB: one finding, then silence for later members.
  buffer.Start("m3", 1);
  EXPECT_TRUE(buffer.Append(mib));
  EXPECT_FALSE(buffer.Append(mib));
  buffer.Start("m4", 1);
  EXPECT_FALSE(buffer.Append(mib));
  ASSERT_EQ(facts.size(), 1u);
  EXPECT_EQ(facts[0].kind, fact::kDecompressionBomb);
  EXPECT_EQ(facts[0].subject, "m3");
}

TEST(DecompressionBudget, MemberCapAndSparseWrites) {
  Limits limits;
  limits.max_member_size = 1 << 20;
  std::vector<Fact> facts;
  AnalysisContext ctx(limits, facts);
  UnpackBuffer buffer(ctx);
  buffer.Start("sparse", 0);
  const uint8_t one = 1;
  ASSERT_TRUE(buffer.WriteAt(1000, ByteView(&one, 1)));  // the gap reads as zeros
  EXPECT_EQ(buffer.size(), 1001u);
  EXPECT_EQ(buffer.view()[999], 0);
  EXPECT_EQ(buffer.view()[1000], 1);
  EXPECT_FALSE(buffer.WriteAt(limits.max_member_size, ByteView(&one, 1)));
  ASSERT_EQ(facts.size(), 1u);
  EXPECT_NE(facts[0].detail.find("max_member_size"), std::string::npos);
}

}  // namespace
}  // namespace modelguard::formats
