// The shared byte utilities: RFC 4648 test vectors, strictness of the decoders, digests against published
// values, and whole-file I/O on the special cases every command meets (limits, directories, a full disk,
// a file rewritten onto itself).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "modelguard/core/bytes.h"
#include "modelguard/core/hash.h"
#include "modelguard/core/io.h"
#include "modelguard/core/result.h"

namespace modelguard {
namespace {

TEST(Hex, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  const std::string hex = HexEncode(all);
  EXPECT_EQ(hex.substr(0, 8), "00010203");
  EXPECT_EQ(hex.substr(hex.size() - 4), "feff");
  EXPECT_EQ(HexDecode(hex), all);
  EXPECT_EQ(HexDecode("DEADbeef"), std::string("\xde\xad\xbe\xef"));
}

TEST(Hex, RefusesOddLengthAndNonDigits) {
  EXPECT_FALSE(HexDecode("abc"));
  EXPECT_FALSE(HexDecode("zz"));
  EXPECT_FALSE(HexDecode("ab cd"));
  EXPECT_FALSE(HexDecodeFixed<2>("abcdef"));
  auto fixed = HexDecodeFixed<2>("abcd");
  ASSERT_TRUE(fixed);
  EXPECT_EQ((*fixed)[0], 0xab);
}

TEST(Hex, LowerOnlyRefusesUpperCaseDigits) {
  EXPECT_EQ(HexDecode("deadbeef", HexCase::kLowerOnly), std::string("\xde\xad\xbe\xef"));
  EXPECT_FALSE(HexDecode("deadBEEF", HexCase::kLowerOnly));
  EXPECT_FALSE(HexDecode("0g", HexCase::kLowerOnly));
  EXPECT_TRUE(HexDecodeFixed<2>("abcd", HexCase::kLowerOnly));
  EXPECT_FALSE(HexDecodeFixed<2>("ABCD", HexCase::kLowerOnly));
  EXPECT_TRUE(HexDecodeFixed<2>("ABCD"));
}

// RFC 4648 §10.
TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    EXPECT_EQ(Base64Decode(encoded), std::string(plain));
  }
}

TEST(Base64, UrlAlphabetWithoutPadding) {
  const std::string bytes("\xfb\xff\xbf", 3);
  EXPECT_EQ(Base64Encode(bytes), "+/+/");
  EXPECT_EQ(Base64Encode(bytes, Base64Alphabet::kUrl, false), "-_-_");
  EXPECT_EQ(Base64Decode("-_-_", Base64Alphabet::kUrl, Base64Padding::kForbidden), bytes);
  EXPECT_FALSE(Base64Decode("+/+/", Base64Alphabet::kUrl, Base64Padding::kForbidden));
  EXPECT_FALSE(Base64Decode("Zg==", Base64Alphabet::kUrl, Base64Padding::kForbidden));
  EXPECT_EQ(Base64Decode("Zg", Base64Alphabet::kUrl, Base64Padding::kForbidden), std::string("f"));
}

TEST(Base64, StrictDecoderRefusesWhatIsNotBase64) {
  EXPECT_FALSE(Base64Decode("Zm9v\n"));  // whitespace
  EXPECT_FALSE(Base64Decode("Zg"));      // padding required by default
  EXPECT_EQ(Base64Decode("Zg", Base64Alphabet::kStandard, Base64Padding::kOptional), std::string("f"));
  EXPECT_FALSE(Base64Decode("Z==="));  // three pads
  EXPECT_FALSE(Base64Decode("Zm9vY"));
  EXPECT_FALSE(Base64Decode("Zm=v"));  // padding in the middle
}

TEST(Base64, LenientDecoderStopsAtTheFirstStrangeCharacter) {
  EXPECT_EQ(Base64DecodeLenient("Zm9vYmFy"), "foobar");
  EXPECT_EQ(Base64DecodeLenient("Zm9v-_=="), Base64DecodeLenient("Zm9v+/"));
  EXPECT_EQ(Base64DecodeLenient("Zm9v!YmFy"), "foo");
  EXPECT_EQ(Base64DecodeLenient(""), "");
}

TEST(ConstantTimeEqual, ComparesBytesAndLengths) {
  EXPECT_TRUE(ConstantTimeEqual("secret", "secret"));
  EXPECT_FALSE(ConstantTimeEqual("secret", "secreT"));
  EXPECT_FALSE(ConstantTimeEqual("secret", "secret2"));
  EXPECT_TRUE(ConstantTimeEqual("", ""));
}

// FIPS 180-2 appendix B.1 and RFC 7693 appendix A.
TEST(Digests, KnownAnswers) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  DigestStream pieces;
  pieces.Update("a");
  pieces.Update("bc");
  EXPECT_EQ(pieces.HexDigest(), Sha256Hex("abc"));
  DigestStream blake(DigestKind::kBlake2b512);
  blake.Update("abc");
  EXPECT_EQ(
      blake.HexDigest(),
      "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925a"
      "b92386edd4009923");
  EXPECT_EQ(Sha256Bytes("abc").size(), 32u);
}

class FileIo : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("mg-io-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const char* name) const { return (dir_ / name).string(); }
  std::filesystem::path dir_;
};

TEST_F(FileIo, ReadFileCapsTheSize) {
  ASSERT_TRUE(WriteFileAtomic(Path("ten"), "0123456789"));
  EXPECT_EQ(*ReadFile(Path("ten")), "0123456789");
  auto capped = ReadFile(Path("ten"), 9);
  ASSERT_FALSE(capped);
  EXPECT_EQ(capped.error().code, ErrorCode::kLimit);
  auto missing = ReadFile(Path("missing"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kIo);
  EXPECT_NE(missing.error().message.find("missing"), std::string::npos);
  EXPECT_FALSE(ReadFile(dir_.string()));
}

TEST_F(FileIo, AtomicWriteReplacesKeepsModeAndLeavesNoTemporaries) {
  const std::string path = Path("out.json");
  ASSERT_TRUE(WriteFileAtomic(path, "old"));
  ::chmod(path.c_str(), 0640);
  // Output == input: the content is read first, then replaced as a whole.
  auto text = ReadFile(path);
  ASSERT_TRUE(text);
  ASSERT_TRUE(WriteFileAtomic(path, *text + " and new"));
  EXPECT_EQ(*ReadFile(path), "old and new");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir_)) ++entries;
  EXPECT_EQ(entries, 1u);
}

TEST_F(FileIo, AtomicWriteReportsAFullDiskAndBadTargets) {
  if (::access("/dev/full", W_OK) == 0) {
    auto full = WriteFileAtomic("/dev/full", "bytes");
    ASSERT_FALSE(full);
    EXPECT_EQ(full.error().code, ErrorCode::kIo);
  }
  EXPECT_FALSE(WriteFileAtomic(dir_.string(), "x"));
  EXPECT_FALSE(WriteFileAtomic(Path("no/such/dir/file"), "x"));
}

Result<int> Half(int value) {
  if (value % 2 != 0) return MakeError(ErrorCode::kInvalidArgument, "odd");
  return value / 2;
}
Result<int> Quarter(int value) {
  MG_ASSIGN_OR_RETURN(const int half, Half(value));
  MG_ASSIGN_OR_RETURN(const int quarter, Half(half));
  return quarter;
}
Status CheckQuarter(int value) {
  MG_TRY_CONTEXT(Quarter(value), "quarter of " + std::to_string(value) + ": ");
  MG_TRY(Half(value));
  return Ok{};
}

TEST(Try, PropagatesErrorsWithContext) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(Quarter(6).error().message, "odd");
  EXPECT_TRUE(CheckQuarter(8));
  EXPECT_EQ(CheckQuarter(6).error().message, "quarter of 6: odd");
}

Result<int> QuarterWithContext(int value) {
  MG_ASSIGN_OR_RETURN_CONTEXT(const int half, Half(value), "half of " + std::to_string(value) + ": ");
  MG_ASSIGN_OR_RETURN_CONTEXT(const int quarter, Half(half), "half of " + std::to_string(half) + ": ");
  return quarter;
}

TEST(Try, AssignOrReturnContextKeepsTheCodeAndPrefixesTheMessage) {
  EXPECT_EQ(*QuarterWithContext(12), 3);
  auto odd = QuarterWithContext(6);
  ASSERT_FALSE(odd);
  EXPECT_EQ(odd.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(odd.error().message, "half of 3: odd");
  EXPECT_EQ(QuarterWithContext(5).error().message, "half of 5: odd");
}

}  // namespace
}  // namespace modelguard
