#pragma once
#include <ostream>
#include <string_view>

#include "modelguard/core/result.h"
#include "modelguard/scan/report.h"

namespace modelguard::scan {

enum class ReportFormat { kText, kJson, kSarif };
Result<ReportFormat> ParseReportFormat(std::string_view name);

struct ReportOptions {
  bool color = false;                       // ANSI colours (text only)
  Severity min_severity = Severity::kInfo;  // hide findings below this in text output
};

// Rule metadata the SARIF reporter publishes (help text, default severity).
struct RuleDescription {
  std::string id;
  Severity severity = Severity::kMedium;
  std::string summary;
  std::string remediation;
  std::vector<std::string> references;
};

void WriteTextReport(const ScanReport& report, const ReportOptions& options, std::ostream& out);
// Schema "modelguard.scan/v1", documented in docs/scan-json.md.
void WriteJsonReport(const ScanReport& report, std::ostream& out);
// SARIF 2.1.0, one run, rules taken from the policy so code-scanning UIs can show help text.
void WriteSarifReport(const ScanReport& report, const std::vector<RuleDescription>& rules, std::ostream& out);

}  // namespace modelguard::scan
