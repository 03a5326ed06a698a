#include "modelguard/scan/reporters.h"

#include <cstring>
#include <iomanip>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "modelguard/core/io.h"

namespace modelguard::scan {
namespace {

using nlohmann::ordered_json;

const char* Color(Severity s) {
  switch (s) {
    case Severity::kCritical:
      return "\033[1;31m";
    case Severity::kHigh:
      return "\033[31m";
    case Severity::kMedium:
      return "\033[33m";
    case Severity::kLow:
      return "\033[36m";
    case Severity::kInfo:
      return "\033[2m";
  }
  return "";
}

// SARIF levels and GitHub's numeric security-severity (its documented bands: >=9 critical, >=7 high,
// >=4 medium, >0 low).
const char* SarifLevel(Severity s) {
  return s >= Severity::kHigh ? "error" : s == Severity::kMedium ? "warning" : "note";
}
const char* SecuritySeverity(Severity s) {
  switch (s) {
    case Severity::kCritical:
      return "9.5";
    case Severity::kHigh:
      return "8.0";
    case Severity::kMedium:
      return "5.5";
    case Severity::kLow:
      return "3.0";
    case Severity::kInfo:
      return "0.5";
  }
  return "0.5";
}

// Percent-encodes what a URI reference may not contain, keeping '/' so paths stay readable.
std::string UriEncode(const std::string& path) {
  std::ostringstream out;
  for (unsigned char c : path) {
    if (std::isalnum(c) || std::strchr("-._~/", c) != nullptr)
      out << c;
    else
      out << '%' << std::uppercase << std::hex << std::setw(2) << std::setfill('0') << static_cast<int>(c) << std::dec;
  }
  return out.str();
}

ordered_json FindingJson(const Finding& f) {
  ordered_json j;
  j["rule_id"] = f.rule_id;
  j["severity"] = ToString(f.severity);
  j["location"] = f.location;
  j["offset"] = f.offset ? ordered_json(*f.offset) : ordered_json(nullptr);
  j["message"] = f.message;
  j["evidence"] = f.evidence;
  j["remediation"] = f.remediation;
  j["references"] = f.references;
  return j;
}

}  // namespace

Result<ReportFormat> ParseReportFormat(std::string_view name) {
  if (name == "text") return ReportFormat::kText;
  if (name == "json") return ReportFormat::kJson;
  if (name == "sarif") return ReportFormat::kSarif;
  return MakeError(ErrorCode::kInvalidArgument, "unknown format '" + std::string(name) + "' (text, json, sarif)");
}

void WriteTextReport(const ScanReport& report, const ReportOptions& options, std::ostream& out) {
  const char* reset = options.color ? "\033[0m" : "";
  std::map<Severity, size_t> counts;
  size_t flagged_files = 0;
  for (const auto& file : report.files) {
    std::vector<const Finding*> shown;
    for (const auto& f : file.findings) {
      ++counts[f.severity];
      if (f.severity >= options.min_severity) shown.push_back(&f);
    }
    if (shown.empty()) continue;
    ++flagged_files;
    // Names and messages (which quote names from inside files) are escaped: text is for terminals.
    out << EscapeControlCharacters(file.path) << "  [" << file.format << ", " << file.size << " bytes]\n";
    for (const Finding* f : shown) {
      out << "  " << (options.color ? Color(f->severity) : "") << std::left << std::setw(8) << ToString(f->severity)
          << reset << " " << f->rule_id;
      if (f->location != file.path) out << "  at " << EscapeControlCharacters(f->location);
      if (f->offset) out << " @" << *f->offset;
      out << "\n      " << EscapeControlCharacters(f->message) << "\n";
      if (!f->remediation.empty()) out << "      fix: " << f->remediation << "\n";
    }
  }
  out << report.files.size() << " file(s) scanned in " << std::fixed << std::setprecision(2) << report.seconds << " s; "
      << flagged_files << " with findings";
  for (Severity s : {Severity::kCritical, Severity::kHigh, Severity::kMedium, Severity::kLow, Severity::kInfo}) {
    if (counts[s]) out << ", " << counts[s] << " " << ToString(s);
  }
  out << "\n";
  if (!report.complete) {
    out << "INCOMPLETE: " << report.incomplete_reason << "; files not listed were not scanned\n";
  }
}

void WriteJsonReport(const ScanReport& report, std::ostream& out) {
  ordered_json doc;
  doc["schema"] = "modelguard.scan/v1";
  doc["tool"] = {{"name", "modelguard"}, {"version", report.tool_version}};
  doc["seconds"] = report.seconds;
  doc["complete"] = report.complete;
  if (!report.complete) doc["incomplete_reason"] = report.incomplete_reason;
  ordered_json summary;
  for (Severity s : {Severity::kCritical, Severity::kHigh, Severity::kMedium, Severity::kLow, Severity::kInfo}) {
    size_t n = 0;
    for (const auto& f : report.files) {
      for (const auto& x : f.findings) n += x.severity == s;
    }
    summary[ToString(s)] = n;
  }
  doc["summary"] = {{"files", report.files.size()}, {"findings", summary}};
  ordered_json files = ordered_json::array();
  for (const auto& file : report.files) {
    ordered_json fj;
    fj["path"] = file.path;
    fj["format"] = file.format;
    fj["size"] = file.size;
    fj["seconds"] = file.seconds;
    fj["max_severity"] = file.findings.empty() ? ordered_json(nullptr) : ordered_json(ToString(file.MaxSeverity()));
    fj["members"] = file.members_scanned;
    ordered_json fs = ordered_json::array();
    for (const auto& f : file.findings) fs.push_back(FindingJson(f));
    fj["findings"] = std::move(fs);
    files.push_back(std::move(fj));
  }
  doc["files"] = std::move(files);
  out << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

void WriteSarifReport(const ScanReport& report, const std::vector<RuleDescription>& rules, std::ostream& out) {
  ordered_json rule_array = ordered_json::array();
  std::map<std::string, size_t> index;
  auto add_rule = [&](const RuleDescription& r) {
    index[r.id] = rule_array.size();
    ordered_json rj;
    rj["id"] = r.id;
    rj["name"] = r.id;
    rj["shortDescription"] = {{"text", r.summary.empty() ? r.id : r.summary}};
    rj["fullDescription"] = {{"text", r.summary.empty() ? r.id : r.summary}};
    std::string help = r.remediation;
    for (const auto& ref : r.references) help += "\nReference: " + ref;
    rj["help"] = {{"text", help.empty() ? r.id : help}};
    rj["defaultConfiguration"] = {{"level", SarifLevel(r.severity)}};
    rj["properties"] = {{"security-severity", SecuritySeverity(r.severity)}, {"tags", {"security", "ml-supply-chain"}}};
    rule_array.push_back(std::move(rj));
  };
  for (const auto& r : rules) add_rule(r);

  ordered_json results = ordered_json::array();
  for (const auto& file : report.files) {
    for (const auto& f : file.findings) {
      if (!index.count(f.rule_id)) add_rule({f.rule_id, f.severity, f.rule_id, f.remediation, f.references});
      ordered_json r;
      r["ruleId"] = f.rule_id;
      r["ruleIndex"] = index[f.rule_id];
      r["level"] = SarifLevel(f.severity);
      std::string text = f.message;
      if (!f.evidence.empty()) text += " [" + f.evidence + "]";
      r["message"] = {{"text", text}};
      ordered_json physical;
      physical["artifactLocation"] = {{"uri", UriEncode(file.path)}};
      // Byte offsets are only meaningful for the file itself, not for members inside containers.
      if (f.offset && f.location == file.path) physical["region"] = {{"byteOffset", *f.offset}, {"byteLength", 1}};
      ordered_json location;
      location["physicalLocation"] = std::move(physical);
      if (f.location != file.path) {
        location["logicalLocations"] = ordered_json::array({{{"fullyQualifiedName", f.location}, {"kind", "member"}}});
      }
      r["locations"] = ordered_json::array({std::move(location)});
      r["properties"] = {{"severity", ToString(f.severity)}, {"security-severity", SecuritySeverity(f.severity)}};
      results.push_back(std::move(r));
    }
  }
  ordered_json doc;
  doc["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json";
  doc["version"] = "2.1.0";
  ordered_json run;
  run["tool"] = {{"driver",
                  {{"name", "modelguard"},
                   {"version", report.tool_version},
                   {"semanticVersion", report.tool_version},
                   {"rules", std::move(rule_array)}}}};
  run["results"] = std::move(results);
  // An interrupted scan is an unsuccessful invocation (SARIF 2.1.0 §3.20.14), with the reason as a
  // tool execution notification, so a code-scanning upload does not read it as a clean run.
  ordered_json invocation;
  invocation["executionSuccessful"] = report.complete;
  if (!report.complete) {
    invocation["toolExecutionNotifications"] = ordered_json::array(
        {{{"level", "error"}, {"message", {{"text", "scan incomplete: " + report.incomplete_reason}}}}});
  }
  run["invocations"] = ordered_json::array({std::move(invocation)});
  doc["runs"] = ordered_json::array({std::move(run)});
  out << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

}  // namespace modelguard::scan
