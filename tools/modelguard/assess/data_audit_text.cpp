#include "tools/modelguard/assess/data_audit_text.h"

#include <filesystem>
#include <fstream>
#include <iostream>

#include "modelguard/core/cancel.h"
#include "modelguard/core/html.h"
#include "modelguard/core/io.h"
#include "modelguard/data/text_audit.h"
#include "tools/modelguard/cli_util.h"

namespace modelguard::cli {
namespace {

int Fail(const std::string& message) {
  std::cerr << "modelguard data audit: " << message << "\n";
  return 2;
}

void PrintText(std::ostream& out, const std::string& path, const data::TextAuditReport& report) {
  out << (report.flagged() ? "FOUND" : "clean") << ": " << EscapeControlCharacters(path) << " (" << report.records
      << " records, text '" << EscapeControlCharacters(report.text_field) << "', label '"
      << EscapeControlCharacters(report.label_field) << "', " << report.ngrams_tested << " n-grams tested)\n";
  for (const auto& t : report.triggers) {
    out << "  trigger phrase \"" << EscapeControlCharacters(t.phrase) << "\": " << t.records << " records, "
        << t.in_label << " labelled '" << EscapeControlCharacters(t.label) << "' (expected " << t.expected
        << ", log10 p " << t.log10_p << "), lines";
    for (uint64_t line : t.examples) out << " " << line;
    out << "\n";
  }
  for (const auto& c : report.clusters) {
    out << "  near copies: " << c.size << " records (";
    bool first = true;
    for (const auto& [label, n] : c.labels) {
      out << (first ? "" : ", ") << EscapeControlCharacters(label) << " " << n;
      first = false;
    }
    out << "), lines";
    for (uint64_t line : c.examples) out << " " << line;
    out << ": \"" << EscapeControlCharacters(c.sample.substr(0, 80)) << "\"\n";
  }
  if (report.unreadable) out << "  " << report.unreadable << " lines are not records\n";
  if (report.interrupted) out << "  interrupted: the figures cover part of the data\n";
}

std::string Html(const std::string& path, const data::TextAuditReport& report) {
  std::string html =
      "<!doctype html><html><head><meta charset=\"utf-8\"><title>modelguard data audit</title><style>"
      "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
      "padding:4px 8px;text-align:left}</style></head><body>";
  html += "<h1>Text dataset audit</h1><p>" + HtmlEscape(path) + ": " + std::to_string(report.records) +
          " records, text field <code>" + HtmlEscape(report.text_field) + "</code>, label field <code>" +
          HtmlEscape(report.label_field) + "</code>, " + std::to_string(report.ngrams_tested) + " n-grams tested.</p>";
  html += "<h2>Trigger phrases</h2>";
  if (report.triggers.empty())
    html += "<p>None.</p>";
  else {
    html +=
        "<table><tr><th>phrase</th><th>label</th><th>records</th><th>in label</th><th>expected</th>"
        "<th>log10 p</th><th>first lines</th></tr>";
    for (const auto& t : report.triggers) {
      std::string lines;
      for (uint64_t line : t.examples) lines += std::to_string(line) + " ";
      html += "<tr><td>" + HtmlEscape(t.phrase) + "</td><td>" + HtmlEscape(t.label) + "</td><td>" +
              std::to_string(t.records) + "</td><td>" + std::to_string(t.in_label) + "</td><td>" +
              std::to_string(t.expected) + "</td><td>" + std::to_string(t.log10_p) + "</td><td>" + lines + "</td></tr>";
    }
    html += "</table>";
  }
  html += "<h2>Near-copy clusters</h2>";
  if (report.clusters.empty())
    html += "<p>None.</p>";
  else {
    html += "<table><tr><th>records</th><th>labels</th><th>first lines</th><th>sample</th></tr>";
    for (const auto& c : report.clusters) {
      std::string labels, lines;
      for (const auto& [label, n] : c.labels) labels += label + " " + std::to_string(n) + " ";
      for (uint64_t line : c.examples) lines += std::to_string(line) + " ";
      html += "<tr><td>" + std::to_string(c.size) + "</td><td>" + HtmlEscape(labels) + "</td><td>" + lines +
              "</td><td>" + HtmlEscape(c.sample) + "</td></tr>";
    }
    html += "</table>";
  }
  return html + "</body></html>\n";
}

}  // namespace

bool IsTextDataset(const std::string& path) {
  const std::string extension = std::filesystem::path(path).extension().string();
  return extension == ".jsonl" || extension == ".ndjson";
}

int RunTextAudit(const TextAuditArgs& args) {
  cancel::InstallSignalHandlers();
  if (!CheckInputFile(args.path, "data audit")) return 2;
  std::ifstream in(args.path, std::ios::binary);
  if (!in) return Fail("cannot open '" + args.path + "'");
  data::TextAuditOptions options;
  options.text_field = args.text_field;
  options.label_field = args.label_field;
  options.top = args.top;
  options.min_count = args.min_count;
  options.min_purity = args.min_purity;
  Note() << "modelguard data audit: reading " << args.path << "\n";
  auto report = data::AuditTextDataset(in, options);
  if (!report) return Fail("'" + args.path + "': " + report.error().message);
  if (report->interrupted) return cancel::InterruptedExitCode();
  const auto json = data::ToJson(*report);
  if (!args.report_dir.empty()) {
    std::error_code error;
    std::filesystem::create_directories(args.report_dir, error);
    if (error) return Fail("cannot create '" + args.report_dir + "': " + error.message());
    if (auto w = WriteFileAtomic(args.report_dir + "/report.json", ReportJson(json) + "\n"); !w)
      return Fail(w.error().message);
    if (auto w = WriteFileAtomic(args.report_dir + "/report.html", Html(args.path, *report)); !w)
      return Fail(w.error().message);
  }
  if (!args.write_clean.empty()) {
    std::vector<uint64_t> remove;
    nlohmann::ordered_json removed = nlohmann::ordered_json::array();
    for (const auto& t : report->triggers) {
      remove.insert(remove.end(), t.all_records.begin(), t.all_records.end());
      removed.push_back({{"phrase", t.phrase}, {"label", t.label}, {"lines", t.all_records}});
    }
    std::error_code error;
    std::filesystem::create_directories(args.write_clean, error);
    if (error) return Fail("cannot create '" + args.write_clean + "': " + error.message());
    const std::string clean = args.write_clean + "/clean.jsonl";
    Output output("data audit");
    if (!output.Open(clean, {args.path})) return 2;
    std::ifstream again(args.path, std::ios::binary);
    auto count = data::CopyJsonlWithout(again, output.stream(), remove);
    if (!count) return Fail(count.error().message);
    if (!output.Close()) return 2;
    nlohmann::ordered_json manifest{{"schema", "modelguard.data-audit-removed/v1"},
                                    {"source", args.path},
                                    {"removed_lines", *count},
                                    {"because", removed}};
    if (auto w = WriteFileAtomic(args.write_clean + "/removed.json", ReportJson(manifest) + "\n"); !w)
      return Fail(w.error().message);
    Note() << "modelguard data audit: " << *count << " records left out -> " << clean << "\n";
  }
  if (args.format == "json") {
    std::cout << ReportJson(json) << "\n";
  } else {
    PrintText(std::cout, args.path, *report);
  }
  return report->flagged() ? 1 : 0;
}

}  // namespace modelguard::cli
