// Cancellation (core/cancel.h) as the scanner and the format layer see it: a requested stop yields a report
// marked incomplete, never one that looks clean and complete.
#include "modelguard/core/cancel.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "modelguard/formats/format.h"
#include "modelguard/scan/scanner.h"
#include "test_support.h"

namespace modelguard::scan {
namespace {

// Every test leaves the process-wide flag as it found it (cleared), pass or fail.
class CancelTest : public ::testing::Test {
 protected:
  void SetUp() override { cancel::Reset(); }
  void TearDown() override { cancel::Reset(); }
};

TEST_F(CancelTest, FlagRecordsTheFirstSignalAndItsExitCode) {
  EXPECT_FALSE(cancel::Requested());
  EXPECT_TRUE(cancel::Check("hashing").ok());
  cancel::Request(SIGTERM);
  cancel::Request(SIGINT);  // the first request wins
  EXPECT_TRUE(cancel::Requested());
  EXPECT_EQ(cancel::Signal(), SIGTERM);
  EXPECT_EQ(cancel::InterruptedExitCode(), 143);
  auto status = cancel::Check("hashing 'm'");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().message, "hashing 'm': interrupted by SIGTERM");
  cancel::Reset();
  cancel::Request(SIGINT);
  EXPECT_EQ(cancel::InterruptedExitCode(), 130);
}

TEST_F(CancelTest, SignalHandlerSetsTheFlagInsteadOfKilling) {
  cancel::InstallSignalHandlers();
  ASSERT_EQ(::raise(SIGINT), 0);  // the first signal only asks; the process lives on
  EXPECT_TRUE(cancel::Requested());
  EXPECT_EQ(cancel::Signal(), SIGINT);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  ::sigaction(SIGINT, &dfl, nullptr);  // a second one would end the test binary
  ::sigaction(SIGTERM, &dfl, nullptr);
}

TEST_F(CancelTest, InterruptedScanIsMarkedIncomplete) {
  auto policy = Policy::Default();
  ASSERT_TRUE(policy.ok());
  Scanner scanner(*policy, {});
  cancel::Request(SIGTERM);
  auto report = scanner.Scan({testing::FixtureDir() + "/malicious"});
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_FALSE(report->complete);
  EXPECT_NE(report->incomplete_reason.find("interrupted by SIGTERM"), std::string::npos) << report->incomplete_reason;
  EXPECT_TRUE(report->files.empty());  // asked before the walk: nothing was scanned, and nothing claims to be

  cancel::Reset();
  report = scanner.Scan({testing::FixtureDir() + "/malicious"});
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->complete);
  EXPECT_TRUE(report->incomplete_reason.empty());
  EXPECT_GT(report->files.size(), 30u);
}

// A member reached after the stop is not analysed and says so (limit-exceeded), once per file.
TEST_F(CancelTest, MembersAfterTheStopAreReportedNotAnalysed) {
  formats::Limits limits;
  std::vector<formats::Fact> facts;
  formats::AnalysisContext ctx(limits, facts);
  cancel::Request(SIGINT);
  const uint8_t pickle[] = {0x80, 0x02, 'c', 'o', 's', '\n', 's', 'y', 's', 't', 'e', 'm', '\n', '.'};
  ctx.AnalyzeMember("a.pkl", pickle);
  ctx.AnalyzeMember("b.pkl", pickle);
  EXPECT_FALSE(ctx.ReserveUnpacked(10, 10, 10, "c.gz"));
  size_t limit_facts = 0;
  for (const auto& f : facts) {
    EXPECT_NE(f.kind, formats::fact::kPickleImport) << "a member was analysed after the stop";
    if (f.kind == formats::fact::kLimit) {
      ++limit_facts;
      EXPECT_NE(f.detail.find("interrupted by SIGINT"), std::string::npos) << f.detail;
    }
  }
  EXPECT_EQ(limit_facts, 1u);
}

// Special files met by ScanFile directly (a caller other than Scan) are reported, never opened.
TEST_F(CancelTest, ScanFileReportsAFifoWithoutOpeningIt) {
  const auto dir = std::filesystem::temp_directory_path() / ("mg-special-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string fifo = (dir / "pipe").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto policy = Policy::Default();
  ASSERT_TRUE(policy.ok());
  Scanner scanner(*policy, {});
  const FileReport r = scanner.ScanFile(fifo);  // blocked forever before the fix
  std::filesystem::remove_all(dir);
  EXPECT_EQ(r.format, "special");
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].rule_id, "scan.special-file");
  EXPECT_NE(r.findings[0].message.find("FIFO"), std::string::npos);
}

}  // namespace
}  // namespace modelguard::scan
