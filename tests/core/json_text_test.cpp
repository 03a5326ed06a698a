// The direct JSON writer: byte for byte what nlohmann's dump (replace handler, no ASCII escaping) writes for
// the same string, on hostile text (controls, quotes, every lone byte and byte pair, truncated, overlong and
// surrogate sequences, random bytes); its output always parses; numbers read back to the same value.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <vector>

#include "modelguard/core/json_text.h"

namespace modelguard {
namespace {

std::string Reference(const std::string& text) {
  return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string Written(std::string_view text) {
  std::string out = "prefix:";  // appends, never replaces
  AppendJsonString(out, text);
  EXPECT_EQ(out.substr(0, 7), "prefix:");
  return out.substr(7);
}

void ExpectLikeReference(const std::string& text) {
  const std::string written = Written(text);
  EXPECT_EQ(written, Reference(text)) << "input bytes: " << ::testing::PrintToString(text);
  const auto parsed = nlohmann::json::parse(written, nullptr, false);  // strict: valid UTF-8 only
  EXPECT_FALSE(parsed.is_discarded()) << written;
  EXPECT_EQ(written.find('\n'), std::string::npos);
}

TEST(JsonText, EscapesLikeTheDomSerializer) {
  EXPECT_EQ(Written(""), "\"\"");
  EXPECT_EQ(Written("plain /v1/chat"), "\"plain /v1/chat\"");
  EXPECT_EQ(Written("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(Written(std::string("\b\f\n\r\t\x01\x1f\x7f", 8)), "\"\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\"");
  EXPECT_EQ(Written(std::string("nul\0byte", 8)), "\"nul\\u0000byte\"");
  EXPECT_EQ(Written("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"), "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"");
  // Not UTF-8: one U+FFFD per maximal ill-formed part; the byte that ended a bad sequence is read again.
  EXPECT_EQ(Written("a\xFF"
                    "b"),
            "\"a\xEF\xBF\xBD"
            "b\"");
  EXPECT_EQ(Written("\xE2\x82"), "\"\xEF\xBF\xBD\"");                              // truncated at the end
  EXPECT_EQ(Written("\xE2\x82x"), "\"\xEF\xBF\xBDx\"");                            // truncated before ASCII
  EXPECT_EQ(Written("\xC0\xAF"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");                  // overlong '/'
  EXPECT_EQ(Written("\xED\xA0\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");  // a surrogate
  EXPECT_EQ(Written("\xF4\x90\x80\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
  for (const std::string& hostile : std::vector<std::string>{
           std::string("\"\\\"\\\\\""), std::string("\x00\x01\x02\x1b[31m", 8), std::string("\xEF\xBB\xBF"),
           std::string("\xF0\x9F\x98"), std::string("\xE0\x80\x80"), std::string("\xF0\x80\x80\x80"),
           std::string("\xF8\x88\x80\x80\x80"), std::string("\xC2"), std::string("\x80\x80\x80"),
           std::string("\xED\x9F\xBF\xEE\x80\x80"), std::string("\xF4\x8F\xBF\xBF"), std::string("x\xC3\x28y"),
           std::string(100000, '"'), std::string(1 << 20, 'p') + "\xFF"}) {
    ExpectLikeReference(hostile);
  }
}

TEST(JsonText, EveryByteAndEveryBytePairMatchesTheDomSerializer) {
  for (int a = 0; a < 256; ++a) {
    ExpectLikeReference(std::string(1, static_cast<char>(a)));
    for (int b = 0; b < 256; ++b) {
      const std::string pair{static_cast<char>(a), static_cast<char>(b)};
      if (Written(pair) != Reference(pair)) {
        ADD_FAILURE() << "bytes " << a << " " << b;
        return;
      }
    }
  }
}

TEST(JsonText, SpecialBytesAtEveryOffsetOfALongText) {
  // Plain text is skipped eight bytes at a time: every special byte, and every start of a multi-byte
  // sequence, at every offset of a word, is still found.
  const std::vector<std::string> specials = {
      "\"",   "\\",       std::string(1, '\0'), "\x1f",         "\n", "\x7f", "\xC3\xA9", "\xE2\x82\xAC",
      "\xFF", "\xE2\x82", "\xF0\x9F\x98\x80",   "\xED\xA0\x80", " ",  "~"};
  for (const std::string& special : specials) {
    for (size_t at = 0; at <= 24; ++at) {
      std::string text(24, 'a');
      text.insert(at, special);
      ExpectLikeReference(text);
      ExpectLikeReference(text.substr(0, at + special.size()));  // the special bytes last
    }
  }
}

TEST(JsonText, RandomBytesMatchTheDomSerializer) {
  std::mt19937 random(16);
  // Mostly bytes of multi-byte sequences, so the decoder meets every state, with ASCII and controls mixed in.
  const std::string alphabet =
      "a\"\\\n\x01\x7f"
      "\x80\x8f\x90\x9f\xa0\xbf\xc0\xc1\xc2\xdf\xe0\xe1\xec\xed\xee\xef\xf0\xf1\xf3\xf4\xf5\xff";
  for (int round = 0; round < 20000; ++round) {
    std::string text(random() % 40, ' ');
    // Long plain stretches between the hostile bytes, so the word-at-a-time scan starts at every offset.
    for (char& c : text) c = random() % 3 == 0 ? alphabet[random() % alphabet.size()] : 'p';
    const std::string written = Written(text);
    if (written != Reference(text)) {
      ADD_FAILURE() << "input bytes: " << ::testing::PrintToString(text);
      return;
    }
    ASSERT_FALSE(nlohmann::json::parse(written, nullptr, false).is_discarded());
  }
}

std::string Number(double value) {
  std::string out;
  AppendJsonNumber(out, value);
  return out;
}

TEST(JsonText, DoublesAreSpelledLikeTheDomSerializer) {
  EXPECT_EQ(Number(0.0), "0.0");
  EXPECT_EQ(Number(-0.0), "-0.0");
  EXPECT_EQ(Number(1.0), "1.0");
  EXPECT_EQ(Number(123.0), "123.0");
  EXPECT_EQ(Number(-2.5), "-2.5");
  EXPECT_EQ(Number(0.746406), "0.746406");
  EXPECT_EQ(Number(0.0001), "0.0001");
  EXPECT_EQ(Number(0.00012), "0.00012");
  EXPECT_EQ(Number(1e-05), "1e-05");
  EXPECT_EQ(Number(1.25e-7), "1.25e-07");
  EXPECT_EQ(Number(1e14), "100000000000000.0");
  EXPECT_EQ(Number(1e15), "1e+15");
  EXPECT_EQ(Number(1.5e300), "1.5e+300");
  EXPECT_EQ(Number(5e-324), "5e-324");
  EXPECT_EQ(Number(std::numeric_limits<double>::max()), "1.7976931348623157e+308");
  EXPECT_EQ(Number(std::nan("")), "null");
  EXPECT_EQ(Number(std::numeric_limits<double>::infinity()), "null");
  for (double value : {0.0, 1.0, 0.5, 12.75, 1234.5678, 0.001, 1e-05, 1e15, 1e100, -3.25e-9, 1e14}) {
    EXPECT_EQ(Number(value), nlohmann::json(value).dump()) << value;
  }
}

TEST(JsonText, DoublesReadBackToTheSameValue) {
  std::mt19937_64 random(16);
  for (int round = 0; round < 100000; ++round) {
    const uint64_t bits = random();
    double value;
    std::memcpy(&value, &bits, sizeof value);
    if (!std::isfinite(value)) continue;
    const std::string text = Number(value);
    const auto parsed = nlohmann::json::parse(text, nullptr, false);
    ASSERT_TRUE(parsed.is_number_float()) << text;
    ASSERT_EQ(parsed.get<double>(), value) << text;
    // Never longer than the DOM serializer's spelling (which is not always the shortest).
    ASSERT_LE(text.size(), nlohmann::json(value).dump().size()) << text;
  }
}

TEST(JsonText, IntegersAsDigits) {
  std::string out;
  AppendJsonNumber(out, int64_t{-42});
  out += ',';
  AppendJsonNumber(out, std::numeric_limits<int64_t>::min());
  out += ',';
  AppendJsonNumber(out, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(out, "-42,-9223372036854775808,18446744073709551615");
}

}  // namespace
}  // namespace modelguard
