// monitor run's library: planted drift in 2 of 10 columns found and only there, a new category found,
// audit logs' nested signals compared as dotted columns, NumPy arrays read, columns skipped with reasons,
// and refusals.
#include "modelguard/monitor/batch.h"
#include "test_support.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>

namespace modelguard::monitor {
namespace {

// A CSV with x0..x9 ~ N(0, 1) (x0 and x1 shifted by `shift`), a city (with "Oslo" at `new_share`), an id.
void WriteTable(const std::string& path, int rows, double shift, double new_share, uint64_t seed) {
  std::mt19937_64 random(seed);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> uniform;
  std::ofstream out(path);
  out << "id,x0,x1,x2,x3,x4,x5,x6,x7,x8,x9,city\n";
  const char* cities[] = {"Paris", "Lyon", "Nice"};
  for (int r = 0; r < rows; ++r) {
    out << r;
    for (int i = 0; i < 10; ++i) out << "," << normal(random) + (i < 2 ? shift : 0);
    out << "," << (uniform(random) < new_share ? "Oslo" : cities[random() % 3]) << "\n";
  }
}

const ColumnReport* Find(const BatchReport& report, const std::string& name) {
  for (const auto& column : report.columns)
    if (column.name == name) return &column;
  return nullptr;
}

TEST(MonitorBatch, PlantedShiftAndNewCategoryAreFoundWhereTheyAre) {
  const std::string dir = testing::TempDir("monitor-batch");
  for (int rows : {800, 3000}) {  // tests (<= 1,000 reference rows) and distances (above)
    WriteTable(dir + "/ref.csv", rows, 0, 0, 1);
    WriteTable(dir + "/cur.csv", rows, 0.5, 0.2, 2);
    auto report = CompareDatasets(dir + "/ref.csv", dir + "/cur.csv", BatchOptions{});
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(report->columns.size(), 11u);  // id is excluded by default
    EXPECT_EQ(Find(*report, "id"), nullptr);
    for (const auto& column : report->columns) {
      const bool planted = column.name == "x0" || column.name == "x1" || column.name == "city";
      EXPECT_EQ(column.verdict.drift, planted)
          << rows << " " << column.name << " " << column.verdict.test << " " << column.verdict.statistic;
      EXPECT_EQ(column.verdict.test,
                column.name == "city" ? (rows <= 1000 ? "chi2" : "js") : (rows <= 1000 ? "ks" : "wasserstein"));
    }
    EXPECT_FALSE(report->dataset_drift);  // 3 of 11 columns
    EXPECT_NEAR(report->drifted_share, 3.0 / 11, 1e-12);
    // The plotted shares sum to one on each side.
    const ColumnReport* x0 = Find(*report, "x0");
    ASSERT_NE(x0, nullptr);
    double total = 0;
    for (double s : x0->current_shares) total += s;
    EXPECT_NEAR(total, 1, 1e-9);
  }
  // Same distribution on both sides: no column drifts at 800 rows with these seeds.
  WriteTable(dir + "/same.csv", 800, 0, 0, 3);
  WriteTable(dir + "/ref.csv", 800, 0, 0, 1);
  auto same = CompareDatasets(dir + "/ref.csv", dir + "/same.csv", BatchOptions{});
  ASSERT_TRUE(same);
  EXPECT_EQ(same->drifted_share, 0);
}

TEST(MonitorBatch, ChosenTestsAndDatasetShare) {
  const std::string dir = testing::TempDir("monitor-tests");
  WriteTable(dir + "/ref.csv", 600, 0, 0, 1);
  WriteTable(dir + "/cur.csv", 600, 0.5, 0.2, 2);
  BatchOptions options;
  options.tests = {"psi", "ks"};
  options.columns = {"x0", "x2", "city"};
  options.dataset_share = 0.6;
  auto report = CompareDatasets(dir + "/ref.csv", dir + "/cur.csv", options);
  ASSERT_TRUE(report) << report.error().message;
  ASSERT_EQ(report->columns.size(), 3u);
  EXPECT_EQ(report->columns[0].verdict.test, "psi");
  ASSERT_EQ(report->columns[0].also.size(), 1u);  // ks applies to numeric columns as well
  EXPECT_EQ(report->columns[2].verdict.test, "psi");
  EXPECT_TRUE(report->columns[2].also.empty());  // ks does not apply to a categorical column
  EXPECT_TRUE(report->dataset_drift);            // x0 and city: 2 of 3 >= 0.6
  options.tests = {"nope"};
  EXPECT_FALSE(CompareDatasets(dir + "/ref.csv", dir + "/cur.csv", options));
  options.tests = {};
  options.columns = {"salary"};
  EXPECT_FALSE(CompareDatasets(dir + "/ref.csv", dir + "/cur.csv", options));
  options.columns = {};
  options.dataset_share = 0;
  EXPECT_FALSE(CompareDatasets(dir + "/ref.csv", dir + "/cur.csv", options));
}

TEST(MonitorBatch, AuditLogSignalsAreDottedColumns) {
  const std::string dir = testing::TempDir("monitor-audit");
  std::mt19937_64 random(5);
  std::gamma_distribution<double> latency(2, 50);
  std::uniform_real_distribution<double> uniform;
  for (const auto& [name, refusal_rate] : {std::pair<std::string, double>{"a.jsonl", 0.05}, {"b.jsonl", 0.10}}) {
    std::ofstream out(dir + "/" + name);
    for (int i = 0; i < 2000; ++i)
      out << "{\"time\":" << 1000 + i << ",\"route\":\"chat\",\"signals\":{\"latency_ms\":" << latency(random)
          << ",\"refusal\":" << (uniform(random) < refusal_rate ? "true" : "false")
          << ",\"guard\":{\"injection\":" << uniform(random) << "}},\"note\":\"free text " << i << "\"}\n";
    out << "not json\n";
  }
  BatchOptions options;
  options.tests = {"ks", "z"};  // z for the binary refusal flag, KS for the scores
  auto report = CompareDatasets(dir + "/a.jsonl", dir + "/b.jsonl", options);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->reference_rows, 2000u);  // the broken line is a problem, not a row
  const ColumnReport* refusal = Find(*report, "signals.refusal");
  ASSERT_NE(refusal, nullptr);
  EXPECT_EQ(refusal->verdict.test, "z");
  EXPECT_TRUE(refusal->verdict.drift);  // the refusal rate doubled
  const ColumnReport* latency_column = Find(*report, "signals.latency_ms");
  ASSERT_NE(latency_column, nullptr);
  EXPECT_FALSE(latency_column->verdict.drift);
  EXPECT_NE(Find(*report, "signals.guard.injection"), nullptr);
  EXPECT_EQ(Find(*report, "time"), nullptr);  // excluded by default
  bool note_skipped = false;
  for (const auto& skipped : report->skipped) note_skipped |= skipped.name == "note";
  EXPECT_TRUE(note_skipped);  // free text has no distribution to compare
}

TEST(MonitorBatch, NumpyArraysAndBadInputs) {
  const std::string dir = testing::TempDir("monitor-npy");
  const nlohmann::json made = testing::RunPythonReference("tests/monitor/make_arrays.py", {{{"dir", dir}}});
  ASSERT_EQ(made.size(), 1u);
  auto report = CompareDatasets(dir + "/ref.npy", dir + "/cur.npy", BatchOptions{});
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_TRUE(report->dataset_drift) << report->drifted_share;  // every feature shifted by 1 sd
  EXPECT_FALSE(CompareDatasets(dir + "/missing.csv", dir + "/cur.npy", BatchOptions{}));
  EXPECT_FALSE(CompareDatasets(dir, dir + "/cur.npy", BatchOptions{}));
  std::ofstream(dir + "/empty.jsonl") << "";
  auto empty = CompareDatasets(dir + "/empty.jsonl", dir + "/empty.jsonl", BatchOptions{});
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->columns.empty());
  EXPECT_FALSE(empty->dataset_drift);
}

TEST(MonitorBatch, JsonAndHtmlReports) {
  const std::string dir = testing::TempDir("monitor-html");
  WriteTable(dir + "/ref.csv", 300, 0, 0, 1);
  WriteTable(dir + "/cur.csv", 300, 1.0, 0, 2);
  auto report = CompareDatasets(dir + "/ref.csv", dir + "/cur.csv", BatchOptions{});
  ASSERT_TRUE(report);
  const auto json = ToJson(*report);
  EXPECT_EQ(json["schema"], "modelguard.monitor-run/v1");
  EXPECT_EQ(json["columns"].size(), report->columns.size());
  EXPECT_TRUE(json["columns"][0].contains("p_value"));
  const std::string html = RenderHtml(*report);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  // Nothing loaded from elsewhere: the only URL is the SVG namespace.
  size_t at = 0;
  while ((at = html.find("http", at)) != std::string::npos) {
    EXPECT_EQ(html.compare(at, 26, "http://www.w3.org/2000/svg"), 0) << html.substr(at, 40);
    ++at;
  }
}

}  // namespace
}  // namespace modelguard::monitor
