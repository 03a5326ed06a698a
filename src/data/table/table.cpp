#include "modelguard/data/table.h"

#include <algorithm>
#include <filesystem>

namespace modelguard::data {
namespace {

constexpr size_t kReadChunk = 1 << 16;

char DelimiterOf(TableFormat format) { return format == TableFormat::kTsv ? '\t' : ','; }

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// The nesting depth of a JSON text (brackets outside strings), without parsing it: the parser recurses,
// so a line of a million '[' must be refused before it reaches the parser.
size_t JsonDepth(std::string_view text) {
  size_t depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

void VisitJson(nlohmann::ordered_json& value, std::string& path,
               const std::function<void(const std::string&, std::string&)>& visit) {
  if (value.is_string()) {
    visit(path.empty() ? std::string("(value)") : path, value.get_ref<std::string&>());
  } else if (value.is_array()) {
    const size_t before = path.size();
    path += "[]";
    for (auto& element : value) VisitJson(element, path, visit);
    path.resize(before);
  } else if (value.is_object()) {
    const size_t before = path.size();
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (!path.empty()) path += '.';
      path += it.key();
      VisitJson(it.value(), path, visit);
      path.resize(before);
    }
  }
}

}  // namespace

Result<TableFormat> TableFormatOf(const std::string& path, std::string_view name) {
  std::string kind(name);
  if (kind.empty()) {
    kind = Lower(std::filesystem::path(path).extension().string());
    if (!kind.empty()) kind.erase(0, 1);
  }
  if (kind == "csv") return TableFormat::kCsv;
  if (kind == "tsv" || kind == "tab") return TableFormat::kTsv;
  if (kind == "jsonl" || kind == "ndjson" || kind == "json") return TableFormat::kJsonl;
  if (name.empty())
    return MakeError(ErrorCode::kInvalidArgument,
                     path + ": cannot tell the format from the name; pass --input-format csv, tsv or jsonl");
  return MakeError(ErrorCode::kInvalidArgument, "unknown format '" + kind + "' (csv, tsv or jsonl)");
}

const char* ToString(TableFormat format) {
  switch (format) {
    case TableFormat::kCsv:
      return "csv";
    case TableFormat::kTsv:
      return "tsv";
    case TableFormat::kJsonl:
      return "jsonl";
  }
  return "?";
}

TableReader::TableReader(std::istream& in, TableFormat format, TableLimits limits)
    : in_(in), format_(format), limits_(limits), buffer_(kReadChunk) {}

int TableReader::Get() {
  if (buffer_at_ == buffer_end_) {
    if (!in_.good()) return -1;
    in_.read(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    buffer_end_ = static_cast<size_t>(in_.gcount());
    buffer_at_ = 0;
    if (buffer_end_ == 0) return -1;
  }
  ++bytes_read_;
  return static_cast<unsigned char>(buffer_[buffer_at_++]);
}

Result<bool> TableReader::NextLine(std::string& text, std::string& terminator, size_t& line) {
  text.clear();
  terminator.clear();
  line = line_;
  int c = Get();
  if (c < 0) {
    if (in_.bad()) return MakeError(ErrorCode::kIo, "read error");
    return false;
  }
  for (; c >= 0; c = Get()) {
    if (c == '\n') {
      ++line_;
      if (!text.empty() && text.back() == '\r') {
        text.pop_back();
        terminator = "\r\n";
      } else {
        terminator = "\n";
      }
      return true;
    }
    if (text.size() >= limits_.max_record_bytes)
      return MakeError(ErrorCode::kLimit, "line " + std::to_string(line) + " is longer than " +
                                              std::to_string(limits_.max_record_bytes) + " bytes");
    text.push_back(static_cast<char>(c));
  }
  if (in_.bad()) return MakeError(ErrorCode::kIo, "read error");
  return true;
}

Result<bool> TableReader::NextRow(std::vector<std::string>& cells, std::string& terminator, size_t& line) {
  cells.clear();
  terminator.clear();
  line = line_;
  const char delimiter = DelimiterOf(format_);
  int c = Get();
  if (c < 0) {
    if (in_.bad()) return MakeError(ErrorCode::kIo, "read error");
    return false;
  }
  size_t record_bytes = 0;
  std::string cell;
  bool quoted = false;      // inside quotes
  bool was_quoted = false;  // this cell began with a quote
  size_t closed_at = 0;     // the cell's length when its closing quote was read
  auto too_long = [&]() {
    return MakeError(ErrorCode::kLimit, "the record starting on line " + std::to_string(line) + " is longer than " +
                                            std::to_string(limits_.max_record_bytes) + " bytes");
  };
  for (; c >= 0; c = Get()) {
    if (++record_bytes > limits_.max_record_bytes) return too_long();
    if (quoted) {
      if (c == '"') {
        const int next = Get();
        if (next == '"') {
          ++record_bytes;
          cell.push_back('"');
          continue;
        }
        quoted = false;
        closed_at = cell.size();
        if (next < 0) break;
        c = next;  // handled below as an unquoted character
        ++record_bytes;
      } else {
        if (c == '\n') ++line_;
        cell.push_back(static_cast<char>(c));
        continue;
      }
    }
    if (c == delimiter) {
      if (cells.size() + 1 >= limits_.max_columns)
        return MakeError(ErrorCode::kLimit, "the record starting on line " + std::to_string(line) +
                                                " has more than " + std::to_string(limits_.max_columns) + " columns");
      cells.push_back(std::move(cell));
      cell.clear();
      was_quoted = false;
      closed_at = 0;
    } else if (c == '\n') {
      ++line_;
      // A \r before the line break belongs to the break, unless it was inside the quotes.
      if (cell.size() > (was_quoted ? closed_at : 0) && cell.back() == '\r') {
        cell.pop_back();
        terminator = "\r\n";
      } else {
        terminator = "\n";
      }
      cells.push_back(std::move(cell));
      return true;
    } else if (c == '"' && cell.empty() && !was_quoted) {
      quoted = true;
      was_quoted = true;
    } else {
      cell.push_back(static_cast<char>(c));
    }
  }
  if (in_.bad()) return MakeError(ErrorCode::kIo, "read error");
  if (quoted)
    return MakeError(ErrorCode::kParse,
                     "the quoted field opened in the record starting on line " + std::to_string(line) + " never closes");
  cells.push_back(std::move(cell));
  return true;
}

Result<bool> TableReader::Next(Record& record) {
  record.error.clear();
  record.document = nullptr;
  if (format_ == TableFormat::kJsonl) {
    std::string text;
    while (true) {
      MG_ASSIGN_OR_RETURN(const bool more, NextLine(text, record.terminator, record.line));
      if (!more) return false;
      if (text.find_first_not_of(" \t\r") != std::string::npos) break;  // blank lines are not records
    }
    if (JsonDepth(text) > limits_.max_json_depth) {
      record.error = "nested deeper than " + std::to_string(limits_.max_json_depth) + " levels";
      return true;
    }
    record.document = nlohmann::ordered_json::parse(text, nullptr, false);
    if (record.document.is_discarded()) {
      record.document = nullptr;
      record.error = "not JSON";
    }
    return true;
  }
  if (!header_read_) {
    header_read_ = true;
    size_t line = 0;
    MG_ASSIGN_OR_RETURN(const bool any, NextRow(header_, header_terminator_, line));
    if (!any) return false;
  }
  return NextRow(record.cells, record.terminator, record.line);
}

void ForEachText(Record& record, const std::vector<std::string>& header,
                 const std::function<void(const std::string& column, std::string& value)>& visit) {
  if (!record.cells.empty()) {
    for (size_t i = 0; i < record.cells.size(); ++i) {
      const std::string column = i < header.size() && !header[i].empty() ? header[i] : "column " + std::to_string(i + 1);
      visit(column, record.cells[i]);
    }
    return;
  }
  std::string path;
  VisitJson(record.document, path, visit);
}

std::string SerializeRow(const std::vector<std::string>& cells, TableFormat format, const std::string& terminator) {
  const char delimiter = DelimiterOf(format);
  std::string out;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) out.push_back(delimiter);
    const std::string& cell = cells[i];
    // A row of one empty cell at the very end (no line break) would otherwise write nothing and vanish.
    const bool only_empty_cell = cells.size() == 1 && cell.empty() && terminator.empty();
    const bool quote = cell.find_first_of(std::string("\"\r\n") + delimiter) != std::string::npos ||
                       (!cell.empty() && (cell.front() == ' ' || cell.back() == ' ')) || only_empty_cell;
    if (!quote) {
      out += cell;
      continue;
    }
    out.push_back('"');
    for (char c : cell) {
      if (c == '"') out.push_back('"');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out += terminator;
  return out;
}

std::string SerializeRecord(const Record& record, TableFormat format) {
  if (format != TableFormat::kJsonl) return SerializeRow(record.cells, format, record.terminator);
  return record.document.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + record.terminator;
}

}  // namespace modelguard::data
