// Personal data in datasets: found per column with the guard's recognisers, redacted in the same format,
// and fail-closed when a value cannot be examined completely.
#include "modelguard/data/pii.h"

#include <gtest/gtest.h>

#include <sstream>

#include "tests/guard/shipped_guard.h"

namespace modelguard::data {
namespace {

TEST(DataPii, CountsPerColumnAndEntity) {
  std::istringstream in(
      "name,contact,note\n"
      "Ann,ann.lee@example.com,call +1 415 555 0134\n"
      "Bob,bob@example.org,no data here\n"
      "Cy,none,key AKIAIOSFODNN7EXAMPLE\n");
  DataScanOptions options;
  options.format = TableFormat::kCsv;
  auto report = ScanTable(in, guard::Shipped(), options);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->records, 3u);
  EXPECT_EQ(report->values, 9u);
  EXPECT_EQ(report->columns["contact"].entities["EMAIL"], 2u);
  EXPECT_EQ(report->columns["contact"].values_with_entities, 2u);
  EXPECT_EQ(report->columns["name"].values_with_entities, 0u);
  EXPECT_GE(report->by_entity["EMAIL"], 2u);
  EXPECT_FALSE(report->clean());
  ASSERT_FALSE(report->examples.empty());
  EXPECT_EQ(report->examples[0].line, 2u);
  EXPECT_EQ(report->examples[0].column, "contact");
  // Values never appear in the report.
  EXPECT_EQ(ToJson(*report).dump().find("ann.lee"), std::string::npos);
}

TEST(DataPii, RedactionKeepsTheFormat) {
  std::istringstream in("{\"id\":1,\"text\":\"mail me at ann.lee@example.com\",\"meta\":{\"n\":2}}\n{\"id\":2}\n");
  std::ostringstream out;
  DataScanOptions options;
  auto report = RedactTable(in, out, guard::Shipped(), guard::RedactMode::kMask, options);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(out.str(), "{\"id\":1,\"text\":\"mail me at [EMAIL]\",\"meta\":{\"n\":2}}\n{\"id\":2}\n");
}

TEST(DataPii, ACleanFileIsClean) {
  std::istringstream in("q,a\nWhat is 2+2?,4\n");
  DataScanOptions options;
  options.format = TableFormat::kCsv;
  auto report = ScanTable(in, guard::Shipped(), options);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->clean());
}

TEST(DataPii, RedactionFailsClosed) {
  // A value longer than the guard examines, and a line that is not JSON: nothing may pass as clean.
  for (const std::string& text : {"{\"t\":\"" + std::string((1 << 20) + 10, 'a') + " x@y.example\"}\n",
                                 std::string("{\"t\":\"ok\"}\nnot json\n")}) {
    std::istringstream in(text);
    std::ostringstream out;
    auto report = RedactTable(in, out, guard::Shipped(), guard::RedactMode::kMask, DataScanOptions{});
    ASSERT_FALSE(report.ok());
    EXPECT_NE(report.error().message.find("nothing was written"), std::string::npos) << report.error().message;
    std::istringstream again(text);
    auto scan = ScanTable(again, guard::Shipped(), DataScanOptions{});
    ASSERT_TRUE(scan.ok());
    EXPECT_FALSE(scan->clean());
    EXPECT_EQ(scan->unexamined + scan->bad_records, 1u);
  }
}

}  // namespace
}  // namespace modelguard::data
