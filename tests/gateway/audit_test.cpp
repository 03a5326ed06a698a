// The JSONL audit writer: events from many threads at once all end up in the file, in one intact chain, by
// the time the sink is closed; special files are refused instead of being read forever.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <thread>
#include <vector>

#include "modelguard/gateway/audit.h"

namespace modelguard::gateway {
namespace {
namespace fs = std::filesystem;

TEST(AuditWriter, EventsFromManyThreadsFormOneChain) {
  const std::string path =
      (fs::temp_directory_path() / ("mg-audit-threads-" + std::to_string(::getpid()) + ".jsonl")).string();
  fs::remove(path);
  constexpr int kThreads = 8, kEach = 2000;
  {
    auto sink = OpenJsonlAudit(path);
    ASSERT_TRUE(sink.ok()) << sink.error().message;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kEach; ++i) EXPECT_TRUE((*sink)->Write({{"thread", t}, {"n", i}}).ok());
      });
    }
    for (auto& t : threads) t.join();
  }  // closing writes everything still queued
  auto check = VerifyAuditChain(path);
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check->events, uint64_t{kThreads} * kEach);
  EXPECT_TRUE(check->problems.empty()) << check->problems.front();
  fs::remove(path);
}

TEST(AuditWriter, SpecialFilesAreRefused) {
  for (const char* special : {"/dev/full", "/dev/zero", "/dev/null"}) {
    auto sink = OpenJsonlAudit(special);
    ASSERT_FALSE(sink.ok()) << special;
    EXPECT_NE(sink.error().message.find("not a regular file"), std::string::npos) << sink.error().message;
  }
  EXPECT_FALSE(OpenJsonlAudit("/nonexistent-dir/audit.jsonl").ok());
}

}  // namespace
}  // namespace modelguard::gateway
