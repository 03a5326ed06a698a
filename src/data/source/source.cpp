// Tables as rows of typed cells, and the dispatch by format (source.h).
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <unordered_map>

#include "modelguard/core/hash.h"
#include "modelguard/core/io.h"
#include "modelguard/data/source.h"
#include "src/data/source/source_internal.h"

namespace modelguard::data {
namespace {

// A 64-bit FNV-1a over the cells, with a separator that cannot occur inside a cell's type tag, so
// ("ab", "c") and ("a", "bc") differ.
uint64_t Fingerprint(const std::vector<Cell>& cells) {
  uint64_t hash = kFnv1aOffset;
  for (const Cell& cell : cells) {
    const char tag[2] = {static_cast<char>('0' + static_cast<int>(cell.type)), '\x1f'};
    hash = Fnv1a64(std::string_view(tag, 2), hash);
    hash = Fnv1a64(cell.text, hash);
    hash = Fnv1a64(std::string_view("\x1e", 1), hash);
  }
  return hash;
}

Cell JsonCell(const nlohmann::ordered_json& value) {
  Cell cell;
  if (value.is_null()) return cell;
  if (value.is_boolean()) {
    cell.type = CellType::kBoolean;
    cell.number = value.get<bool>() ? 1 : 0;
    cell.text = value.get<bool>() ? "true" : "false";
  } else if (value.is_number_integer()) {
    cell.type = CellType::kInteger;
    cell.number = value.is_number_unsigned() ? static_cast<double>(value.get<uint64_t>())
                                             : static_cast<double>(value.get<int64_t>());
    cell.text = value.dump();
  } else if (value.is_number_float()) {
    const double number = value.get<double>();
    // 3.0 written as a float is still a whole number: a column of 1.0, 2.0 is an integer column.
    cell.type = std::floor(number) == number && std::fabs(number) < 9.007199254740992e15 ? CellType::kInteger
                                                                                         : CellType::kNumber;
    cell.number = number;
    cell.text = value.dump();
  } else if (value.is_string()) {
    cell.type = CellType::kString;
    cell.text = value.get<std::string>();
  } else {
    cell.type = CellType::kOther;
    cell.text = value.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  }
  return cell;
}

class TableSource : public DatasetSource {
 public:
  TableSource(std::unique_ptr<std::istream> owned, std::istream& in, TableFormat format, SourceFormat source_format,
              const TableLimits& limits)
      : owned_(std::move(owned)), reader_(in, format, limits), source_format_(source_format) {}

  Result<bool> Next(Row& row) override {
    Record record;
    MG_ASSIGN_OR_RETURN(bool more, reader_.Next(record));
    if (!header_taken_) TakeHeader();  // also for a header with no rows: it still names the columns
    if (!more) return false;
    row = Row{};
    row.location = record.line;
    if (!record.error.empty()) {
      row.problem = record.error;
      return true;
    }
    if (reader_.format() == TableFormat::kJsonl) {
      if (!record.document.is_object()) {
        row.problem = "line " + std::to_string(record.line) + ": the record is a JSON " +
                      std::string(record.document.type_name()) + ", not an object";
        return true;
      }
      for (auto it = record.document.begin(); it != record.document.end(); ++it) {
        auto [at, added] = index_.emplace(it.key(), columns_.size());
        if (added) {
          if (columns_.size() >= kMaxColumns) {
            index_.erase(at);
            return MakeError(ErrorCode::kLimit, "line " + std::to_string(record.line) + ": more than " +
                                                    std::to_string(kMaxColumns) + " distinct keys");
          }
          columns_.push_back(it.key());
        }
        if (row.cells.size() <= at->second) row.cells.resize(at->second + 1);
        row.cells[at->second] = JsonCell(it.value());
      }
    } else {
      if (record.cells.size() > columns_.size()) {
        row.problem = "line " + std::to_string(record.line) + ": " + std::to_string(record.cells.size()) +
                      " fields, the header has " + std::to_string(columns_.size());
        return true;
      }
      row.cells.reserve(record.cells.size());
      for (const std::string& text : record.cells) row.cells.push_back(ParseCell(text));
    }
    row.fingerprint = Fingerprint(row.cells);
    return true;
  }
  const std::vector<std::string>& columns() const override { return columns_; }
  SourceFormat format() const override { return source_format_; }
  uint64_t bytes_read() const override { return reader_.bytes_read(); }

 private:
  // A schema names the columns in JSON, one name for each: a name that is not UTF-8 is kept with \xNN
  // escapes (core/io.h), and a repeated name (two blank header cells, say) becomes "name.1", "name.2" as
  // pandas reads it, so that a schema inferred from the table can be written, read back and matched.
  void TakeHeader() {
    header_taken_ = true;
    std::unordered_map<std::string, size_t> suffixes;
    for (std::string name : reader_.header()) {
      if (!IsValidUtf8(name)) name = EscapeControlCharacters(name);
      if (index_.contains(name)) {
        size_t& suffix = suffixes[name];
        std::string unique;
        do {
          unique = name + "." + std::to_string(++suffix);
        } while (index_.contains(unique));
        name = std::move(unique);
      }
      index_.emplace(name, columns_.size());
      columns_.push_back(std::move(name));
    }
  }
  static constexpr size_t kMaxColumns = 65536;
  std::unique_ptr<std::istream> owned_;
  TableReader reader_;
  SourceFormat source_format_;
  std::vector<std::string> columns_;
  std::unordered_map<std::string, size_t> index_;
  bool header_taken_ = false;
};

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

Result<SourceFormat> FormatOf(const std::string& path, const std::string& name) {
  static const std::pair<const char*, SourceFormat> kNames[] = {
      {"csv", SourceFormat::kCsv},      {"tsv", SourceFormat::kTsv}, {"jsonl", SourceFormat::kJsonl},
      {"npy", SourceFormat::kNpy},      {"npz", SourceFormat::kNpz}, {"idx", SourceFormat::kIdx},
      {"images", SourceFormat::kImages}};
  if (!name.empty()) {
    for (const auto& [text, format] : kNames)
      if (name == text) return format;
    return MakeError(ErrorCode::kInvalidArgument,
                     "unknown dataset format '" + name + "' (csv, tsv, jsonl, npy, npz, idx or images)");
  }
  std::error_code error;
  if (path != "-" && std::filesystem::is_directory(path, error)) return SourceFormat::kImages;
  std::string lower = Lower(path);
  if (lower.size() > 3 && lower.ends_with(".gz")) lower.resize(lower.size() - 3);
  if (lower.ends_with(".npy")) return SourceFormat::kNpy;
  if (lower.ends_with(".npz")) return SourceFormat::kNpz;
  if (lower.ends_with("-ubyte") || lower.ends_with(".idx") || lower.find("idx3") != std::string::npos)
    return SourceFormat::kIdx;
  MG_ASSIGN_OR_RETURN(TableFormat table, TableFormatOf(path, {}));
  return table == TableFormat::kCsv   ? SourceFormat::kCsv
         : table == TableFormat::kTsv ? SourceFormat::kTsv
                                      : SourceFormat::kJsonl;
}

}  // namespace

const char* ToString(SourceFormat format) {
  switch (format) {
    case SourceFormat::kCsv:
      return "csv";
    case SourceFormat::kTsv:
      return "tsv";
    case SourceFormat::kJsonl:
      return "jsonl";
    case SourceFormat::kNpy:
      return "npy";
    case SourceFormat::kNpz:
      return "npz";
    case SourceFormat::kIdx:
      return "idx";
    case SourceFormat::kImages:
      return "images";
  }
  return "?";
}

const char* ToString(CellType type) {
  switch (type) {
    case CellType::kMissing:
      return "missing";
    case CellType::kBoolean:
      return "boolean";
    case CellType::kInteger:
      return "integer";
    case CellType::kNumber:
      return "number";
    case CellType::kString:
      return "string";
    case CellType::kOther:
      return "json";
  }
  return "?";
}

Cell ParseCell(std::string_view text) {
  Cell cell;
  cell.text = std::string(text);
  if (text.empty()) return cell;
  if (text == "true" || text == "True" || text == "TRUE" || text == "false" || text == "False" || text == "FALSE") {
    cell.type = CellType::kBoolean;
    cell.number = text[0] == 't' || text[0] == 'T' ? 1 : 0;
    return cell;
  }
  const char* begin = text.data();
  const char* end = begin + text.size();
  if (*begin == '+') ++begin;  // from_chars refuses a leading plus; CSV writers emit it
  int64_t integer = 0;
  if (auto [at, error] = std::from_chars(begin, end, integer); error == std::errc() && at == end) {
    cell.type = CellType::kInteger;
    cell.number = static_cast<double>(integer);
    return cell;
  }
  double number = 0;
  if (auto [at, error] = std::from_chars(begin, end, number); error == std::errc() && at == end) {
    cell.type = std::isnan(number) ? CellType::kMissing : CellType::kNumber;  // "NaN" is how pandas writes a gap
    cell.number = number;
    return cell;
  }
  cell.type = CellType::kString;
  return cell;
}

std::unique_ptr<DatasetSource> OpenTableStream(std::istream& in, SourceFormat format, const TableLimits& limits) {
  const TableFormat table = format == SourceFormat::kCsv   ? TableFormat::kCsv
                            : format == SourceFormat::kTsv ? TableFormat::kTsv
                                                           : TableFormat::kJsonl;
  return std::make_unique<TableSource>(nullptr, in, table, format, limits);
}

Result<std::unique_ptr<DatasetSource>> OpenDataset(const std::string& path, const SourceOptions& options) {
  MG_ASSIGN_OR_RETURN(SourceFormat format, FormatOf(path, options.format));
  switch (format) {
    case SourceFormat::kCsv:
    case SourceFormat::kTsv:
    case SourceFormat::kJsonl: {
      const TableFormat table = format == SourceFormat::kCsv   ? TableFormat::kCsv
                                : format == SourceFormat::kTsv ? TableFormat::kTsv
                                                               : TableFormat::kJsonl;
      if (path == "-")
        return std::unique_ptr<DatasetSource>(
            std::make_unique<TableSource>(nullptr, std::cin, table, format, options.table_limits));
      // A table is read once, front to back, so a FIFO or a process substitution is as good as a file.
      std::error_code error;
      if (std::filesystem::is_directory(path, error))
        return MakeError(ErrorCode::kInvalidArgument,
                         "'" + path + "' is a directory (image folders: --input-format images)");
      if (!std::filesystem::exists(path, error))
        return MakeError(ErrorCode::kIo, "cannot read '" + path + "': no such file");
      auto file = std::make_unique<std::ifstream>(path, std::ios::binary);
      if (!*file) return MakeError(ErrorCode::kIo, "cannot open '" + path + "'");
      std::istream& in = *file;
      return std::unique_ptr<DatasetSource>(
          std::make_unique<TableSource>(std::move(file), in, table, format, options.table_limits));
    }
    case SourceFormat::kNpy:
    case SourceFormat::kNpz:
    case SourceFormat::kIdx:
      if (path == "-") return MakeError(ErrorCode::kInvalidArgument, "array datasets are read from files, not stdin");
      return OpenArrayDataset(path, format, options);
    case SourceFormat::kImages:
      return OpenImageFolder(path, options);
  }
  return MakeError(ErrorCode::kUnsupported, "unsupported dataset format");
}

Status CheckRegularFile(const std::string& path) {
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  if (error) return MakeError(ErrorCode::kIo, "cannot read '" + path + "': " + error.message());
  if (std::filesystem::is_directory(status))
    return MakeError(ErrorCode::kInvalidArgument,
                     "'" + path + "' is a directory (image folders: --input-format images)");
  if (!std::filesystem::is_regular_file(status))
    return MakeError(ErrorCode::kInvalidArgument, "'" + path + "' is not a regular file");
  return Ok{};
}

}  // namespace modelguard::data
