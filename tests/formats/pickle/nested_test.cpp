// Pickles inside pickle constants (issue 17): what decodes to a pickle is analysed as a member of the outer
// pickle, ordinary text is left alone, and the caps are findings. Real pickles made by CPython are in the
// fixtures (tests/fixtures/make_fixtures.py, "pickles inside pickle constants"); here the inner payload is
// written opcode by opcode so each case states its bytes.
#include <gtest/gtest.h>
#include <zlib.h>

#include "modelguard/core/bytes.h"
#include "modelguard/formats/pickle.h"
#include "modelguard/scan/policy.h"
#include "src/formats/pickle/nested.h"
#include "test_support.h"

namespace modelguard::formats::pickle {
namespace {

using namespace std::string_literals;
using modelguard::testing::HasFact;

// What pickle.dumps(obj_with_reduce_to_os_system, protocol=0) looks like.
const std::string kPayload = "cos\nsystem\n(S'id'\ntR."s;
// The same behind a protocol-4 header.
const std::string kPayload4 = "\x80\x04"s + kPayload;

// An outer protocol-4 pickle holding `constant` as BINBYTES (bytes) or BINUNICODE (str).
std::string Holding(const std::string& constant, bool as_str) {
  std::string len(4, '\0');
  for (int i = 0; i < 4; ++i) len[i] = static_cast<char>((constant.size() >> (8 * i)) & 0xFF);
  return "\x80\x04}\x8c\x04"s + "blob" + (as_str ? "X" : "B") + len + constant + "s.";
}

std::vector<Fact> ScanPickle(const std::string& bytes) {
  static const Limits limits;
  std::vector<Fact> facts;
  AnalysisContext ctx(limits, facts);
  std::vector<uint8_t> data(bytes.begin(), bytes.end());
  RunAllStreams({data.data(), data.size()}, ctx);
  return facts;
}

const Fact* Find(const std::vector<Fact>& facts, std::string_view kind, std::string_view subject = {}) {
  for (const auto& f : facts) {
    if (f.kind == kind && (subject.empty() || f.subject == subject)) return &f;
  }
  return nullptr;
}

TEST(NestedPickle, RawBytesConstantIsAnalysedWithItsPath) {
  const auto facts = ScanPickle(Holding(kPayload4, false));
  const Fact* nested = Find(facts, fact::kPickleNestedPayload);
  ASSERT_NE(nested, nullptr);
  EXPECT_EQ(nested->location, "");
  const Fact* import = Find(facts, fact::kPickleImport, "os");
  ASSERT_NE(import, nullptr);
  EXPECT_EQ(import->location, nested->subject);
  EXPECT_EQ(import->name, "system");
}

TEST(NestedPickle, EncodingsArePeeled) {
  const struct {
    std::string constant;
    std::string chain;
  } cases[] = {
      {Base64Encode(kPayload4), "base64"},
      {Base64Encode(kPayload4, Base64Alphabet::kUrl, false), "base64"},
      {HexEncode(kPayload4), "hex"},
      {kPayload, ""},  // protocol 0 text needs no header
  };
  for (const auto& c : cases) {
    const auto facts = ScanPickle(Holding(c.constant, true));
    const Fact* nested = Find(facts, fact::kPickleNestedPayload);
    ASSERT_NE(nested, nullptr) << c.chain;
    EXPECT_EQ(nested->subject, c.chain.empty() ? "pickle@9" : "pickle@9:" + c.chain);
    EXPECT_TRUE(HasFact(facts, fact::kPickleImport, "os", "system")) << c.chain;
  }
}

TEST(NestedPickle, MultistageIsFollowedToTheBottom) {
  const std::string middle = Holding(kPayload4, false);
  const auto facts = ScanPickle(Holding(Base64Encode(middle), true));
  const Fact* import = Find(facts, fact::kPickleImport, "os");
  ASSERT_NE(import, nullptr);
  EXPECT_EQ(import->location, "pickle@9:base64!pickle@9");
}

TEST(NestedPickle, OrdinaryTextIsNotAPickle) {
  for (const std::string& text : {
           "cats are nice\nand dogs too\n"s,
           "c is a letter\nN is one too\n"s,
           "config:\n  layers: 12\n"s,
           "cat\ndog\nbird\n"s,         // GLOBAL cat.dog, then BUILD on nothing: breaks without calling
           "(see below)\ncat\ndog\n"s,  // MARK, then text
           Base64Encode("just some ordinary text, nothing else"s),
           Base64Encode("(this starts with a parenthesis)\n"s),
           HexEncode("\x80\x04 followed by nothing that parses"s),
           "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"s,  // a digest
           "\x80\x04"s + std::string(64, '\0'),                                  // tensor bytes with a PROTO look
           "x^not zlib at all, just text"s,
       }) {
    const auto facts = ScanPickle(Holding(text, false));
    EXPECT_FALSE(HasFact(facts, fact::kPickleNestedPayload)) << text;
    EXPECT_FALSE(HasFact(facts, fact::kLimit)) << text;
  }
}

TEST(NestedPickle, DepthCapIsAFinding) {
  std::string p = kPayload4;
  for (uint32_t i = 0; i <= nested::kMaxDepth + 1; ++i) p = Holding(p, false);
  const auto facts = ScanPickle(p);
  const Fact* limit = Find(facts, fact::kLimit, fact::kPickleNestedPayload.id());
  ASSERT_NE(limit, nullptr);
  EXPECT_NE(limit->detail.find("levels deep"), std::string::npos);
  EXPECT_FALSE(HasFact(facts, fact::kPickleImport, "os", "system"));  // below the cap: not analysed
}

TEST(NestedPickle, PayloadCountCapIsAFinding) {
  // A list of many small nested pickles: each is analysed until the cap, then one limit fact.
  std::string p = "\x80\x04]("s;
  std::string len(4, '\0');
  len[0] = static_cast<char>(kPayload4.size());
  for (uint32_t i = 0; i < nested::kMaxPayloads + 10; ++i) p += "B"s + len + kPayload4;
  p += "e.";
  const auto facts = ScanPickle(p);
  size_t payloads = 0;
  size_t limits = 0;
  for (const auto& f : facts) {
    payloads += f.kind == fact::kPickleNestedPayload;
    limits += f.kind == fact::kLimit;
  }
  EXPECT_EQ(payloads, nested::kMaxPayloads);
  EXPECT_EQ(limits, 1u);
}

TEST(NestedPickle, DecodedBytesCapIsAFinding) {
  // A zlib stream that starts like a pickle and inflates past the budget: inflating stops and says so.
  const std::string plain = kPayload4 + std::string(nested::kMaxDecodedBytes, 'N');
  uLongf size = compressBound(plain.size());
  std::string packed(size, '\0');
  ASSERT_EQ(compress(reinterpret_cast<Bytef*>(packed.data()), &size, reinterpret_cast<const Bytef*>(plain.data()),
                     plain.size()),
            Z_OK);
  packed.resize(size);
  const auto facts = ScanPickle(Holding(packed, false));
  const Fact* limit = Find(facts, fact::kLimit, fact::kPickleNestedPayload.id());
  ASSERT_NE(limit, nullptr);
  EXPECT_NE(limit->detail.find("would exceed"), std::string::npos);
}

TEST(NestedPickle, FindingTakesTheSeverityOfTheWorstInside) {
  const auto policy = scan::Policy::Default();
  ASSERT_TRUE(policy.ok());
  const auto evil = policy->Evaluate(ScanPickle(Holding(Base64Encode(kPayload4), true)), "m.pkl");
  const auto plain =
      policy->Evaluate(ScanPickle(Holding("\x80\x04}\x94\x8c\x01"s + "a\x8c\x01" + "bs.", false)), "m.pkl");
  bool evil_critical = false;
  for (const auto& f : evil) {
    if (f.rule_id == "pickle.nested-payload")
      evil_critical = f.severity == Severity::kCritical && f.location == "m.pkl";
  }
  EXPECT_TRUE(evil_critical);
  ASSERT_FALSE(plain.empty());
  EXPECT_EQ(plain[0].rule_id, "pickle.nested-payload");
  EXPECT_EQ(plain[0].severity, Severity::kLow);
}

}  // namespace
}  // namespace modelguard::formats::pickle
