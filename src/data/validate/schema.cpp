// Schemas: inferred from a profile, written and read as JSON, and checked against a dataset; drift tests
// between two profiles (validate.h).
#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "modelguard/core/cancel.h"
#include "modelguard/core/io.h"
#include "modelguard/data/validate.h"
#include "modelguard/stats/drift.h"
#include "modelguard/stats/stats.h"
#include "src/data/validate/profiler.h"

namespace modelguard::data {
namespace {

constexpr size_t kMaxDomain = 50;       // distinct values for a column to count as categorical
constexpr double kTypeShare = 0.99;     // share of values a type must cover to be the column's type
constexpr double kTextMeanLength = 20;  // bytes: a string column this long on average is free text
constexpr double kDatasetDriftShare = 0.5;
constexpr double kDuplicateShareMedium = 0.01;  // duplicates above this share of rows: medium, not low
constexpr double kClassShareSlack = 0.02;       // absolute: small classes may wobble by two points

bool IsNumericType(CellType type) { return type == CellType::kInteger || type == CellType::kNumber; }

// Whether a schema type accepts a cell. Tables written as text (CSV, TSV) have no types of their own, so
// a string column there accepts any scalar; typed sources (JSONL, arrays) must match.
bool Accepts(CellType schema, CellType cell, bool typed_source) {
  switch (schema) {
    case CellType::kBoolean:
      return cell == CellType::kBoolean;
    case CellType::kInteger:
      return cell == CellType::kInteger;
    case CellType::kNumber:
      return IsNumericType(cell);
    case CellType::kString:
      return cell == CellType::kString || (!typed_source && cell != CellType::kOther);
    case CellType::kOther:
      return cell == CellType::kOther;
    case CellType::kMissing:
      return true;
  }
  return false;
}

double RoundUp(double share) { return std::ceil(share * 1e4) / 1e4; }

Result<CellType> ParseType(const std::string& name) {
  for (CellType type : {CellType::kBoolean, CellType::kInteger, CellType::kNumber, CellType::kString, CellType::kOther})
    if (name == ToString(type)) return type;
  return MakeError(ErrorCode::kParse, "unknown type '" + name + "' (boolean, integer, number, string, json)");
}

bool TypedSource(const std::string& format) { return format != "csv" && format != "tsv"; }

struct Counter {
  uint64_t count = 0;
  std::vector<uint64_t> locations;
};

void Count(Counter& counter, uint64_t location, size_t max_examples) {
  ++counter.count;
  if (counter.locations.size() < max_examples) counter.locations.push_back(location);
}

std::string Percent(double share) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f%%", share * 100);
  return text;
}

std::string Number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", value);
  return text;
}

// The categories of a column as counts over the union of both sides' categories.
// A profiled column as the drift registry takes it: the numeric sample with the whole column's spread, or
// the category counts.
stats::ColumnSample SampleOf(const ColumnProfile& column, bool categorical) {
  stats::ColumnSample sample;
  sample.numeric = !categorical;
  if (categorical) {
    for (const auto& [name, count] : column.categories) sample.categories.push_back({name, static_cast<double>(count)});
    sample.observations = column.present;
    sample.distinct = column.categories.size();
    return sample;
  }
  sample.values = column.sample;
  sample.observations = column.numeric;
  // Numeric columns are tested by their values, never by categories (stats::KindOf reads this).
  sample.distinct = std::numeric_limits<uint64_t>::max();
  if (column.numeric) {
    const double n = static_cast<double>(column.numeric);
    const double mean = column.sum / n;
    sample.standard_deviation = std::sqrt(std::max(0.0, column.sum_squares / n - mean * mean));
  }
  return sample;
}

}  // namespace

Schema InferSchema(const DatasetProfile& profile) {
  Schema schema;
  schema.format = profile.format;
  schema.records = profile.records;
  schema.label = profile.label_column;
  const uint64_t rows = profile.records - profile.problems;
  for (const ColumnProfile& column : profile.columns) {
    ColumnSchema out;
    out.name = column.name;
    const auto count = [&](CellType type) {
      auto it = column.types.find(type);
      return it == column.types.end() ? uint64_t{0} : it->second;
    };
    const double present = static_cast<double>(column.present);
    const auto covers = [&](uint64_t n) {
      return column.present > 0 && static_cast<double>(n) >= kTypeShare * present;
    };
    if (covers(count(CellType::kBoolean))) {
      out.type = CellType::kBoolean;
    } else if (covers(count(CellType::kInteger))) {
      out.type = CellType::kInteger;
    } else if (covers(count(CellType::kInteger) + count(CellType::kNumber))) {
      out.type = CellType::kNumber;
    } else if (covers(count(CellType::kOther))) {
      out.type = CellType::kOther;
    } else {
      out.type = CellType::kString;
    }
    out.required = column.missing == 0 && column.present > 0;
    out.max_missing_share = rows ? RoundUp(static_cast<double>(column.missing) / static_cast<double>(rows)) : 0;
    if (IsNumericType(out.type) && column.numeric > 0) {
      out.min = column.min;
      out.max = column.max;
    }
    // A value that is not UTF-8 cannot be written in the schema's JSON: such a column gets no domain.
    const bool writable = std::all_of(column.categories.begin(), column.categories.end(),
                                      [](const auto& category) { return IsValidUtf8(category.first); });
    const bool few = !column.high_cardinality && !column.categories.empty() && column.categories.size() <= kMaxDomain &&
                     column.present >= 2 * column.categories.size() && writable;
    if (few && out.type != CellType::kNumber && out.type != CellType::kOther) {
      for (const auto& [value, n] : column.categories) out.domain.push_back(value);
    }
    // A categorical column is checked by its domain; lengths would only repeat that finding.
    if (out.type == CellType::kString && column.strings > 0 && out.domain.empty()) {
      out.min_length = column.min_length;
      out.max_length = column.max_length;
    }
    out.text = out.type == CellType::kString && out.domain.empty() && column.strings > 0 &&
               static_cast<double>(column.total_length) / static_cast<double>(column.strings) >= kTextMeanLength;
    // No label column is no label: a column with an empty name (a blank header cell) is not it.
    const bool label = !profile.label_column.empty() && column.name == profile.label_column;
    if (label && !column.high_cardinality && writable && rows > 0) {
      for (const auto& [value, n] : column.categories)
        schema.class_shares[value] = static_cast<double>(n) / static_cast<double>(rows);
    }
    schema.columns.push_back(std::move(out));
  }
  if (rows > 0) {
    schema.max_duplicate_share =
        profile.duplicates_complete ? RoundUp(static_cast<double>(profile.exact_duplicates) / static_cast<double>(rows))
                                    : 0;
    schema.max_near_duplicate_share =
        profile.near_duplicates_complete
            ? RoundUp(static_cast<double>(profile.near_duplicates) / static_cast<double>(rows))
            : 0;
  }
  return schema;
}

nlohmann::ordered_json ToJson(const Schema& schema) {
  nlohmann::ordered_json doc;
  doc["schema"] = "modelguard.data-schema/v1";
  doc["inferred_from"] = {{"format", schema.format}, {"records", schema.records}};
  if (!schema.label.empty()) doc["label"] = schema.label;
  auto& columns = doc["columns"] = nlohmann::ordered_json::array();
  for (const ColumnSchema& column : schema.columns) {
    nlohmann::ordered_json c;
    c["name"] = column.name;
    c["type"] = ToString(column.type);
    c["required"] = column.required;
    c["max_missing_share"] = column.max_missing_share;
    if (column.min) c["min"] = *column.min;
    if (column.max) c["max"] = *column.max;
    if (!column.domain.empty()) c["domain"] = column.domain;
    if (column.min_length) c["length"] = {{"min", *column.min_length}, {"max", *column.max_length}};
    if (column.text) c["text"] = true;
    columns.push_back(std::move(c));
  }
  if (!schema.class_shares.empty()) {
    doc["classes"] = schema.class_shares;
    doc["class_share_tolerance"] = schema.class_share_tolerance;
  }
  doc["duplicates"] = {{"max_exact_share", schema.max_duplicate_share},
                       {"max_near_share", schema.max_near_duplicate_share}};
  doc["allow_unexpected_columns"] = schema.allow_unexpected_columns;
  return doc;
}

Result<Schema> ParseSchema(const std::string& json_text) {
  const auto doc = nlohmann::json::parse(json_text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return MakeError(ErrorCode::kParse, "the schema is not a JSON object");
  // Unknown keys are refused: a misspelt "max_missing_shares" must not silently switch a check off.
  const auto check_keys = [](const nlohmann::json& object, std::initializer_list<const char*> known,
                             const std::string& where) -> Status {
    for (auto it = object.begin(); it != object.end(); ++it) {
      if (std::none_of(known.begin(), known.end(), [&](const char* k) { return it.key() == k; }))
        return MakeError(ErrorCode::kParse, where + ": unknown key '" + it.key() + "'");
    }
    return Ok{};
  };
  MG_TRY(check_keys(doc,
                    {"schema", "inferred_from", "label", "columns", "classes", "class_share_tolerance", "duplicates",
                     "allow_unexpected_columns"},
                    "schema"));
  // Compared, not read with value(): value() throws on a "schema" that is not a string.
  if (!doc.contains("schema") || doc["schema"] != "modelguard.data-schema/v1")
    return MakeError(ErrorCode::kParse, "not a modelguard data schema (\"schema\": \"modelguard.data-schema/v1\")");
  // Numbers are checked before they are converted: a count must be a whole number >= 0 (a float too large
  // for uint64_t converts with undefined behaviour, a negative one wraps), and a share or bound must be a
  // finite number (an infinity would be written back as null).
  const auto finite = [](const nlohmann::json& value, const std::string& where) -> Result<double> {
    if (!value.is_number() || !std::isfinite(value.get<double>()))
      return MakeError(ErrorCode::kParse, where + " must be a finite number");
    return value.get<double>();
  };
  const auto whole = [](const nlohmann::json& value, const std::string& where) -> Result<uint64_t> {
    if (!value.is_number_unsigned()) return MakeError(ErrorCode::kParse, where + " must be a whole number >= 0");
    return value.get<uint64_t>();
  };
  const auto finite_or = [&](const nlohmann::json& object, const char* key, double fallback,
                             const std::string& where) -> Result<double> {
    if (!object.is_object()) return MakeError(ErrorCode::kParse, where + " must be an object");
    if (!object.contains(key)) return fallback;
    return finite(object[key], where + ": " + key);
  };
  Schema schema;
  try {
    if (doc.contains("inferred_from")) {
      schema.format = doc["inferred_from"].value("format", "");
      if (doc["inferred_from"].contains("records")) {
        MG_ASSIGN_OR_RETURN(schema.records, whole(doc["inferred_from"]["records"], "inferred_from: records"));
      }
    }
    schema.label = doc.value("label", "");
    if (!doc.contains("columns") || !doc["columns"].is_array())
      return MakeError(ErrorCode::kParse, "schema: \"columns\" must be an array");
    std::set<std::string> names;
    for (const auto& c : doc["columns"]) {
      const std::string where = "column " + std::to_string(schema.columns.size() + 1);
      if (!c.is_object()) return MakeError(ErrorCode::kParse, where + ": not an object");
      MG_TRY(check_keys(c, {"name", "type", "required", "max_missing_share", "min", "max", "domain", "length", "text"},
                        where));
      ColumnSchema column;
      column.name = c.at("name").get<std::string>();
      if (!names.insert(column.name).second)
        return MakeError(ErrorCode::kParse, where + ": column '" + column.name + "' is listed twice");
      MG_ASSIGN_OR_RETURN_CONTEXT(column.type, ParseType(c.at("type").get<std::string>()), where + ": ");
      column.required = c.value("required", false);
      MG_ASSIGN_OR_RETURN(column.max_missing_share, finite_or(c, "max_missing_share", 0.0, where));
      if (!(column.max_missing_share >= 0 && column.max_missing_share <= 1))
        return MakeError(ErrorCode::kParse, where + ": max_missing_share must be between 0 and 1");
      if (c.contains("min")) {
        MG_ASSIGN_OR_RETURN(column.min, finite(c["min"], where + ": min"));
      }
      if (c.contains("max")) {
        MG_ASSIGN_OR_RETURN(column.max, finite(c["max"], where + ": max"));
      }
      if (column.min && column.max && *column.min > *column.max)
        return MakeError(ErrorCode::kParse, where + ": min is above max");
      if (c.contains("domain")) column.domain = c["domain"].get<std::vector<std::string>>();
      if (c.contains("length")) {
        MG_ASSIGN_OR_RETURN(column.min_length, whole(c["length"].at("min"), where + ": length min"));
        MG_ASSIGN_OR_RETURN(column.max_length, whole(c["length"].at("max"), where + ": length max"));
      }
      column.text = c.value("text", false);
      schema.columns.push_back(std::move(column));
    }
    if (doc.contains("classes")) {
      if (!doc["classes"].is_object()) return MakeError(ErrorCode::kParse, "schema: \"classes\" must be an object");
      for (const auto& item : doc["classes"].items()) {
        MG_ASSIGN_OR_RETURN(schema.class_shares[item.key()], finite(item.value(), "classes: '" + item.key() + "'"));
      }
    }
    MG_ASSIGN_OR_RETURN(schema.class_share_tolerance, finite_or(doc, "class_share_tolerance", 0.5, "schema"));
    if (doc.contains("duplicates")) {
      MG_TRY(check_keys(doc["duplicates"], {"max_exact_share", "max_near_share"}, "duplicates"));
      MG_ASSIGN_OR_RETURN(schema.max_duplicate_share,
                          finite_or(doc["duplicates"], "max_exact_share", 0.0, "duplicates"));
      MG_ASSIGN_OR_RETURN(schema.max_near_duplicate_share,
                          finite_or(doc["duplicates"], "max_near_share", 0.0, "duplicates"));
    }
    schema.allow_unexpected_columns = doc.value("allow_unexpected_columns", false);
  } catch (const nlohmann::json::exception& e) {
    return MakeError(ErrorCode::kParse, std::string("schema: a value has the wrong type or is missing: ") + e.what());
  }
  return schema;
}

std::vector<DriftResult> CompareProfiles(const DatasetProfile& reference, const DatasetProfile& current,
                                         const Schema& schema) {
  std::vector<DriftResult> results;
  const uint64_t reference_rows = reference.records - reference.problems;
  for (const ColumnSchema& column : schema.columns) {
    const ColumnProfile* ref = reference.Column(column.name);
    const ColumnProfile* cur = current.Column(column.name);
    if (ref == nullptr || cur == nullptr || ref->present == 0 || cur->present == 0) continue;
    // Categorical: the schema gave the column a domain. Free text and identifiers have none, and a test over
    // their values would only say that two samples hold different sentences.
    const bool categorical = !column.domain.empty() && !ref->high_cardinality && !cur->high_cardinality;
    const bool numeric = !categorical && IsNumericType(column.type) && !ref->sample.empty() && !cur->sample.empty();
    if (!categorical && !numeric) continue;  // free text and high-cardinality strings: no distribution to compare
    const stats::ColumnSample r = SampleOf(*ref, categorical), c = SampleOf(*cur, categorical);
    // Evidently's rule (stats/drift.h) by the whole reference's row count.
    const stats::DriftTest& test = stats::AutoDriftTest(r, reference_rows);
    const stats::DriftOutcome outcome = test.run(r, c, stats::DriftSettings{});
    DriftResult result;
    result.column = column.name;
    result.test = outcome.test;
    result.statistic = outcome.statistic;
    result.p_value = outcome.p_value;
    result.threshold = outcome.threshold;
    result.drift = outcome.drift;
    result.jensen_shannon = stats::FindDriftTest("js")->run(r, c, stats::DriftSettings{}).statistic;
    results.push_back(std::move(result));
  }
  return results;
}

Result<ValidationReport> ValidateDataset(DatasetSource& source, const Schema& schema, const DatasetProfile* reference,
                                         const ProfileOptions& options) {
  ProfileOptions profile_options = options;
  if (profile_options.label_column.empty()) profile_options.label_column = schema.label;
  Profiler profiler(profile_options, source.format());
  const bool typed = TypedSource(ToString(source.format()));
  std::vector<Counter> type_errors(schema.columns.size()), range_errors(schema.columns.size()),
      domain_errors(schema.columns.size()), length_errors(schema.columns.size());
  std::vector<std::set<std::string>> domains(schema.columns.size());
  for (size_t i = 0; i < schema.columns.size(); ++i)
    domains[i].insert(schema.columns[i].domain.begin(), schema.columns[i].domain.end());
  std::vector<int64_t> schema_index;  // source column -> schema column, -1 when not in the schema
  std::map<std::string, size_t> by_name;
  for (size_t i = 0; i < schema.columns.size(); ++i) by_name.emplace(schema.columns[i].name, i);
  const bool label_checked = !schema.label.empty() && !schema.class_shares.empty();
  ValidationReport report;
  Row row;
  while (true) {
    if (cancel::Requested()) {
      report.profile.interrupted = true;
      break;
    }
    MG_ASSIGN_OR_RETURN(bool more, source.Next(row));
    if (!more) break;
    const auto& names = source.columns();
    while (schema_index.size() < names.size()) {
      auto it = by_name.find(names[schema_index.size()]);
      schema_index.push_back(it == by_name.end() ? -1 : static_cast<int64_t>(it->second));
    }
    profiler.AddRow(row, names);
    if (!row.problem.empty()) continue;
    for (size_t i = 0; i < row.cells.size() && i < schema_index.size(); ++i) {
      if (schema_index[i] < 0) continue;
      const auto s = static_cast<size_t>(schema_index[i]);
      const ColumnSchema& column = schema.columns[s];
      const Cell& cell = row.cells[i];
      if (cell.type == CellType::kMissing) continue;
      // The label column's values are judged by the class checks below (unknown, missing, balance).
      const bool class_checked = label_checked && column.name == schema.label;
      if (!Accepts(column.type, cell.type, typed)) {
        Count(type_errors[s], row.location, options.max_examples);
        continue;
      }
      if (class_checked) continue;
      if (IsNumericType(cell.type) &&
          ((column.min && cell.number < *column.min) || (column.max && cell.number > *column.max)))
        Count(range_errors[s], row.location, options.max_examples);
      if (!domains[s].empty() && !domains[s].contains(cell.text))
        Count(domain_errors[s], row.location, options.max_examples);
      if (cell.type == CellType::kString && column.min_length &&
          (cell.text.size() < *column.min_length || cell.text.size() > *column.max_length))
        Count(length_errors[s], row.location, options.max_examples);
    }
  }
  const bool interrupted = report.profile.interrupted;
  report.profile = profiler.Finish(source.columns(), source.bytes_read());
  report.profile.interrupted = interrupted;
  const DatasetProfile& profile = report.profile;
  const uint64_t rows = profile.records - profile.problems;
  auto& violations = report.violations;
  const auto add = [&](std::string rule, Severity severity, std::string column, std::string message, uint64_t count,
                       std::vector<uint64_t> locations = {}) {
    violations.push_back({std::move(rule), severity, std::move(column), std::move(message), count, std::move(locations),
                          nlohmann::ordered_json::object()});
  };
  if (profile.records == 0) add("data.empty", Severity::kHigh, "", "the dataset has no records", 0);
  if (profile.problems > 0) {
    std::string first = profile.problem_examples.empty() ? "" : " (first: " + profile.problem_examples.front() + ")";
    add("data.unreadable-records", Severity::kHigh, "",
        std::to_string(profile.problems) + " records could not be read" + first, profile.problems);
  }
  for (size_t s = 0; s < schema.columns.size(); ++s) {
    const ColumnSchema& column = schema.columns[s];
    const ColumnProfile* seen = profile.Column(column.name);
    if (seen == nullptr || (seen->present == 0 && rows > 0 && column.required)) {
      add("data.missing-column", column.required ? Severity::kHigh : Severity::kLow, column.name,
          "column '" + column.name + "' is not in the data", rows);
      continue;
    }
    if (rows > 0) {
      const double share = static_cast<double>(seen->missing) / static_cast<double>(rows);
      if ((column.required && seen->missing > 0) || share > column.max_missing_share + 1e-12)
        add("data.missing-values", Severity::kMedium, column.name,
            Percent(share) + " of the values are missing, the schema allows " + Percent(column.max_missing_share),
            seen->missing);
    }
    if (type_errors[s].count)
      add("data.type", Severity::kMedium, column.name,
          std::to_string(type_errors[s].count) + " values are not of type " + ToString(column.type),
          type_errors[s].count, type_errors[s].locations);
    if (range_errors[s].count)
      add("data.range", Severity::kLow, column.name,
          std::to_string(range_errors[s].count) + " values outside [" + Number(column.min.value_or(-INFINITY)) + ", " +
              Number(column.max.value_or(INFINITY)) + "]",
          range_errors[s].count, range_errors[s].locations);
    if (domain_errors[s].count)
      add("data.domain", Severity::kMedium, column.name,
          std::to_string(domain_errors[s].count) + " values outside the column's " +
              std::to_string(column.domain.size()) + " known categories",
          domain_errors[s].count, domain_errors[s].locations);
    if (length_errors[s].count)
      add("data.length", Severity::kLow, column.name,
          std::to_string(length_errors[s].count) + " strings shorter than " + std::to_string(*column.min_length) +
              " or longer than " + std::to_string(*column.max_length) + " bytes",
          length_errors[s].count, length_errors[s].locations);
  }
  if (!schema.allow_unexpected_columns) {
    for (const ColumnProfile& column : profile.columns)
      if (!by_name.contains(column.name) && column.present > 0)
        add("data.unexpected-column", Severity::kLow, column.name, "column '" + column.name + "' is not in the schema",
            column.present);
  }
  if (rows > 0) {
    const auto duplicates = [&](const char* rule, uint64_t count, double allowed, const char* what,
                                const std::vector<std::pair<uint64_t, uint64_t>>& examples) {
      const double share = static_cast<double>(count) / static_cast<double>(rows);
      if (count == 0 || share <= allowed + 1e-12) return;
      std::vector<uint64_t> locations;
      std::string pairs;
      for (const auto& [at, first] : examples) {
        locations.push_back(at);
        pairs += (pairs.empty() ? "" : ", ") + std::to_string(at) + " = " + std::to_string(first);
      }
      add(rule, share > kDuplicateShareMedium ? Severity::kMedium : Severity::kLow, "",
          std::to_string(count) + " records (" + Percent(share) + ") " + what + " an earlier one (" + pairs + ")",
          count, locations);
    };
    duplicates("data.duplicates", profile.exact_duplicates, schema.max_duplicate_share, "repeat",
               profile.duplicate_examples);
    duplicates("data.near-duplicates", profile.near_duplicates, schema.max_near_duplicate_share, "nearly repeat",
               profile.near_duplicate_examples);
  }
  if (!schema.label.empty() && !schema.class_shares.empty() && rows > 0) {
    const ColumnProfile* label = profile.Column(schema.label);
    if (label != nullptr && !label->high_cardinality) {
      for (const auto& [value, count] : label->categories) {
        if (!schema.class_shares.contains(value))
          add("data.unknown-class", Severity::kHigh, schema.label,
              std::to_string(count) + " records of class '" + value + "', which the schema does not know", count);
      }
      for (const auto& [value, expected] : schema.class_shares) {
        auto it = label->categories.find(value);
        const double share =
            it == label->categories.end() ? 0 : static_cast<double>(it->second) / static_cast<double>(rows);
        if (it == label->categories.end()) {
          add("data.missing-class", Severity::kMedium, schema.label,
              "no records of class '" + value + "' (expected " + Percent(expected) + ")", 0);
        } else if (std::fabs(share - expected) > std::max(kClassShareSlack, schema.class_share_tolerance * expected)) {
          add("data.class-balance", Severity::kMedium, schema.label,
              "class '" + value + "' is " + Percent(share) + " of the records, the schema expects " + Percent(expected),
              it->second);
        }
      }
    }
  }
  if (reference != nullptr) {
    report.drift = CompareProfiles(*reference, profile, schema);
    size_t drifted = 0;
    for (const DriftResult& result : report.drift) {
      if (!result.drift) continue;
      ++drifted;
      std::string figure = result.p_value ? "p = " + Number(*result.p_value) : "distance " + Number(result.statistic);
      add("data.drift", Severity::kMedium, result.column,
          "the distribution shifted from the reference (" + result.test + ", " + figure + ")", 0);
    }
    report.drifted_share =
        report.drift.empty() ? 0 : static_cast<double>(drifted) / static_cast<double>(report.drift.size());
    report.dataset_drift = !report.drift.empty() && report.drifted_share >= kDatasetDriftShare;
    if (report.dataset_drift)
      add("data.dataset-drift", Severity::kHigh, "",
          std::to_string(drifted) + " of " + std::to_string(report.drift.size()) + " columns drifted (" +
              Percent(report.drifted_share) + ")",
          drifted);
  }
  return report;
}

Severity ValidationReport::Worst() const {
  Severity worst = Severity::kInfo;
  for (const Violation& v : violations) worst = std::max(worst, v.severity);
  return worst;
}

nlohmann::ordered_json ToJson(const DatasetProfile& profile) {
  nlohmann::ordered_json doc;
  doc["format"] = profile.format;
  doc["records"] = profile.records;
  doc["unreadable_records"] = profile.problems;
  doc["bytes"] = profile.bytes;
  if (!profile.label_column.empty()) doc["label"] = profile.label_column;
  doc["exact_duplicates"] = profile.exact_duplicates;
  doc["near_duplicates"] = profile.near_duplicates;
  if (!profile.duplicates_complete || !profile.near_duplicates_complete)
    doc["duplicates_complete"] = false;  // past the fingerprint or signature caps
  if (profile.interrupted) doc["interrupted"] = true;
  return doc;
}

nlohmann::ordered_json ToJson(const ValidationReport& report) {
  nlohmann::ordered_json doc;
  doc["schema"] = "modelguard.data-validation/v1";
  doc["dataset"] = ToJson(report.profile);
  auto& violations = doc["violations"] = nlohmann::ordered_json::array();
  for (const Violation& v : report.violations) {
    nlohmann::ordered_json item;
    item["rule"] = v.rule;
    item["severity"] = ToString(v.severity);
    if (!v.column.empty()) item["column"] = v.column;
    item["message"] = v.message;
    item["count"] = v.count;
    if (!v.locations.empty()) item["locations"] = v.locations;
    violations.push_back(std::move(item));
  }
  if (!report.drift.empty()) {
    auto& drift = doc["drift"];
    drift["dataset_drift"] = report.dataset_drift;
    drift["drifted_share"] = report.drifted_share;
    auto& columns = drift["columns"] = nlohmann::ordered_json::array();
    for (const DriftResult& result : report.drift) {
      nlohmann::ordered_json item;
      item["column"] = result.column;
      item["test"] = result.test;
      item["statistic"] =
          std::isfinite(result.statistic) ? nlohmann::ordered_json(result.statistic) : nlohmann::ordered_json("inf");
      if (result.p_value) item["p_value"] = *result.p_value;
      item["threshold"] = result.threshold;
      item["drift"] = result.drift;
      item["jensen_shannon"] = result.jensen_shannon;
      columns.push_back(std::move(item));
    }
  }
  doc["worst_severity"] = report.violations.empty() ? "none" : ToString(report.Worst());
  return doc;
}

}  // namespace modelguard::data
