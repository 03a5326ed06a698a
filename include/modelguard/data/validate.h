#pragma once
// Dataset profiles, schemas and validation (`data schema infer`, `data validate`), for every format a
// DatasetSource reads. A profile is one pass over the data in bounded memory: per column its types,
// missing values, range, lengths, categories (up to a cap) and a uniform sample of numeric values; exact
// duplicates by fingerprint and near duplicates of text by MinHash (Broder 1997) with banded LSH. A schema
// is the profile's editable summary (JSON, "modelguard.data-schema/v1"); validation reads a dataset once
// against a schema and, given a reference profile, tests each column for distribution shift with the
// shared statistics (stats.h), choosing the test as Evidently does by default: KS (numeric) or chi-square
// (categorical) when the reference has at most 1,000 rows, Wasserstein distance normed by the reference's
// standard deviation (numeric) or Jensen-Shannon distance (categorical) above, thresholds p < 0.05 and
// distance >= 0.1, and the dataset drifting when at least half of the tested columns drift.
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "modelguard/core/result.h"
#include "modelguard/core/severity.h"
#include "modelguard/data/source.h"

namespace modelguard::data {

struct ProfileOptions {
  std::string label_column;                       // "" = the first of label, labels, class, target, y (any case)
  size_t max_categories = 1000;                   // distinct values counted per column; beyond: high cardinality
  size_t max_category_bytes = 256;                // longer values are never categories
  size_t sample_size = 10000;                     // numeric values kept per column (reservoir), for drift tests
  uint64_t sample_budget = 16'000'000;            // numeric values kept over all columns
  uint64_t category_budget = 2'000'000;           // categories counted over all columns
  uint64_t max_fingerprints = 20'000'000;         // records checked for exact duplicates
  uint64_t max_near_duplicate_records = 200'000;  // text records with a MinHash signature kept
  size_t near_duplicate_min_length = 20;          // characters of text before a record is compared at all
  double near_duplicate_threshold = 0.7;          // estimated Jaccard similarity of character 5-grams
  uint64_t seed = 1;                              // reservoir sampling
  size_t max_examples = 5;                        // locations listed per problem
};

struct ColumnProfile {
  std::string name;
  uint64_t present = 0;
  uint64_t missing = 0;  // empty cells, null, absent keys, NaN
  std::map<CellType, uint64_t> types;
  double min = 0, max = 0;  // over numeric cells (valid when numeric > 0)
  uint64_t numeric = 0;
  double sum = 0, sum_squares = 0;
  uint64_t min_length = 0, max_length = 0, total_length = 0;  // string cells, in bytes
  uint64_t strings = 0;
  std::map<std::string, uint64_t> categories;
  bool high_cardinality = false;
  std::vector<double> sample;  // uniform sample of the numeric values
  size_t sample_capacity = 0;
  uint64_t sample_seen = 0;
};

struct DatasetProfile {
  std::string format;
  uint64_t records = 0;   // rows read, including ones with problems
  uint64_t problems = 0;  // rows that could not be read
  std::vector<std::string> problem_examples;
  std::vector<ColumnProfile> columns;
  std::string label_column;                                       // empty when there is none
  uint64_t exact_duplicates = 0;                                  // rows identical to an earlier row
  std::vector<std::pair<uint64_t, uint64_t>> duplicate_examples;  // (location, first location)
  bool duplicates_complete = true;                                // false: more rows than max_fingerprints
  uint64_t near_duplicates = 0;  // text rows nearly identical to an earlier one (exact ones excluded)
  std::vector<std::pair<uint64_t, uint64_t>> near_duplicate_examples;
  bool near_duplicates_complete = true;
  uint64_t bytes = 0;
  bool interrupted = false;  // SIGINT/SIGTERM: the figures cover part of the data
  const ColumnProfile* Column(const std::string& name) const;
};

struct ColumnSchema {
  std::string name;
  CellType type = CellType::kString;
  bool required = false;         // present in every row
  double max_missing_share = 0;  // of the rows
  std::optional<double> min, max;
  std::vector<std::string> domain;  // non-empty: a categorical column and its values
  std::optional<uint64_t> min_length, max_length;
  bool text = false;  // free text: near duplicates are looked for in it
};

struct Schema {
  std::string format;
  uint64_t records = 0;  // of the dataset it was inferred from
  std::string label;
  std::vector<ColumnSchema> columns;
  std::map<std::string, double> class_shares;  // label value -> share of the rows
  double class_share_tolerance = 0.5;          // relative deviation before a class counts as shifted
  double max_duplicate_share = 0;
  double max_near_duplicate_share = 0;
  bool allow_unexpected_columns = false;
};

Schema InferSchema(const DatasetProfile& profile);
nlohmann::ordered_json ToJson(const Schema& schema);
Result<Schema> ParseSchema(const std::string& json_text);

struct Violation {
  std::string rule;  // data.type, data.missing-values, ... (docs/data.md lists them)
  Severity severity = Severity::kMedium;
  std::string column;  // empty for dataset-level rules
  std::string message;
  uint64_t count = 0;
  std::vector<uint64_t> locations;  // the first rows (lines or sample indices) where it happens
  nlohmann::ordered_json details;
};

struct DriftResult {
  std::string column;
  std::string test;  // a name from stats::DriftTests(): ks, chi2, z, wasserstein, js
  double statistic = 0;
  std::optional<double> p_value;  // tests; distances have none
  double threshold = 0;
  bool drift = false;
  double jensen_shannon = 0;  // always computed, for comparison across columns
};

struct ValidationReport {
  DatasetProfile profile;
  std::vector<Violation> violations;
  std::vector<DriftResult> drift;  // with a reference
  bool dataset_drift = false;
  double drifted_share = 0;
  Severity Worst() const;
};

Result<DatasetProfile> ProfileDataset(DatasetSource& source, const ProfileOptions& options = {});
// Reads `source` once, checking every row against `schema`; `reference` (a profile of the reference data)
// adds the drift tests.
Result<ValidationReport> ValidateDataset(DatasetSource& source, const Schema& schema,
                                         const DatasetProfile* reference = nullptr, const ProfileOptions& options = {});
std::vector<DriftResult> CompareProfiles(const DatasetProfile& reference, const DatasetProfile& current,
                                         const Schema& schema);

nlohmann::ordered_json ToJson(const DatasetProfile& profile);
nlohmann::ordered_json ToJson(const ValidationReport& report);

// Near duplicates among texts (MinHash over character 5-grams, 128 hashes, 32 bands of 4): for each text the
// index of the earlier text it nearly duplicates, or -1. Exposed for the text-trigger audit and the tests.
std::vector<int64_t> NearDuplicates(const std::vector<std::string>& texts, double threshold = 0.7);

}  // namespace modelguard::data
