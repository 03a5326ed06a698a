#pragma once
// `monitor run`: a reference and a current dataset compared column by column with the shared drift tests
// (stats/drift.h), and a dataset-level verdict (drift when at least half of the tested columns drift, as
// Evidently decides). Both sides are read once in bounded memory (data's profiler: a uniform sample of
// 10,000 values and up to 1,000 categories per column). Inputs: CSV, TSV, NPY, NPZ, IDX, image folders, and
// JSON Lines whose nested objects are flattened to dotted columns, so the gateway's audit log
// ({"signals": {"latency_ms": …}} becomes the column "signals.latency_ms") is a dataset like any other.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "modelguard/core/result.h"
#include "modelguard/data/source.h"
#include "modelguard/stats/drift.h"

namespace modelguard::monitor {

struct BatchOptions {
  std::vector<std::string> columns;  // empty: every column both sides have, but `exclude`
  // Never tested unless named in `columns`: time stamps and identifiers always "drift" between two periods.
  std::vector<std::string> exclude = {"time", "timestamp", "id", "request_id", "request_sha256", "response_sha256"};
  std::vector<std::string> tests;  // empty: Evidently's choice per column; else the first that applies
  stats::DriftSettings settings;
  double dataset_share = 0.5;                    // dataset drift when at least this share of tested columns drift
  std::string reference_format, current_format;  // empty: by extension
  size_t sample_size = 10000;
};

struct ColumnReport {
  std::string name;
  std::string kind;  // numeric | categorical
  uint64_t reference_observations = 0, current_observations = 0;
  uint64_t reference_missing = 0, current_missing = 0;
  stats::DriftOutcome verdict;
  std::vector<stats::DriftOutcome> also;  // the other listed tests that apply, for comparison
  // What the report plots: bins (numeric) or categories, with each side's share.
  std::vector<std::string> labels;
  std::vector<double> reference_shares, current_shares;
};

struct SkippedColumn {
  std::string name;
  std::string reason;
};

struct BatchReport {
  std::string reference, current;  // paths
  uint64_t reference_rows = 0, current_rows = 0;
  std::vector<ColumnReport> columns;
  std::vector<SkippedColumn> skipped;
  double drifted_share = 0;
  bool dataset_drift = false;
  bool interrupted = false;
};

Result<BatchReport> CompareDatasets(const std::string& reference, const std::string& current,
                                    const BatchOptions& options);
// The same over two open sources (the formats options are then unused).
Result<BatchReport> CompareSources(data::DatasetSource& reference, data::DatasetSource& current,
                                   const BatchOptions& options);
nlohmann::ordered_json ToJson(const BatchReport& report);  // "modelguard.monitor-run/v1"
std::string RenderHtml(const BatchReport& report);         // self-contained: inline SVG, no scripts

}  // namespace modelguard::monitor
