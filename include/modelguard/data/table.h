#pragma once
// Tabular datasets read one record at a time, in constant memory: CSV and TSV (RFC 4180 quoting, fields
// spanning lines, CRLF or LF) and JSON Lines. The reader trusts nothing: a record longer than the limit, a
// row with more columns than the limit and a quote left open at the end are errors, never a truncated or
// silently merged record. A JSONL line that is not JSON is reported in the record (the reader goes on), so
// callers decide whether one bad line fails the whole file.
#include <cstddef>
#include <functional>
#include <istream>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "modelguard/core/result.h"

namespace modelguard::data {

enum class TableFormat { kCsv, kTsv, kJsonl };

// By name ("csv", "tsv", "jsonl"), or when `name` is empty by the file's extension (.csv, .tsv, .tab,
// .jsonl, .ndjson, .json).
Result<TableFormat> TableFormatOf(const std::string& path, std::string_view name = {});
const char* ToString(TableFormat format);

struct TableLimits {
  size_t max_record_bytes = size_t{16} << 20;  // one row or line, quotes and line breaks included
  size_t max_columns = 65536;
  size_t max_json_depth = 64;
};

struct Record {
  size_t line = 0;                  // the line the record starts on (1-based)
  std::vector<std::string> cells;   // CSV/TSV
  nlohmann::ordered_json document;  // JSONL
  std::string error;                // JSONL: why this line is not a record (the reader goes on)
  std::string terminator;           // the line break that ended it ("\n", "\r\n", or "" at the end)
};

class TableReader {
 public:
  TableReader(std::istream& in, TableFormat format, TableLimits limits = {});
  // The next record: false at the end. A CSV file's first row is its header (header()), not a record.
  Result<bool> Next(Record& record);
  const std::vector<std::string>& header() const { return header_; }
  const std::string& header_terminator() const { return header_terminator_; }
  TableFormat format() const { return format_; }
  uint64_t bytes_read() const { return bytes_read_; }

 private:
  Result<bool> NextRow(std::vector<std::string>& cells, std::string& terminator, size_t& line);
  Result<bool> NextLine(std::string& text, std::string& terminator, size_t& line);
  int Get();
  std::istream& in_;
  TableFormat format_;
  TableLimits limits_;
  std::vector<std::string> header_;
  std::string header_terminator_;
  bool header_read_ = false;
  size_t line_ = 1;
  uint64_t bytes_read_ = 0;
  std::vector<char> buffer_;
  size_t buffer_at_ = 0;
  size_t buffer_end_ = 0;
};

// Every text value of a record, by column: a CSV cell under its header's name (or "column N" past the
// header), a JSONL string under its path with array positions folded ("messages[].content"), so counts add
// up per column. `value` may be changed in place (redaction); the record then serialises with the change.
void ForEachText(Record& record, const std::vector<std::string>& header,
                 const std::function<void(const std::string& column, std::string& value)>& visit);

// A record as the file had it, after ForEachText changed values: CSV/TSV cells quoted where they need it
// (delimiter, quote, line break, or leading/trailing space), JSONL as compact JSON.
std::string SerializeRecord(const Record& record, TableFormat format);
std::string SerializeRow(const std::vector<std::string>& cells, TableFormat format, const std::string& terminator);

}  // namespace modelguard::data
