#include "modelguard/monitor/batch.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

#include "modelguard/core/html.h"
#include "modelguard/core/json_text.h"
#include "modelguard/core/number_text.h"
#include "modelguard/data/validate.h"
#include "modelguard/stats/stats.h"
#include "src/monitor/bars_svg.h"
#include "src/monitor/flat_jsonl.h"

namespace modelguard::monitor {
namespace {

constexpr size_t kPlottedCategories = 20;

bool IsJsonl(const std::string& path, const std::string& format) {
  if (!format.empty()) return format == "jsonl";
  for (const char* extension : {".jsonl", ".ndjson", ".json"}) {
    const std::string e(extension);
    if (path.size() >= e.size() && path.compare(path.size() - e.size(), e.size(), e) == 0) return true;
  }
  return false;
}

Result<std::unique_ptr<data::DatasetSource>> Open(const std::string& path, const std::string& format) {
  if (IsJsonl(path, format)) return OpenFlatJsonl(path);
  data::SourceOptions source_options;
  source_options.format = format;
  return data::OpenDataset(path, source_options);
}

Result<data::DatasetProfile> Profile(data::DatasetSource& source, const BatchOptions& options) {
  data::ProfileOptions profile_options;
  profile_options.sample_size = options.sample_size;
  profile_options.max_fingerprints = 0;  // duplicates are data validation's business, not drift's
  profile_options.max_near_duplicate_records = 0;
  profile_options.seed = options.settings.seed;
  return data::ProfileDataset(source, profile_options);
}

stats::ColumnSample SampleOf(const data::ColumnProfile& column) {
  stats::ColumnSample sample;
  sample.numeric = column.numeric > 0 && column.numeric == column.present;
  sample.values = column.sample;
  sample.observations = column.present;
  if (!column.high_cardinality) {
    for (const auto& [name, count] : column.categories)
      sample.categories.emplace_back(name, static_cast<double>(count));
    sample.distinct = column.categories.size();
  } else {
    sample.distinct = UINT64_MAX;
  }
  if (sample.numeric && column.numeric > 0) {
    const double n = static_cast<double>(column.numeric);
    const double mean = column.sum / n;
    sample.standard_deviation = std::sqrt(std::max(0.0, column.sum_squares / n - mean * mean));
  }
  return sample;
}

void Shares(std::vector<double>& counts) {
  const double total = std::accumulate(counts.begin(), counts.end(), 0.0);
  if (total > 0)
    for (double& c : counts) c /= total;
}

// The bins or categories the report draws, each side as shares.
void PlotData(const stats::ColumnSample& reference, const stats::ColumnSample& current, ColumnReport& report) {
  if (stats::KindOf(reference) == stats::ColumnKind::kNumeric) {
    const auto edges = stats::SturgesEdges(reference.values, current.values);
    report.reference_shares = stats::HistogramCounts(reference.values, edges);
    report.current_shares = stats::HistogramCounts(current.values, edges);
    for (size_t i = 0; i + 1 < edges.size(); ++i)
      report.labels.push_back(FixedDecimal(edges[i], 3) + " to " + FixedDecimal(edges[i + 1], 3));
  } else {
    std::vector<std::string> names;
    std::vector<double> r, c;
    stats::AlignCategories(reference, current, names, r, c);
    std::vector<size_t> order(names.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return r[a] + c[a] > r[b] + c[b]; });
    const double r_total = std::accumulate(r.begin(), r.end(), 0.0), c_total = std::accumulate(c.begin(), c.end(), 0.0);
    for (size_t i = 0; i < order.size() && i < kPlottedCategories; ++i) {
      report.labels.push_back(names[order[i]]);
      report.reference_shares.push_back(r_total > 0 ? r[order[i]] / r_total : 0);
      report.current_shares.push_back(c_total > 0 ? c[order[i]] / c_total : 0);
    }
    return;
  }
  Shares(report.reference_shares);
  Shares(report.current_shares);
}

nlohmann::ordered_json OutcomeJson(const stats::DriftOutcome& outcome) {
  nlohmann::ordered_json out;
  out["test"] = outcome.test;
  out["statistic"] =
      std::isfinite(outcome.statistic) ? nlohmann::ordered_json(outcome.statistic) : nlohmann::ordered_json("inf");
  out["p_value"] = outcome.p_value ? nlohmann::ordered_json(*outcome.p_value) : nlohmann::ordered_json();
  out["threshold"] = outcome.threshold;
  out["drift"] = outcome.drift;
  if (!outcome.note.empty()) out["note"] = outcome.note;
  return out;
}

std::string Figure(const stats::DriftOutcome& outcome) {
  if (outcome.p_value)
    return "p = " + JsonNumberText(*outcome.p_value) + (outcome.drift ? " < " : " >= ") +
           JsonNumberText(outcome.threshold);
  return outcome.test + " = " + (std::isfinite(outcome.statistic) ? FixedDecimal(outcome.statistic, 4) : "inf") +
         (outcome.drift ? " >= " : " < ") + JsonNumberText(outcome.threshold);
}

}  // namespace

Result<BatchReport> CompareDatasets(const std::string& reference, const std::string& current,
                                    const BatchOptions& options) {
  MG_ASSIGN_OR_RETURN(auto reference_source, Open(reference, options.reference_format));
  MG_ASSIGN_OR_RETURN(auto current_source, Open(current, options.current_format));
  auto report = CompareSources(*reference_source, *current_source, options);
  if (!report) {
    return MakeError(report.error().code, report.error().message);
  }
  report->reference = reference;
  report->current = current;
  return report;
}

Result<BatchReport> CompareSources(data::DatasetSource& reference_source, data::DatasetSource& current_source,
                                   const BatchOptions& options) {
  for (const std::string& name : options.tests)
    if (stats::FindDriftTest(name) == nullptr)
      return MakeError(ErrorCode::kInvalidArgument, "unknown drift test '" + name + "'");
  if (!(options.dataset_share > 0 && options.dataset_share <= 1))
    return MakeError(ErrorCode::kInvalidArgument, "the dataset drift share must be in (0, 1]");
  auto ref = Profile(reference_source, options);
  if (!ref) return MakeError(ref.error().code, "reference: " + ref.error().message);
  auto cur = Profile(current_source, options);
  if (!cur) return MakeError(cur.error().code, "current: " + cur.error().message);
  BatchReport report;
  report.reference_rows = ref->records - ref->problems;
  report.current_rows = cur->records - cur->problems;
  report.interrupted = ref->interrupted || cur->interrupted;
  std::vector<std::string> names = options.columns;
  if (names.empty()) {
    for (const auto& column : ref->columns)
      if (std::find(options.exclude.begin(), options.exclude.end(), column.name) == options.exclude.end())
        names.push_back(column.name);
  }
  size_t drifted = 0;
  for (const std::string& name : names) {
    const data::ColumnProfile* r = ref->Column(name);
    const data::ColumnProfile* c = cur->Column(name);
    if (r == nullptr && !options.columns.empty())
      return MakeError(ErrorCode::kInvalidArgument, "no column '" + name + "' in the reference data");
    if (r == nullptr) continue;
    if (c == nullptr || c->present == 0) {
      report.skipped.push_back({name, "not in the current data"});
      continue;
    }
    if (r->present == 0) {
      report.skipped.push_back({name, "no values in the reference data"});
      continue;
    }
    const stats::ColumnSample rs = SampleOf(*r), cs = SampleOf(*c);
    const bool numeric = stats::KindOf(rs) == stats::ColumnKind::kNumeric;
    if (!numeric && rs.categories.empty()) {
      report.skipped.push_back({name, "text or identifiers: too many distinct values to compare as categories"});
      continue;
    }
    if (numeric && !cs.numeric) {
      report.skipped.push_back({name, "numeric in the reference, not in the current data"});
      continue;
    }
    ColumnReport column;
    column.name = name;
    column.kind = numeric ? "numeric" : "categorical";
    column.reference_observations = r->present;
    column.current_observations = c->present;
    column.reference_missing = r->missing;
    column.current_missing = c->missing;
    std::vector<const stats::DriftTest*> chosen;
    if (options.tests.empty()) {
      chosen.push_back(&stats::AutoDriftTest(rs, report.reference_rows));
    } else {
      for (const std::string& test : options.tests)
        if (const auto* found = stats::FindDriftTest(test); stats::Applies(*found, rs)) chosen.push_back(found);
    }
    if (chosen.empty()) {
      report.skipped.push_back({name, "none of the listed tests applies to a " + column.kind + " column"});
      continue;
    }
    column.verdict = chosen.front()->run(rs, cs, options.settings);
    for (size_t i = 1; i < chosen.size(); ++i) column.also.push_back(chosen[i]->run(rs, cs, options.settings));
    PlotData(rs, cs, column);
    drifted += column.verdict.drift;
    report.columns.push_back(std::move(column));
  }
  if (!report.columns.empty()) {
    report.drifted_share = static_cast<double>(drifted) / static_cast<double>(report.columns.size());
    report.dataset_drift = report.drifted_share >= options.dataset_share;
  }
  return report;
}

nlohmann::ordered_json ToJson(const BatchReport& report) {
  nlohmann::ordered_json doc;
  doc["schema"] = "modelguard.monitor-run/v1";
  doc["reference"] = {{"path", report.reference}, {"rows", report.reference_rows}};
  doc["current"] = {{"path", report.current}, {"rows", report.current_rows}};
  doc["dataset_drift"] = report.dataset_drift;
  doc["drifted_share"] = report.drifted_share;
  doc["columns_tested"] = report.columns.size();
  doc["columns"] = nlohmann::ordered_json::array();
  for (const ColumnReport& column : report.columns) {
    nlohmann::ordered_json item;
    item["name"] = column.name;
    item["kind"] = column.kind;
    item["reference_observations"] = column.reference_observations;
    item["current_observations"] = column.current_observations;
    item["reference_missing"] = column.reference_missing;
    item["current_missing"] = column.current_missing;
    item.update(OutcomeJson(column.verdict));
    if (!column.also.empty()) {
      item["also"] = nlohmann::ordered_json::array();
      for (const auto& outcome : column.also) item["also"].push_back(OutcomeJson(outcome));
    }
    doc["columns"].push_back(std::move(item));
  }
  doc["skipped"] = nlohmann::ordered_json::array();
  for (const SkippedColumn& skipped : report.skipped)
    doc["skipped"].push_back({{"name", skipped.name}, {"reason", skipped.reason}});
  if (report.interrupted) doc["interrupted"] = true;
  return doc;
}

std::string RenderHtml(const BatchReport& report) {
  std::ostringstream html;
  html << "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>modelguard monitor run</title><style>"
          "body{font-family:sans-serif;margin:24px;color:#222}table{border-collapse:collapse}"
          "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}.drift{color:#b00;font-weight:bold}"
          ".ok{color:#070}.col{margin:18px 0}.legend span{display:inline-block;width:10px;height:10px;margin:0 4px}"
          "</style></head><body><h1>Drift: reference vs current</h1>";
  html << "<p>Reference <code>" << HtmlEscape(report.reference) << "</code> (" << report.reference_rows
       << " rows), current <code>" << HtmlEscape(report.current) << "</code> (" << report.current_rows << " rows).</p>";
  html << "<p class=\"" << (report.dataset_drift ? "drift" : "ok") << "\">"
       << (report.dataset_drift ? "Dataset drift" : "No dataset drift") << ": "
       << FixedDecimal(report.drifted_share * 100, 1) << " % of " << report.columns.size()
       << " tested columns drifted.</p>";
  html << "<p class=\"legend\"><span style=\"background:#999\"></span>reference<span "
          "style=\"background:#2a6fdb\"></span>current</p>";
  html << "<table><tr><th>column</th><th>kind</th><th>test</th><th>figure</th><th>verdict</th></tr>";
  for (const ColumnReport& column : report.columns)
    html << "<tr><td><a href=\"#c-" << HtmlEscape(column.name) << "\">" << HtmlEscape(column.name) << "</a></td><td>"
         << column.kind << "</td><td>" << HtmlEscape(column.verdict.test) << "</td><td>"
         << HtmlEscape(Figure(column.verdict)) << "</td><td class=\"" << (column.verdict.drift ? "drift" : "ok")
         << "\">" << (column.verdict.drift ? "drift" : "no drift") << "</td></tr>";
  html << "</table>";
  for (const ColumnReport& column : report.columns) {
    html << "<div class=\"col\" id=\"c-" << HtmlEscape(column.name) << "\"><h3>" << HtmlEscape(column.name) << " — "
         << HtmlEscape(column.verdict.test) << ", " << HtmlEscape(Figure(column.verdict)) << "</h3>"
         << BarsSvg(column.labels, column.reference_shares, column.current_shares, "current") << "</div>";
  }
  if (!report.skipped.empty()) {
    html << "<h2>Not tested</h2><ul>";
    for (const SkippedColumn& skipped : report.skipped)
      html << "<li>" << HtmlEscape(skipped.name) << ": " << HtmlEscape(skipped.reason) << "</li>";
    html << "</ul>";
  }
  html << "</body></html>\n";
  return html.str();
}

}  // namespace modelguard::monitor
