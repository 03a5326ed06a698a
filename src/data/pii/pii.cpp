#include "modelguard/data/pii.h"

#include "modelguard/core/cancel.h"

namespace modelguard::data {
namespace {

constexpr size_t kMaxProblems = 20;

// One pass over the table; `redact` set: values are rewritten and each record goes to `out`.
Result<DataScanReport> Walk(std::istream& in, std::ostream* out, const guard::Guard& guard, guard::RedactMode mode,
                            const DataScanOptions& options) {
  DataScanReport report;
  TableReader reader(in, options.format, options.limits);
  Record record;
  bool header_written = false;
  auto problem = [&](std::string text) {
    if (report.problems.size() < kMaxProblems) report.problems.push_back(std::move(text));
  };
  while (true) {
    if (cancel::Requested()) {
      report.interrupted = true;
      break;
    }
    auto more = reader.Next(record);
    if (!more) return more.error();  // the reader names the line
    if (out && !header_written && options.format != TableFormat::kJsonl && !reader.header().empty()) {
      *out << SerializeRow(reader.header(), options.format, reader.header_terminator());
      header_written = true;
    }
    if (!*more) break;
    ++report.records;
    if (!record.error.empty()) {
      ++report.bad_records;
      problem("line " + std::to_string(record.line) + ": " + record.error);
      continue;
    }
    ForEachText(record, reader.header(), [&](const std::string& column, std::string& value) {
      ColumnCounts& counts = report.columns[column];
      ++counts.values;
      ++report.values;
      bool incomplete = false;
      std::vector<guard::Detection> found;
      if (out) {
        guard::Redaction redaction = guard.Redact(value, mode, options.pii, options.secrets, nullptr);
        incomplete = redaction.incomplete;
        found = std::move(redaction.redacted);
        value = std::move(redaction.text);
      } else {
        found = guard.FindEntities(value, options.pii, options.secrets, &incomplete);
      }
      if (incomplete) {
        ++counts.unexamined;
        ++report.unexamined;
        problem("line " + std::to_string(record.line) + ", " + column +
                ": not examined completely (longer than the guard examines, or too many candidates)");
      }
      if (!found.empty()) ++counts.values_with_entities;
      for (const auto& detection : found) {
        ++counts.entities[detection.entity];
        ++report.by_entity[detection.entity];
        ++report.entities;
        if (report.examples.size() < options.max_examples)
          report.examples.push_back(DataFinding{record.line, column, detection.entity, detection.rule_id});
      }
    });
    if (out) *out << SerializeRecord(record, options.format);
  }
  report.bytes = reader.bytes_read();
  return report;
}

}  // namespace

Result<DataScanReport> ScanTable(std::istream& in, const guard::Guard& guard, const DataScanOptions& options) {
  return Walk(in, nullptr, guard, guard::RedactMode::kMask, options);
}

Result<DataScanReport> RedactTable(std::istream& in, std::ostream& out, const guard::Guard& guard,
                                   guard::RedactMode mode, const DataScanOptions& options) {
  if (mode == guard::RedactMode::kVault)
    return MakeError(ErrorCode::kInvalidArgument, "datasets are redacted with mask or hash, not vault");
  MG_ASSIGN_OR_RETURN(DataScanReport report, Walk(in, &out, guard, mode, options));
  if (report.interrupted) return MakeError(ErrorCode::kLimit, "interrupted: " + cancel::Describe());
  if (report.unexamined > 0 || report.bad_records > 0) {
    std::string first = report.problems.empty() ? std::string() : " (first: " + report.problems.front() + ")";
    return MakeError(ErrorCode::kLimit, std::to_string(report.unexamined) + " values could not be examined and " +
                                            std::to_string(report.bad_records) +
                                            " lines are not records; nothing was written" + first);
  }
  return report;
}

nlohmann::ordered_json ToJson(const DataScanReport& report) {
  nlohmann::ordered_json doc = {{"schema", "modelguard.data-scan/v1"},
                                {"clean", report.clean()},
                                {"records", report.records},
                                {"bytes", report.bytes},
                                {"values", report.values},
                                {"entities", report.entities},
                                {"unexamined", report.unexamined},
                                {"bad_records", report.bad_records},
                                {"interrupted", report.interrupted},
                                {"by_entity", report.by_entity}};
  nlohmann::ordered_json columns = nlohmann::ordered_json::object();
  for (const auto& [name, counts] : report.columns) {
    columns[name] = {{"values", counts.values},
                     {"values_with_entities", counts.values_with_entities},
                     {"unexamined", counts.unexamined},
                     {"entities", counts.entities}};
  }
  doc["columns"] = std::move(columns);
  doc["examples"] = nlohmann::ordered_json::array();
  for (const auto& f : report.examples)
    doc["examples"].push_back({{"line", f.line}, {"column", f.column}, {"entity", f.entity}, {"rule_id", f.rule_id}});
  doc["problems"] = report.problems;
  return doc;
}

}  // namespace modelguard::data
