// The shared bounded deflate reader: the three wrappings, budgets, truncation and corruption.
#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

#include "modelguard/formats/inflate.h"
#include "test_support.h"

namespace modelguard::formats {
namespace {

std::vector<uint8_t> Compress(const std::string& text, int window_bits) { return testing::Deflate(text, window_bits); }

std::string Text(const std::vector<uint8_t>& v) { return std::string(v.begin(), v.end()); }

TEST(Inflate, ReadsRawZlibAndGzip) {
  const std::string text(200000, 'a');
  for (auto [kind, bits] : {std::pair{Deflate::kRaw, -MAX_WBITS}, std::pair{Deflate::kZlib, MAX_WBITS},
                            std::pair{Deflate::kGzip, MAX_WBITS + 16}}) {
    const auto out = InflateAll(Compress(text, bits), kind, 1 << 20);
    ASSERT_TRUE(out.ok()) << out.error().message;
    EXPECT_EQ(Text(*out), text);
  }
}

TEST(Inflate, ConcatenatedGzipMembersAreReadOn) {
  auto two = Compress("first,", MAX_WBITS + 16);
  const auto second = Compress("second", MAX_WBITS + 16);
  two.insert(two.end(), second.begin(), second.end());
  const auto out = InflateAll(two, Deflate::kGzip, 100);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(Text(*out), "first,second");
}

TEST(Inflate, BudgetStopsBeforeKeeping) {
  const auto bomb = Compress(std::string(10 << 20, '\0'), MAX_WBITS + 16);
  EXPECT_LT(bomb.size(), 20000u);
  const auto out = InflateAll(bomb, Deflate::kGzip, 1 << 20);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, ErrorCode::kLimit);
  size_t seen = 0;
  const auto r = Inflate(bomb, Deflate::kGzip, [&](ByteView chunk) {
    EXPECT_LE(chunk.size(), 65536u);
    seen += chunk.size();
    return seen < 200000;
  });
  EXPECT_EQ(r.end, InflateEnd::kStopped);
  EXPECT_LT(seen, 300000u);
}

TEST(Inflate, TruncatedAndCorruptStreams) {
  const std::string text = "the quick brown fox jumps over the lazy dog, again and again and again";
  auto gz = Compress(text, MAX_WBITS + 16);
  std::vector<uint8_t> cut(gz.begin(), gz.begin() + static_cast<long>(gz.size() / 2));
  std::string partial;
  const auto r = Inflate(cut, Deflate::kGzip, [&](ByteView c) {
    partial.append(c.begin(), c.end());
    return true;
  });
  EXPECT_EQ(r.end, InflateEnd::kTruncated);
  EXPECT_EQ(text.substr(0, partial.size()), partial);
  auto bad = InflateAll(cut, Deflate::kGzip, 1000);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kParse);

  gz[10] = 0xff;  // first deflate block header: an invalid block type
  const auto corrupt = Inflate(gz, Deflate::kGzip, [](ByteView) { return true; });
  EXPECT_EQ(corrupt.end, InflateEnd::kCorrupt);
  EXPECT_FALSE(corrupt.message.empty());
  EXPECT_EQ(Inflate({}, Deflate::kRaw, [](ByteView) { return true; }).end, InflateEnd::kTruncated);
}

}  // namespace
}  // namespace modelguard::formats
