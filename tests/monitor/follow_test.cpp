// Following an audit file as the gateway appends to it: whole lines only, partial lines completed later,
// over-long lines skipped, truncation and rotation, resuming from a saved position; and the transparency log.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "modelguard/integrity/log.h"
#include "modelguard/monitor/follow.h"
#include "modelguard/monitor/stream.h"
#include "tests/test_support.h"

namespace modelguard::monitor {
namespace {

void Append(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out << text;
}

std::vector<std::string> PollAll(AuditFollower& follower, uint64_t max = 1000) {
  std::vector<std::string> lines;
  auto got = follower.Poll([&](std::string_view line) { lines.emplace_back(line); }, max);
  EXPECT_TRUE(got) << (got ? "" : got.error().message);
  return lines;
}

TEST(FollowJsonl, WholeLinesOnlyAndPartialLinesCompletedLater) {
  const auto dir = testing::TempDir("follow_partial");
  const std::string path = dir + "/audit.jsonl";
  Append(path, "{\"seq\":0}\n{\"seq\":1}\n{\"seq\":");
  auto follower = FollowJsonl(path);
  ASSERT_TRUE(follower) << follower.error().message;
  EXPECT_EQ(PollAll(**follower), (std::vector<std::string>{"{\"seq\":0}", "{\"seq\":1}"}));
  // The position stops before the line being written.
  EXPECT_EQ((*follower)->Position()["offset"], 20u);
  EXPECT_TRUE(PollAll(**follower).empty());
  Append(path, "2}\n\n{\"seq\":3}\n");
  EXPECT_EQ(PollAll(**follower), (std::vector<std::string>{"{\"seq\":2}", "{\"seq\":3}"}));
  // At most max_events at a time, continuing exactly after the last one given.
  Append(path, "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n");
  EXPECT_EQ(PollAll(**follower, 2), (std::vector<std::string>{"{\"a\":1}", "{\"a\":2}"}));
  EXPECT_EQ(PollAll(**follower, 2), (std::vector<std::string>{"{\"a\":3}"}));
}

TEST(FollowJsonl, OverLongLinesAreSkippedAndCounted) {
  const auto dir = testing::TempDir("follow_long");
  const std::string path = dir + "/audit.jsonl";
  Append(path, "{\"before\":1}\n" + std::string(kMaxAuditLineBytes + 10, 'x') + "\n{\"after\":1}\n");
  auto follower = FollowJsonl(path);
  ASSERT_TRUE(follower);
  EXPECT_EQ(PollAll(**follower), (std::vector<std::string>{"{\"before\":1}", "{\"after\":1}"}));
  EXPECT_EQ((*follower)->skipped(), 1u);
  // Over-long and still being written: skipped once its newline arrives.
  Append(path, std::string(3 * kMaxAuditLineBytes, 'y'));
  EXPECT_TRUE(PollAll(**follower).empty());
  Append(path, "yy\n{\"end\":1}\n");
  EXPECT_EQ(PollAll(**follower), (std::vector<std::string>{"{\"end\":1}"}));
  EXPECT_EQ((*follower)->skipped(), 2u);
}

TEST(FollowJsonl, TruncatedFileIsReadFromItsStartAndRotatedFileToItsEnd) {
  const auto dir = testing::TempDir("follow_rotate");
  const std::string path = dir + "/audit.jsonl";
  Append(path, "{\"old\":1}\n{\"old\":2}\n");
  auto follower = FollowJsonl(path);
  ASSERT_TRUE(follower);
  EXPECT_EQ(PollAll(**follower).size(), 2u);
  // Truncated in place and rewritten shorter.
  { std::ofstream(path, std::ios::trunc) << "{\"new\":1}\n"; }
  EXPECT_EQ(PollAll(**follower), (std::vector<std::string>{"{\"new\":1}"}));
  // Rotation: the old file gets a last line and is renamed; a new file takes the path. The gateway may still
  // append to the old file until it reopens, so the old file is followed for a second more.
  Append(path, "{\"last_of_old\":1}\n");
  std::filesystem::rename(path, path + ".1");
  Append(path, "{\"first_of_new\":1}\n");
  EXPECT_EQ(PollAll(**follower), (std::vector<std::string>{"{\"last_of_old\":1}"}));
  Append(path + ".1", "{\"late_in_old\":1}\n");
  EXPECT_EQ(PollAll(**follower), (std::vector<std::string>{"{\"late_in_old\":1}"}));
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_EQ(PollAll(**follower), (std::vector<std::string>{"{\"first_of_new\":1}"}));
}

TEST(FollowJsonl, ResumesOnlyWhereThePositionStillDescribesTheFile) {
  const auto dir = testing::TempDir("follow_resume");
  const std::string path = dir + "/audit.jsonl";
  Append(path, "{\"seq\":0}\n{\"seq\":1}\n");
  nlohmann::json position;
  {
    auto follower = FollowJsonl(path);
    ASSERT_TRUE(follower);
    EXPECT_EQ(PollAll(**follower).size(), 2u);
    position = (*follower)->Position();
  }
  Append(path, "{\"seq\":2}\n");
  {
    auto follower = FollowJsonl(path);
    auto where = (*follower)->Resume(position);
    ASSERT_TRUE(where);
    EXPECT_NE(where->find("resuming at byte 20"), std::string::npos) << *where;
    EXPECT_EQ(PollAll(**follower), (std::vector<std::string>{"{\"seq\":2}"}));
  }
  // Another file under the same name (its first line differs): from its start.
  { std::ofstream(path, std::ios::trunc) << "{\"other\":0}\n{\"other\":1}\n{\"other\":2}\n"; }
  {
    auto follower = FollowJsonl(path);
    auto where = (*follower)->Resume(position);
    ASSERT_TRUE(where);
    EXPECT_NE(where->find("first bytes differ"), std::string::npos) << *where;
    EXPECT_EQ(PollAll(**follower).size(), 3u);
  }
  // A position past the end (the file was cut): from the start.
  position["offset"] = 1000000;
  {
    auto follower = FollowJsonl(path);
    auto where = (*follower)->Resume(position);
    ASSERT_TRUE(where);
    EXPECT_NE(where->find("shorter"), std::string::npos);
    EXPECT_EQ(PollAll(**follower).size(), 3u);
  }
  // Garbage positions are not trusted.
  for (const auto& bad : {nlohmann::json(), nlohmann::json{{"kind", "jsonl"}, {"offset", -5}},
                          nlohmann::json{{"kind", "log"}, {"next_index", 1}}}) {
    auto follower = FollowJsonl(path);
    auto where = (*follower)->Resume(bad);
    ASSERT_TRUE(where);
    EXPECT_EQ(PollAll(**follower).size(), 3u) << bad.dump();
  }
}

TEST(FollowJsonl, AFirstLineOverTheLimitDoesNotDefeatResuming) {
  const auto dir = testing::TempDir("follow_long_first");
  const std::string path = dir + "/audit.jsonl";
  Append(path, std::string(kMaxAuditLineBytes + 5, 'x') + "\n{\"seq\":1}\n");
  nlohmann::json position;
  {
    auto follower = FollowJsonl(path);
    EXPECT_EQ(PollAll(**follower), (std::vector<std::string>{"{\"seq\":1}"}));
    position = (*follower)->Position();
  }
  Append(path, "{\"seq\":2}\n");
  auto follower = FollowJsonl(path);
  auto where = (*follower)->Resume(position);
  ASSERT_TRUE(where);
  EXPECT_NE(where->find("resuming"), std::string::npos) << *where;
  EXPECT_EQ(PollAll(**follower), (std::vector<std::string>{"{\"seq\":2}"}));
  // A position of the wrong types is not trusted, and not an exception either.
  auto fresh = FollowJsonl(path);
  auto typed = (*fresh)->Resume(nlohmann::json{{"kind", 1}, {"offset", "x"}, {"head_sha256", 5}});
  ASSERT_TRUE(typed);
  EXPECT_NE(typed->find("no saved position"), std::string::npos);
}

TEST(FollowJsonl, SpecialFilesAndMissingFilesAreErrors) {
  const auto dir = testing::TempDir("follow_special");
  const std::string fifo = dir + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto refused = FollowJsonl(fifo);  // must not block waiting for a writer
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("not a regular file"), std::string::npos);
  EXPECT_FALSE(FollowJsonl(dir));
  EXPECT_FALSE(FollowJsonl(dir + "/missing.jsonl"));
  EXPECT_FALSE(FollowJsonl("/dev/null"));
}

TEST(FollowLog, GatewayAuditEntriesInOrderAndResumable) {
  const auto dir = testing::TempDir("follow_log");
  const std::string path = dir + "/audit.sqlite";
  {
    auto log = integrity::TransparencyLog::Open(path, "test-origin");
    ASSERT_TRUE(log) << log.error().message;
    ASSERT_TRUE((*log)->Append("{\"n\":0}", "gateway-audit"));
    ASSERT_TRUE((*log)->Append("a signature bundle", "signature"));
    ASSERT_TRUE((*log)->Append("{\"n\":1}", "gateway-audit"));
  }
  nlohmann::json position;
  {
    auto follower = FollowAudit(path);
    ASSERT_TRUE(follower) << follower.error().message;
    EXPECT_EQ(PollAll(**follower), (std::vector<std::string>{"{\"n\":0}", "{\"n\":1}"}));
    position = (*follower)->Position();
    EXPECT_EQ(position["next_index"], 3u);
  }
  {
    auto log = integrity::TransparencyLog::Open(path);
    ASSERT_TRUE(log);
    ASSERT_TRUE((*log)->Append("{\"n\":2}", "gateway-audit"));
  }
  auto follower = FollowAudit(path);
  ASSERT_TRUE(follower);
  ASSERT_TRUE((*follower)->Resume(position));
  EXPECT_EQ(PollAll(**follower), (std::vector<std::string>{"{\"n\":2}"}));
  // A log that does not exist is an error, not a new empty log.
  EXPECT_FALSE(FollowAudit(dir + "/missing.sqlite"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/missing.sqlite"));
}

}  // namespace
}  // namespace modelguard::monitor
