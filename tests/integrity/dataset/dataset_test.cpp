// Dataset manifests: record splitting as CSV/JSONL readers see records, round trip through JSON, and
// comparison that tells changed, added and removed files and records apart.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "modelguard/integrity/dataset.h"

namespace modelguard::integrity {
namespace {
namespace fs = std::filesystem;

TEST(SplitRecords, CsvKeepsQuotedNewlinesAndDropsCarriageReturns) {
  const auto csv = SplitRecords("a,b\r\n1,\"two\nlines\"\r\n\"say \"\"hi\"\"\",3\n", true);
  ASSERT_EQ(csv.size(), 3u);
  EXPECT_EQ(csv[1], "1,\"two\nlines\"");
  EXPECT_EQ(csv[2], "\"say \"\"hi\"\"\",3");
  const auto jsonl = SplitRecords("{\"a\":1}\n\n{\"a\":2}", false);
  ASSERT_EQ(jsonl.size(), 2u);
  EXPECT_EQ(jsonl[1], "{\"a\":2}");
}

class Dataset : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mg-dataset-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "split");
    std::ofstream(dir_ / "split" / "train.jsonl") << "{\"text\":\"one\"}\n{\"text\":\"two\"}\n";
    std::ofstream(dir_ / "labels.csv") << "id,label\n1,cat\n2,dog\n";
    std::ofstream(dir_ / "README.md") << "# data\n";
  }
  void TearDown() override { fs::remove_all(dir_); }
  DatasetManifest Build() {
    DatasetOptions options;
    options.records = true;
    auto m = BuildDatasetManifest(dir_.string(), options);
    EXPECT_TRUE(m.ok());
    return *m;
  }
  fs::path dir_;
};

TEST_F(Dataset, RoundTripsThroughJson) {
  const auto built = Build();
  EXPECT_EQ(built.records.size(), 2u);  // README.md is not a record file
  EXPECT_EQ(built.records.at("split/train.jsonl").count, 2u);
  auto parsed = ParseDatasetManifest(DatasetManifestJson(built));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_TRUE(CompareDatasets(*parsed, Build()).ok());
  EXPECT_EQ(parsed->files.root_digest, built.files.root_digest);
  EXPECT_FALSE(ParseDatasetManifest("{\"schema\":\"other\"}").ok());
  EXPECT_FALSE(ParseDatasetManifest("not json").ok());
}

TEST_F(Dataset, ChangesAreReportedPerFileAndPerRecord) {
  const auto before = Build();
  std::ofstream(dir_ / "labels.csv") << "id,label\n1,cat\n2,wolf\n";  // same count, other content
  std::ofstream(dir_ / "split" / "train.jsonl", std::ios::app) << "{\"text\":\"poison\"}\n";  // one more
  std::ofstream(dir_ / "extra.bin") << "x";
  fs::remove(dir_ / "README.md");
  const auto comparison = CompareDatasets(before, Build());
  EXPECT_FALSE(comparison.ok());
  int modified = 0, extra = 0, missing = 0;
  for (const auto& d : comparison.files) {
    modified += d.kind == FileDifference::kModified;
    extra += d.kind == FileDifference::kExtra;
    missing += d.kind == FileDifference::kMissing;
  }
  EXPECT_EQ(modified, 2);
  EXPECT_EQ(extra, 1);
  EXPECT_EQ(missing, 1);
  ASSERT_EQ(comparison.records.size(), 2u);
  EXPECT_NE(comparison.records[0].find("same number of records (3), different content"), std::string::npos);
  EXPECT_NE(comparison.records[1].find("2 records signed, 3 now"), std::string::npos);
}

}  // namespace
}  // namespace modelguard::integrity
