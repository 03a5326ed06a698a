#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "modelguard/scan/reporters.h"

namespace modelguard::scan {
namespace {

ScanReport SampleReport() {
  ScanReport r;
  r.tool_version = "test";
  FileReport f;
  f.path = "models/a b.pt";
  f.format = "pytorch-zip";
  f.size = 10;
  f.findings.push_back({"pickle.dangerous-import",
                        Severity::kCritical,
                        "models/a b.pt!archive/data.pkl",
                        42,
                        "imports os.system",
                        "os.system",
                        "do not load",
                        {"CVE-2025-1716"}});
  f.findings.push_back({"zip.crc-mismatch", Severity::kMedium, "models/a b.pt", 7, "crc", "", "", {}});
  r.files.push_back(f);
  FileReport clean;
  clean.path = "ok.pt";
  r.files.push_back(clean);
  return r;
}

TEST(Reporters, JsonCarriesSchemaAndEveryFinding) {
  std::ostringstream out;
  WriteJsonReport(SampleReport(), out);
  auto doc = nlohmann::json::parse(out.str());
  EXPECT_EQ(doc["schema"], "modelguard.scan/v1");
  EXPECT_EQ(doc["summary"]["findings"]["critical"], 1);
  ASSERT_EQ(doc["files"].size(), 2u);
  EXPECT_EQ(doc["files"][0]["findings"][0]["offset"], 42);
  EXPECT_EQ(doc["files"][0]["max_severity"], "critical");
  EXPECT_TRUE(doc["files"][1]["max_severity"].is_null());
}

TEST(Reporters, SarifIsStructurallyValid) {
  std::ostringstream out;
  WriteSarifReport(SampleReport(), {{"zip.crc-mismatch", Severity::kMedium, "CRC", "fix", {}}}, out);
  auto doc = nlohmann::json::parse(out.str());
  EXPECT_EQ(doc["version"], "2.1.0");
  const auto& run = doc["runs"][0];
  const auto& rules = run["tool"]["driver"]["rules"];
  ASSERT_EQ(run["results"].size(), 2u);
  for (const auto& result : run["results"]) {
    const size_t index = result["ruleIndex"];
    ASSERT_LT(index, rules.size());
    EXPECT_EQ(rules[index]["id"], result["ruleId"]);
    EXPECT_TRUE(result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].is_string());
  }
  EXPECT_EQ(run["results"][0]["level"], "error");
  EXPECT_EQ(run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "models/a%20b.pt");
  // Member offsets are not file offsets: no region for them; the file-level finding keeps its offset.
  EXPECT_FALSE(run["results"][0]["locations"][0]["physicalLocation"].contains("region"));
  EXPECT_EQ(run["results"][1]["locations"][0]["physicalLocation"]["region"]["byteOffset"], 7);
}

TEST(Reporters, TextSummarisesAndHidesInfo) {
  auto report = SampleReport();
  report.files[1].findings.push_back({"unknown-format", Severity::kInfo, "ok.pt", std::nullopt, "unknown", "", "", {}});
  std::ostringstream out;
  WriteTextReport(report, {}, out);
  const std::string text = out.str();
  EXPECT_NE(text.find("pickle.dangerous-import"), std::string::npos);
  EXPECT_NE(text.find("2 file(s) scanned"), std::string::npos);
  ReportOptions hide;
  hide.min_severity = Severity::kLow;
  std::ostringstream quiet;
  WriteTextReport(report, hide, quiet);
  EXPECT_EQ(quiet.str().find("unknown-format"), std::string::npos);
}

TEST(Severity, ParsesNames) {
  EXPECT_EQ(ParseSeverity("HIGH"), Severity::kHigh);
  EXPECT_FALSE(ParseSeverity("urgent").has_value());
}

// An interrupted scan must not read as a clean, complete one in any format.
TEST(Reporters, IncompleteScanIsMarkedInEveryFormat) {
  ScanReport r = SampleReport();
  {
    std::ostringstream out;
    WriteJsonReport(r, out);
    auto doc = nlohmann::json::parse(out.str());
    EXPECT_EQ(doc["complete"], true);
    EXPECT_FALSE(doc.contains("incomplete_reason"));
    std::ostringstream sarif;
    WriteSarifReport(r, {}, sarif);
    EXPECT_EQ(nlohmann::json::parse(sarif.str())["runs"][0]["invocations"][0]["executionSuccessful"], true);
  }
  r.complete = false;
  r.incomplete_reason = "interrupted by SIGTERM after 2 of 9 files";
  std::ostringstream json, sarif, text;
  WriteJsonReport(r, json);
  auto doc = nlohmann::json::parse(json.str());
  EXPECT_EQ(doc["complete"], false);
  EXPECT_EQ(doc["incomplete_reason"], r.incomplete_reason);
  WriteSarifReport(r, {}, sarif);
  const auto sarif_doc = nlohmann::json::parse(sarif.str());
  const auto& invocation = sarif_doc["runs"][0]["invocations"][0];
  EXPECT_EQ(invocation["executionSuccessful"], false);
  EXPECT_NE(invocation["toolExecutionNotifications"][0]["message"]["text"].get<std::string>().find("SIGTERM"),
            std::string::npos);
  WriteTextReport(r, {}, text);
  EXPECT_NE(text.str().find("INCOMPLETE: interrupted by SIGTERM after 2 of 9 files"), std::string::npos) << text.str();
}

}  // namespace
}  // namespace modelguard::scan
