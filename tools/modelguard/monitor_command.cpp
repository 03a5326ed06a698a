// modelguard monitor: drift between a reference and a current dataset (monitor run) and in the gateway's live
// audit (monitor serve); the library is src/monitor/ with the shared drift tests of src/stats/.
#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "modelguard/core/cancel.h"
#include "modelguard/core/io.h"
#include "modelguard/core/number_text.h"
#include "modelguard/monitor/batch.h"
#include "modelguard/monitor/labels.h"
#include "modelguard/monitor/serve.h"
#include "tools/modelguard/cli_util.h"
#include "tools/modelguard/commands.h"

namespace modelguard::cli {
namespace {

struct MonitorArgs {
  std::string reference, current, columns, exclude, tests = "auto", threshold, share = "0.5", report, output;
  std::string reference_format, current_format;
  std::string format = "text";
  std::string config;
  bool once = false;
  // monitor label
  std::string labels, request_id, label, from;
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
    if (auto written = WriteReportFolder(
            args.report,
            {{"report.json", ReportJson(ToJson(*report)) + "\n"}, {"report.html", monitor::RenderHtml(*report)}},
            {args.reference, args.current}, "--report");
        !written)
      return Fail(written.error().message);
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

int RunLabel(const MonitorArgs& args) {
  if (args.config.empty() == args.labels.empty()) return Fail("give either --config or --labels");
  std::string path = args.labels;
  if (path.empty()) {
    auto config = monitor::LoadServeConfig(args.config);
    if (!config) return Fail(config.error().message);
    if (config->labels.empty()) return Fail(args.config + " names no labels file (the key 'labels')");
    path = config->labels;
  }
  std::vector<monitor::TrueLabel> labels;
  if (!args.from.empty()) {
    if (!args.request_id.empty() || !args.label.empty()) return Fail("--from replaces --id and --label");
    auto text = ReadFile(args.from);
    if (!text) return Fail(text.error().message);
    auto parsed = monitor::ParseLabelsFile(*text);
    if (!parsed) return Fail(args.from + ": " + parsed.error().message);
    labels = std::move(*parsed);
    if (labels.empty()) return Fail(args.from + " holds no label");
    std::error_code same;
    if (args.from == path || std::filesystem::equivalent(args.from, path, same))
      return Fail("--from is the labels file itself");
  } else {
    if (args.request_id.empty() || args.label.empty()) return Fail("give --id and --label, or --from FILE");
    auto value = monitor::ParseClassIndex(args.label);
    if (!value) return Fail("--label: " + value.error().message);
    labels.push_back({args.request_id, *value});
    if (auto checked = monitor::CheckLabel(labels.back()); !checked) return Fail(checked.error().message);
  }
  if (auto appended = monitor::AppendLabels(path, labels); !appended) return Fail(appended.error().message);
  if (args.format == "json") {
    std::cout << ReportJson(nlohmann::ordered_json{
                     {"schema", "modelguard.monitor-label/v1"}, {"labels_file", path}, {"appended", labels.size()}})
              << "\n";
  } else {
    std::cout << "appended " << labels.size() << (labels.size() == 1 ? " label" : " labels") << " to " << path << "\n";
  }
  if (!std::cout.flush())
    return Fail("the labels were appended to " + path + ", but the summary could not be written to standard output");
  return 0;
}

int RunServe(const MonitorArgs& args) {
  auto config = monitor::LoadServeConfig(args.config);
  if (!config) return Fail(config.error().message);
  Output out("monitor");
  if (!out.Open(args.output, {args.config, config->audit, config->reference_file, config->state, config->alert_log}))
    return 2;
  cancel::InstallSignalHandlers();
  monitor::ServeOptions options;
  options.once = args.once;
  options.note = [](const std::string& text) { Note() << "modelguard monitor serve: " << text << "\n"; };
  auto outcome = monitor::Serve(*config, options);
  if (!outcome) return Fail(outcome.error().message);
  if (!args.report.empty()) {
    if (auto written =
            WriteReportFolder(args.report,
                              {{"report.json", ReportJson(monitor::ServeReportJson(*config, *outcome)) + "\n"},
                               {"report.html", monitor::RenderServeHtml(*config, *outcome)}},
                              {args.config, config->audit, config->labels, config->state}, "--report");
        !written)
      return Fail(written.error().message);
    Note() << "modelguard monitor serve: report in " << args.report << "/ (report.json, report.html)\n";
  }
  if (args.format == "json") {
    const nlohmann::ordered_json report = monitor::ServeReportJson(*config, *outcome);
    out.stream() << ReportJson(report) << "\n";
  } else {
    std::ostream& text = out.stream();
    text << outcome->events << " events read, " << outcome->alerts << " alert messages"
         << (outcome->firing ? ", ALERTS FIRING" : ", nothing firing");
    if (outcome->parse_errors) text << ", " << outcome->parse_errors << " lines that are not audit events";
    if (outcome->skipped) text << ", " << outcome->skipped << " lines over 1 MiB skipped";
    if (outcome->webhook_failures) text << ", " << outcome->webhook_failures << " webhook messages given up";
    if (outcome->labels) text << ", " << outcome->labels << " labels read";
    if (outcome->label_errors) text << ", " << outcome->label_errors << " label lines refused";
    text << "\n";
    for (const auto& route : outcome->performance) {
      // The latest closed window of the whole route, with the latest one that has labels.
      const monitor::PerformanceWindowStatus *last = nullptr, *labelled = nullptr;
      for (const auto& w : route.windows) {
        if (!w.key_id.empty()) continue;
        last = &w;
        if (w.labelled) labelled = &w;
      }
      text << "  " << route.route << ": estimated accuracy reference "
           << (std::isfinite(route.reference_estimated_accuracy) ? FixedDecimal(route.reference_estimated_accuracy, 3)
                                                                 : "-");
      if (last && std::isfinite(last->estimated_accuracy))
        text << ", last window " << FixedDecimal(last->estimated_accuracy, 3);
      text << (route.calibrated ? " (calibrated on " + std::to_string(route.reference_labelled) + " labels)"
                                : " (confidences as stated)");
      if (labelled)
        text << "; realised "
             << FixedDecimal(static_cast<double>(labelled->correct) / static_cast<double>(labelled->labelled), 3)
             << " on " << labelled->labelled << " labels of window " << labelled->sequence;
      text << "\n";
    }
    for (const auto& signal : outcome->status) {
      std::string firing;
      for (const auto& [detector, on] : signal.firing)
        if (on) firing += (firing.empty() ? "" : ",") + detector;
      if (firing.empty()) continue;
      text << "  FIRING " << signal.route << (signal.key_id.empty() ? "" : " key " + signal.key_id) << " "
           << signal.signal << " (" << firing << ")\n";
    }
  }
  if (!out.Close()) return 2;
  if (outcome->interrupted) return args.once ? cancel::InterruptedExitCode() : 0;  // the daemon's normal stop
  if (outcome->webhook_failures) return 2;
  return outcome->firing ? 1 : 0;
}

}  // namespace

Action AddMonitor(CLI::App& command) {
  auto args = std::make_shared<MonitorArgs>();
  CLI::App* cmd = &command;
  cmd->require_subcommand(1);
  Describe(cmd,
           "Drift between a reference and a current dataset, and in the gateway's live audit; a classifier's "
           "accuracy estimated without labels, and measured as labels arrive.",
           {"modelguard monitor run --reference train.csv --current last-week.csv --report drift/",
            "modelguard monitor serve --config monitor.yaml",
            "modelguard monitor label --config monitor.yaml --id 3f0c9e1a7b5d42c8a6e0f1b3d5c7a9e2 --label 1"},
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
  CLI::App* serve = cmd->add_subcommand(
      "serve", "Follow the gateway's audit: drift per route and key, alerts, Prometheus metrics, saved state");
  serve->add_option("--config", args->config, "monitor.yaml (YAML, TOML or JSON; keys in docs/monitor.md)")->required();
  serve->add_flag("--once", args->once,
                  "Read what the audit holds now, deliver the alerts, save the state and exit (cron, CI)");
  serve->add_option("-o,--output", args->output, "With --once: write the summary here instead of standard output");
  serve->add_option("--report", args->report,
                    "On exit, also write report.json and report.html (time series per signal, inline SVG) here");
  AddFormatOption(serve, args->format, {"text", "json"});
  Describe(serve,
           "References: each route's first events (reference_events) or reference_file. Detectors per signal: a "
           "two-sample test per window, CUSUM and Page-Hinkley with thresholds calibrated on the reference for the "
           "configured false_alarm_rate. Runs until SIGINT/SIGTERM, then saves its state.",
           {"modelguard monitor serve --config monitor.yaml",
            "modelguard monitor serve --config monitor.yaml --once --format json",
            "modelguard monitor serve --config monitor.yaml --once --report monitor-report/"},
           "0 nothing firing (or stopped by a signal), 1 an alert firing at the end (--once), 2 configuration, "
           "I/O or webhook delivery error");
  CLI::App* label = cmd->add_subcommand(
      "label", "Give the true class of classifier predictions, by request id, for monitor serve to join");
  label->add_option("--config", args->config, "monitor.yaml: append to the file its 'labels' key names");
  label->add_option("--labels", args->labels, "Or the labels file itself (JSON Lines, created if missing)");
  label->add_option("--id", args->request_id, "The request id (the answer's X-Modelguard-Request-Id header)");
  label->add_option("--label", args->label, "The true class index");
  label->add_option("--from", args->from,
                    "Many labels at once: JSON Lines {\"request_id\", \"label\"}, or CSV with columns request_id and "
                    "label; taken whole or not at all");
  AddFormatOption(label, args->format, {"text", "json"});
  Describe(label,
           "Labels may come long after the predictions: monitor serve keeps max_pending_labels predictions waiting, "
           "and joins each label to its window's realised accuracy (and, for the reference, to the calibration).",
           {"modelguard monitor label --config monitor.yaml --id 3f0c9e1a7b5d42c8a6e0f1b3d5c7a9e2 --label 1",
            "modelguard monitor label --labels labels.jsonl --from reviewed.csv"},
           "0 appended, 2 usage or I/O error (nothing appended, unless the message says so)");
  return [=] {
    if (serve->parsed()) return RunServe(*args);
    if (label->parsed()) return RunLabel(*args);
    return RunBatch(*args);
  };
}

}  // namespace modelguard::cli
