// modelguard monitor: drift between a reference and a current dataset (monitor run); the library is
// src/monitor/ with the shared drift tests of src/stats/.
#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "modelguard/core/io.h"
#include "modelguard/core/number_text.h"
#include "modelguard/monitor/batch.h"
#include "tools/modelguard/cli_util.h"
#include "tools/modelguard/commands.h"

namespace modelguard::cli {
namespace {

struct MonitorArgs {
  std::string reference, current, columns, exclude, tests = "auto", threshold, share = "0.5", report, output;
  std::string reference_format, current_format;
  std::string format = "text";
};

int Fail(const std::string& message) {
  std::cerr << "modelguard monitor: " << message << "\n";
  return 2;
}

std::string TestList() {
  std::string names;
  for (const auto& test : stats::DriftTests()) names += (names.empty() ? "" : ",") + std::string(test.name);
  return names;
}

int RunBatch(const MonitorArgs& args) {
  monitor::BatchOptions options;
  options.columns = SplitCommaList(args.columns);
  if (!args.exclude.empty()) {
    const auto more = SplitCommaList(args.exclude);
    options.exclude.insert(options.exclude.end(), more.begin(), more.end());
  }
  if (args.tests != "auto") options.tests = SplitCommaList(args.tests);
  if (!args.threshold.empty()) {
    char* end = nullptr;
    const double value = std::strtod(args.threshold.c_str(), &end);
    if (end != args.threshold.c_str() + args.threshold.size() || !(value > 0) || !std::isfinite(value))
      return Fail("--threshold must be a number > 0, got '" + args.threshold + "'");
    options.settings.threshold = value;
  }
  {
    char* end = nullptr;
    options.dataset_share = std::strtod(args.share.c_str(), &end);
    if (end != args.share.c_str() + args.share.size() || !(options.dataset_share > 0 && options.dataset_share <= 1))
      return Fail("--dataset-share must be in (0, 1], got '" + args.share + "'");
  }
  options.reference_format = args.reference_format;
  options.current_format = args.current_format;
  auto report = monitor::CompareDatasets(args.reference, args.current, options);
  if (!report) return Fail(report.error().message);
  if (!args.report.empty()) {
    std::error_code error;
    std::filesystem::create_directories(args.report, error);
    if (error) return Fail("--report " + args.report + ": " + error.message());
    for (const auto& [name, body] :
         {std::pair<std::string, std::string>{"report.json", ReportJson(ToJson(*report)) + "\n"},
          {"report.html", monitor::RenderHtml(*report)}}) {
      const std::string path = args.report + "/" + name;
      if (SameFile(path, args.reference) || SameFile(path, args.current))
        return Fail("--report would overwrite an input: " + path);
      if (auto written = WriteFileAtomic(path, body); !written) return Fail(written.error().message);
    }
    Note() << "modelguard monitor run: report in " << args.report << "/ (report.json, report.html)\n";
  }
  Output out("monitor");
  if (!out.Open(args.output, {args.reference, args.current})) return 2;
  if (args.format == "json") {
    out.stream() << ReportJson(ToJson(*report)) << "\n";
  } else {
    std::ostream& text = out.stream();
    text << (report->dataset_drift ? "DATASET DRIFT" : "no dataset drift") << ": "
         << FixedDecimal(report->drifted_share * 100, 1) << " % of " << report->columns.size()
         << " columns drifted (reference " << report->reference_rows << " rows, current " << report->current_rows
         << ")\n";
    for (const auto& column : report->columns) {
      text << (column.verdict.drift ? "  DRIFT  " : "  ok     ") << column.name << " (" << column.kind << ") "
           << column.verdict.test << " ";
      if (column.verdict.p_value)
        text << "statistic " << column.verdict.statistic << ", p " << *column.verdict.p_value;
      else
        text << column.verdict.statistic;
      text << " (threshold " << column.verdict.threshold << ")\n";
    }
    for (const auto& skipped : report->skipped) text << "  skip   " << skipped.name << ": " << skipped.reason << "\n";
  }
  if (!out.Close()) return 2;
  if (report->interrupted) return 2;
  return report->dataset_drift ? 1 : 0;
}

}  // namespace

Action AddMonitor(CLI::App& command) {
  auto args = std::make_shared<MonitorArgs>();
  CLI::App* cmd = &command;
  cmd->require_subcommand(1);
  Describe(cmd, "Drift between a reference and a current dataset, column by column.",
           {"modelguard monitor run --reference train.csv --current last-week.csv --report drift/"},
           "0 no dataset drift, 1 dataset drift, 2 usage or I/O error");
  CLI::App* run =
      cmd->add_subcommand("run", "Compare a current dataset with a reference: per-column tests, dataset verdict");
  run->add_option("--reference", args->reference, "Reference data (CSV, TSV, JSONL or audit log, NPY, NPZ, IDX)")
      ->required();
  run->add_option("--current", args->current, "Current data, same kinds")->required();
  run->add_option("--columns", args->columns, "A,B,...: only these columns (default: all but time stamps and ids)");
  run->add_option("--exclude", args->exclude, "A,B,...: columns left out besides time, timestamp, id, request_id");
  run->add_option("--tests", args->tests,
                  "auto (Evidently's choice per column) or a list from " + TestList() +
                      ": each column gets the first that applies, the others are reported beside it");
  run->add_option("--threshold", args->threshold, "Replaces every test's threshold (p-value or distance)");
  run->add_option("--dataset-share", args->share, "Dataset drift when at least this share of columns drift (0.5)");
  run->add_option("--reference-format", args->reference_format, "csv|tsv|jsonl|npy|npz|idx (default: by extension)");
  run->add_option("--current-format", args->current_format, "Same, for --current");
  run->add_option("--report", args->report, "Also write report.json and report.html (inline SVG) into this folder");
  run->add_option("-o,--output", args->output, "Write the result here instead of standard output");
  AddFormatOption(run, args->format, {"text", "json"});
  Describe(
      run,
      "Tests: ks, chi2, z (binary), wasserstein (normed), js, psi, mmd. Default thresholds p < 0.05 and "
      "distance >= 0.1. Nested JSONL objects become dotted columns (audit logs: signals.latency_ms).",
      {"modelguard monitor run --reference train.csv --current prod.csv",
       "modelguard monitor run --reference audit-may.jsonl --current audit-june.jsonl --tests psi,ks --format json",
       "modelguard monitor run --reference ref.npy --current cur.npy --report drift/"},
      "0 no dataset drift, 1 dataset drift, 2 usage or I/O error (or interrupted)");
  return [=] { return RunBatch(*args); };
}

}  // namespace modelguard::cli
