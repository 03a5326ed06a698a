#pragma once
// Personal data and credentials in datasets: every text value of every record (CSV/TSV cells, JSONL
// strings) examined with the guard's recognisers, one record at a time (constant memory whatever the file's
// size), counted per column and entity; and redaction that writes the same format back with the values
// masked or hashed. Fail-closed like `guard redact`: a value the recognisers could not examine completely
// (longer than the guard examines, or too dense) or a line that is not a record is reported by a scan and
// makes a redaction fail without output, never passed through as clean.
#include <cstdint>
#include <istream>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "modelguard/core/result.h"
#include "modelguard/data/table.h"
#include "modelguard/guard/guard.h"

namespace modelguard::data {

struct DataScanOptions {
  TableFormat format = TableFormat::kJsonl;
  TableLimits limits;
  bool pii = true;
  bool secrets = true;
  size_t max_examples = 20;  // findings listed with their place (never their value)
};

struct ColumnCounts {
  uint64_t values = 0;  // text values examined in this column
  uint64_t values_with_entities = 0;
  uint64_t unexamined = 0;                   // values not examined completely
  std::map<std::string, uint64_t> entities;  // EMAIL -> occurrences
};

struct DataFinding {
  size_t line = 0;
  std::string column;
  std::string entity;
  std::string rule_id;
};

struct DataScanReport {
  uint64_t records = 0;
  uint64_t bytes = 0;
  uint64_t values = 0;
  uint64_t entities = 0;
  uint64_t unexamined = 0;   // values not examined completely
  uint64_t bad_records = 0;  // JSONL lines that are not JSON (or too deep)
  std::map<std::string, ColumnCounts> columns;
  std::map<std::string, uint64_t> by_entity;
  std::vector<DataFinding> examples;
  std::vector<std::string> problems;  // the first bad records and unexamined values, with their lines
  bool interrupted = false;           // SIGINT/SIGTERM stopped the scan: the counts cover part of the file
  bool clean() const { return entities == 0 && unexamined == 0 && bad_records == 0; }
};

// Scans `in`. Errors: the reader's (a record over the limits, a quote that never closes, a read error).
Result<DataScanReport> ScanTable(std::istream& in, const guard::Guard& guard, const DataScanOptions& options);

// Writes `in` to `out` with every entity replaced ([EMAIL], or [EMAIL:sha256-prefix] with kHash); the CSV
// header and the JSONL key order are kept. An error when any value could not be examined completely or any
// line is not a record: the caller must then discard `out` (the CLI writes through an atomic file).
Result<DataScanReport> RedactTable(std::istream& in, std::ostream& out, const guard::Guard& guard,
                                   guard::RedactMode mode, const DataScanOptions& options);

nlohmann::ordered_json ToJson(const DataScanReport& report);

}  // namespace modelguard::data
