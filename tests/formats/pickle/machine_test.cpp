// Opcode-level behaviour of the symbolic pickle machine, each case checked against what CPython's
// _pickle does with the same bytes.
#include <gtest/gtest.h>

#include "modelguard/formats/npy.h"
#include "modelguard/formats/pickle.h"
#include "src/formats/pickle/text_decode.h"
#include "test_support.h"

namespace modelguard::formats::pickle {
namespace {

using namespace std::string_literals;
using modelguard::testing::Analyze;
using modelguard::testing::Bytes;
using modelguard::testing::HasFact;

std::string Sbu(std::string_view s) {  // SHORT_BINUNICODE
  return std::string("\x8c") + static_cast<char>(s.size()) + std::string(s);
}

std::vector<StreamSummary> RunPickle(const std::string& bytes, std::vector<Fact>* facts_out = nullptr) {
  static const Limits limits;
  std::vector<Fact> facts;
  AnalysisContext ctx(limits, facts);
  std::vector<uint8_t> data(bytes.begin(), bytes.end());
  auto streams = RunAllStreams({data.data(), data.size()}, ctx);
  if (facts_out) *facts_out = facts;
  return streams;
}

TEST(PickleMachine, GlobalAndReduceAreSeen) {
  std::vector<Fact> facts;
  auto s = RunPickle("cos\nsystem\n(S'id'\ntR.", &facts);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_TRUE(s[0].completed);
  EXPECT_TRUE(HasFact(facts, fact::kPickleImport, "os", "system"));
}

TEST(PickleMachine, StackGlobalResolvesOperandsFromMemo) {
  std::vector<Fact> facts;
  const std::string p =
      std::string("\x80\x04") + Sbu("subprocess") + "\x94" + Sbu("Popen") + "\x94" + "0" + "h\x00h\x01\x93"s + ")R.";
  // BINGET 0 is "subprocess" (MEMOIZE slots 0 and 1), BINGET 1 "Popen".
  auto s = RunPickle(std::string(p.data(), p.size()), &facts);
  ASSERT_TRUE(s[0].completed) << s[0].error;
  EXPECT_TRUE(HasFact(facts, fact::kPickleImport, "subprocess", "Popen"));
}

TEST(PickleMachine, MemoizeKeyIsCountOfOccupiedSlots) {
  // PUT 5 then MEMOIZE: CPython stores the second value under key 1 (memo_len), not 6.
  std::vector<Fact> facts;
  const std::string p =
      std::string("\x80\x04") + Sbu("a") + "q\x05" + Sbu("os") + "\x94" + "0" + "h\x01" + Sbu("system") + "\x93.";
  auto s = RunPickle(p, &facts);
  ASSERT_TRUE(s[0].completed) << s[0].error;
  EXPECT_TRUE(HasFact(facts, fact::kPickleImport, "os", "system"));
}

TEST(PickleMachine, MemoOverwriteIsReported) {
  std::vector<Fact> facts;
  auto s = RunPickle(std::string("\x80\x02") + "K\x01q\x00"s + "K\x02q\x00"s + ".", &facts);
  ASSERT_TRUE(s[0].completed);
  EXPECT_TRUE(HasFact(facts, fact::kPickleMemoOverwrite));
}

TEST(PickleMachine, MissingMemoEntryBreaksTheStream) {
  auto s = RunPickle("\x80\x02h\x07."s);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_FALSE(s[0].completed);
  EXPECT_NE(s[0].error.find("memo"), std::string::npos);
}

TEST(PickleMachine, PopRemovesAnEmptyMarkLikeCPython) {
  // "(0" pops the MARK itself; then N is the only value.
  auto s = RunPickle("(0N.");
  EXPECT_TRUE(s[0].completed) << s[0].error;
}

TEST(PickleMachine, MarkFenceMakesUnderflowAnError) {
  auto s = RunPickle(
      "N(0"
      "0.");  // second POP finds the stack empty below no mark -> pops N; then STOP underflows
  EXPECT_FALSE(s[0].completed);
}

TEST(PickleMachine, SetitemCannotReachBelowAMark) {
  // Found by fuzz_pickle: SETITEM popping under a MARK left the mark above the stack.
  auto s = RunPickle("}K\x01(K\x02s(t.");
  EXPECT_FALSE(s[0].completed);
  EXPECT_NE(s[0].error.find("underflow"), std::string::npos);
}

TEST(PickleMachine, StringEscapesResolveNames) {
  std::vector<Fact> facts;
  auto s = RunPickle("\x80\x02S'o\\x73'\nS'sy\\163tem'\n\x93.", &facts);
  ASSERT_TRUE(s[0].completed) << s[0].error;
  EXPECT_TRUE(HasFact(facts, fact::kPickleImport, "os", "system"));
}

TEST(PickleMachine, RawUnicodeEscapeResolvesNames) {
  std::vector<Fact> facts;
  auto s = RunPickle("\x80\x02V\\u006fs\nV\\U00000073ystem\n\x93.", &facts);
  ASSERT_TRUE(s[0].completed) << s[0].error;
  EXPECT_TRUE(HasFact(facts, fact::kPickleImport, "os", "system"));
}

TEST(PickleMachine, FixImportsMapsPython2NamesBelowProtocol3) {
  std::vector<Fact> facts;
  RunPickle("c__builtin__\neval\n.", &facts);
  EXPECT_TRUE(HasFact(facts, fact::kPickleImport, "builtins", "eval"));
  facts.clear();
  RunPickle("\x80\x04" + Sbu("__builtin__") + Sbu("eval") + "\x93.", &facts);
  EXPECT_TRUE(HasFact(facts, fact::kPickleImport, "__builtin__", "eval"));
}

TEST(PickleMachine, GlobalWithInvalidUtf8StopsBeforeImporting) {
  std::vector<Fact> facts;
  auto s = RunPickle("cmod\n\xf8\n.", &facts);
  EXPECT_FALSE(s[0].completed);
  EXPECT_FALSE(HasFact(facts, fact::kPickleImport));
}

TEST(PickleMachine, MultipleStreamsAreAllFollowed) {
  std::vector<Fact> facts;
  auto s = RunPickle(
      "\x80\x02K\x01.\x80\x02"
      "cos\nsystem\n."s,
      &facts);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_TRUE(HasFact(facts, fact::kPickleImport, "os", "system"));
}

TEST(PickleMachine, TrailingNonPickleDataIsNotAParseError) {
  std::vector<Fact> facts;
  auto s = RunPickle(std::string("\x80\x02K\x01.") +
                         "\x00\x10\x00\x00"
                         "garbage"s,
                     &facts);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_TRUE(HasFact(facts, fact::kPickleTrailingData));
  EXPECT_FALSE(HasFact(facts, fact::kParseError));
}

TEST(PickleMachine, RawStorageThatLooksLikeProtoIsTrailingData) {
  // A storage of 128 elements starts with the count 0x80 0x00...: PROTO 0 followed by garbage.
  std::vector<Fact> facts;
  auto s = RunPickle("\x80\x02K\x01."s +
                         "\x80\x00\x00\x00\x00\x00\x00\x00"
                         "\x00\x00\x80\x3f"s,
                     &facts);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_TRUE(HasFact(facts, fact::kPickleTrailingData));
  EXPECT_FALSE(HasFact(facts, fact::kParseError));
}

TEST(PickleMachine, TorchLegacyStopsAfterFivePickles) {
  const std::string magic = "\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19\x2e"s;
  const std::string small = "\x80\x02N."s;
  std::vector<Fact> facts;
  // A sixth pickle after the storage keys is never unpickled by torch.load.
  auto s = RunPickle(magic + small + small + small + small + "\x80\x02cos\nsystem\n."s, &facts);
  EXPECT_EQ(s.size(), 5u);
  EXPECT_TRUE(HasFact(facts, fact::kPickleTrailingData));
  EXPECT_FALSE(HasFact(facts, fact::kPickleImport, "os", "system"));
}

TEST(PickleMachine, FindingsBeforeABreakAreKept) {
  std::vector<Fact> facts;
  auto s = RunPickle("cos\nsystem\n(S'id'\ntRX\xff\xff", &facts);
  EXPECT_FALSE(s[0].completed);
  EXPECT_TRUE(HasFact(facts, fact::kPickleImport, "os", "system"));
  EXPECT_TRUE(HasFact(facts, fact::kParseError));
}

TEST(PickleMachine, FrameCrossedByAnOpcodeIsReported) {
  std::vector<Fact> facts;
  std::string p = std::string("\x80\x04\x95") + std::string("\x02\x00\x00\x00\x00\x00\x00\x00", 8) + Sbu("abc") + ".";
  auto s = RunPickle(p, &facts);
  ASSERT_TRUE(s[0].completed) << s[0].error;
  EXPECT_TRUE(HasFact(facts, fact::kPickleFrameMismatch));
}

TEST(PickleMachine, FrameBeyondEndOfDataIsAnError) {
  auto s = RunPickle(std::string("\x80\x04\x95") + std::string("\xff\x00\x00\x00\x00\x00\x00\x00", 8) + "N.");
  EXPECT_FALSE(s[0].completed);
}

TEST(PickleMachine, LargePayloadsAreSkippedNotRejected) {
  std::string p = "\x80\x04\x8e";
  const uint64_t n = 5'000'000;
  for (int i = 0; i < 8; ++i) p += static_cast<char>((n >> (8 * i)) & 0xff);
  p += std::string(n, 'x');
  p += "0N.";
  std::vector<Fact> facts;
  auto s = RunPickle(p, &facts);
  ASSERT_TRUE(s[0].completed) << s[0].error;
  EXPECT_TRUE(facts.empty());
}

TEST(PickleMachine, HugeLengthIsTruncationNotACrash) {
  auto s = RunPickle(std::string("\x80\x04\x8d") + std::string("\xff\xff\xff\xff\xff\xff\xff\x7f", 8) + "ab");
  EXPECT_FALSE(s[0].completed);
  EXPECT_NE(s[0].error.find("truncated"), std::string::npos);
}

TEST(PickleMachine, InstAndObjImportAndCall) {
  std::vector<Fact> facts;
  RunPickle("(S'id'\nisubprocess\nPopen\n.", &facts);
  EXPECT_TRUE(HasFact(facts, fact::kPickleImport, "subprocess", "Popen"));
  facts.clear();
  auto s = RunPickle("\x80\x02(cbuiltins\nexec\nS'1'\no.", &facts);
  EXPECT_TRUE(s[0].completed) << s[0].error;
  EXPECT_TRUE(HasFact(facts, fact::kPickleImport, "builtins", "exec"));
}

TEST(PickleMachine, ExtensionOpcodesAreReported) {
  std::vector<Fact> facts;
  RunPickle("\x80\x02\x83\x01\x02.", &facts);
  EXPECT_TRUE(HasFact(facts, fact::kPickleExtension, "513"));
  auto s = RunPickle(std::string("\x80\x02\x82\x00.", 4));
  EXPECT_FALSE(s[0].completed);  // code 0 is rejected by CPython
}

TEST(PickleMachine, BuildOnImportedModuleRewritesLaterImports) {
  // torch._utils gets attribute _rebuild_tensor = "builtins"; re-importing it yields that str, which
  // STACK_GLOBAL then uses as a module name.
  std::vector<Fact> facts;
  const std::string p = std::string("\x80\x04") + Sbu("torch") + Sbu("_utils") + "\x93" + "}" + Sbu("f") +
                        Sbu("builtins") + "sb0" + Sbu("torch._utils") + Sbu("f") + "\x93" + Sbu("eval") + "\x93.";
  auto s = RunPickle(p, &facts);
  ASSERT_TRUE(s[0].completed) << s[0].error;
  EXPECT_TRUE(HasFact(facts, fact::kPickleGlobalMutation, "torch", "_utils"));
  EXPECT_TRUE(HasFact(facts, fact::kPickleImport, "builtins", "eval"));
}

TEST(PickleMachine, ComputedStackGlobalOperandsAreDynamicImports) {
  std::vector<Fact> facts;
  const std::string p =
      std::string("\x80\x04") + Sbu("builtins") + Sbu("str") + "\x93" + Sbu("os") + "\x85R" + Sbu("system") + "\x93.";
  auto s = RunPickle(p, &facts);
  ASSERT_TRUE(s[0].completed) << s[0].error;
  EXPECT_TRUE(HasFact(facts, fact::kPickleDynamicImport));
}

TEST(PickleMachine, StackGlobalOnIntsIsAnErrorLikeCPython) {
  auto s = RunPickle("\x80\x04K\x01K\x02\x93.");
  EXPECT_FALSE(s[0].completed);
  EXPECT_NE(s[0].error.find("requires str"), std::string::npos);
}

TEST(PickleMachine, UnsupportedProtocolStops) {
  auto s = RunPickle("\x80\x06N.");
  EXPECT_FALSE(s[0].completed);
}

TEST(PickleMachine, NextBufferWithoutBuffersFails) {
  std::vector<Fact> facts;
  auto s = RunPickle("\x80\x05\x97.", &facts);
  EXPECT_FALSE(s[0].completed);
  EXPECT_TRUE(HasFact(facts, fact::kPickleOutOfBandBuffer));
}

TEST(PickleMachine, EveryOpcodeOfAllProtocolsRoundTrips) {
  // A stream using each non-import opcode once, as CPython accepts it.
  std::string p = "\x80\x05"s;
  p += "(I42\nI01\nL7L\nF1.5\n"s;
  p += "J\x01\x00\x00\x00"
       "K\x01"
       "M\x01\x00"
       "\x8a\x01\x05"
       "\x8b\x01\x00\x00\x00\x05"s;
  p += "N"
       "G\x3f\xf0\x00\x00\x00\x00\x00\x00"
       "\x88\x89"s;
  p += "S'x'\n"
       "T\x01\x00\x00\x00"
       "y"
       "U\x01"
       "z"
       "Vw\n"
       "X\x01\x00\x00\x00"
       "a"s;
  p += "\x8c\x01"
       "b"
       "\x8d\x01\x00\x00\x00\x00\x00\x00\x00"
       "c"s;
  p += "B\x01\x00\x00\x00"
       "\x01"
       "C\x01"
       "\x02"
       "\x8e\x01\x00\x00\x00\x00\x00\x00\x00"
       "\x03"s;
  p += "\x96\x01\x00\x00\x00\x00\x00\x00\x00"
       "\x04"
       "\x98"s;
  p += "]"
       "K\x01"
       "a"
       "K\x02"
       "K\x03"
       "\x85"
       "K\x04"
       "K\x05"
       "K\x06"
       "\x87\x86"s;
  p += "}"
       "K\x01"
       "K\x02"
       "s"
       "("
       "K\x03"
       "K\x04"
       "u"
       "\x8f"
       "("
       "K\x01"
       "\x90"s;
  p += "("
       "K\x01"
       "\x91"
       "("
       "K\x01"
       "l"
       "("
       "K\x01"
       "t"
       ")"s;
  p += "p0\n"
       "q\x01"
       "r\x02\x00\x00\x00"
       "\x94"
       "g0\n"
       "h\x01"
       "j\x02\x00\x00\x00"
       "2"s;
  p += "("
       "K\x01"
       "K\x02"
       "d"
       "("
       "N"
       "1"
       "t."s;
  std::vector<Fact> facts;
  auto s = RunPickle(p, &facts);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_TRUE(s[0].completed) << s[0].error << " at " << s[0].end;
}

TEST(PickleMachine, JoblibArrayBytesAreSkippedExactly) {
  // A real joblib header layout: wrapper, state dict with shape (2,), dtype <f8, alignment byte.
  const std::string wrapper = std::string("\x80\x04") + Sbu("joblib.numpy_pickle") + Sbu("NumpyArrayWrapper") +
                              "\x93)\x81}(" + Sbu("shape") + "K\x02\x85" + Sbu("dtype") + Sbu("numpy") + Sbu("dtype") +
                              "\x93" + Sbu("f8") + "\x89\x88\x87R" + Sbu("numpy_array_alignment_bytes") + "K\x10" +
                              "ub";
  std::string p = wrapper + std::string("\x03\xff\xff\xff", 4) + std::string(16, '\x2e') + "cos\nsystem\n.";
  std::vector<Fact> facts;
  auto s = RunPickle(p, &facts);
  ASSERT_TRUE(s[0].completed) << s[0].error;
  EXPECT_TRUE(HasFact(facts, fact::kPickleImport, "os", "system"));
}

TEST(PickleMachine, SniffAcceptsPicklesAndRejectsNoise) {
  const auto yes = [](std::string s) {
    return LooksLikePickle({reinterpret_cast<const uint8_t*>(s.data()), s.size()});
  };
  EXPECT_TRUE(yes("\x80\x02N."));
  EXPECT_TRUE(yes("(lp0\nVa\np1\na."));
  EXPECT_TRUE(yes("cos\nsystem\n(S'x'\ntR"));
  EXPECT_FALSE(yes("cmod\n\xf8\n"));
  EXPECT_FALSE(yes("\x89PNG\r\n\x1a\n"));
  EXPECT_FALSE(yes("hello world"));
  EXPECT_FALSE(yes(""));
}

TEST(PickleText, DecodersFollowCPython) {
  EXPECT_EQ(*text::DecodeEscapes("a\\x41\\101\\n\\q"), "aAA\n\\q");
  EXPECT_FALSE(text::DecodeEscapes("\\x4").has_value());
  EXPECT_EQ(*text::DecodeRawUnicodeEscape("\\u0041\\\\u0041"), "A\\\\u0041");
  EXPECT_TRUE(text::IsUtf8SurrogatePass("\xed\xa0\x80"));
  EXPECT_FALSE(text::IsUtf8Strict("\xed\xa0\x80"));
  EXPECT_FALSE(text::IsUtf8Strict("\xc0\xaf"));  // overlong
}

TEST(PickleNumpy, ItemSizes) {
  bool obj = false;
  EXPECT_EQ(npy::ItemSize("<f8", &obj), 8u);
  EXPECT_EQ(npy::ItemSize("|b1", &obj), 1u);
  EXPECT_EQ(npy::ItemSize("<U10", &obj), 40u);
  EXPECT_EQ(npy::ItemSize("<M8[ns]", &obj), 8u);
  EXPECT_EQ(npy::ItemSize("|O", &obj), 8u);
  EXPECT_TRUE(obj);
  EXPECT_FALSE(npy::ItemSize("<x9", &obj).has_value());
}

}  // namespace
}  // namespace modelguard::formats::pickle
