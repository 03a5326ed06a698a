#include "src/monitor/flat_jsonl.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <unordered_map>

#include "modelguard/data/table.h"

namespace modelguard::monitor {
namespace {

class FlatJsonlSource final : public data::DatasetSource {
 public:
  explicit FlatJsonlSource(std::unique_ptr<std::istream> file)
      : file_(std::move(file)), reader_(*file_, data::TableFormat::kJsonl) {}

  Result<bool> Next(data::Row& row) override {
    data::Record record;
    MG_ASSIGN_OR_RETURN(bool more, reader_.Next(record));
    if (!more) return false;
    row = data::Row{};
    row.location = record.line;
    if (!record.error.empty()) {
      row.problem = record.error;
      return true;
    }
    if (!record.document.is_object()) {
      row.problem = "line " + std::to_string(record.line) + ": not a JSON object";
      return true;
    }
    MG_TRY(Flatten(record.document, "", 1, row));
    return true;
  }
  const std::vector<std::string>& columns() const override { return columns_; }
  data::SourceFormat format() const override { return data::SourceFormat::kJsonl; }
  uint64_t bytes_read() const override { return reader_.bytes_read(); }

 private:
  Status Flatten(const nlohmann::ordered_json& object, const std::string& prefix, int depth, data::Row& row) {
    for (const auto& [key, value] : object.items()) {
      const std::string name = prefix + key;
      if (value.is_object() && depth < kMaxFlattenDepth) {
        MG_TRY(Flatten(value, name + ".", depth + 1, row));
        continue;
      }
      data::Cell cell;
      if (value.is_null()) {
        continue;  // missing
      } else if (value.is_boolean()) {
        cell.type = data::CellType::kBoolean;
        cell.number = value.get<bool>() ? 1 : 0;
        cell.text = value.get<bool>() ? "true" : "false";
      } else if (value.is_number_integer() || value.is_number_unsigned()) {
        cell.type = data::CellType::kInteger;
        cell.number = value.get<double>();
        cell.text = value.dump();
      } else if (value.is_number()) {
        cell.type = data::CellType::kNumber;
        cell.number = value.get<double>();
        cell.text = value.dump();
      } else if (value.is_string()) {
        cell = data::ParseCell(value.get_ref<const std::string&>());
      } else {
        cell.type = data::CellType::kOther;
        cell.text = value.dump();
      }
      MG_ASSIGN_OR_RETURN(size_t index, ColumnIndex(name));
      if (row.cells.size() <= index) row.cells.resize(index + 1);
      row.cells[index] = std::move(cell);
    }
    return Ok{};
  }

  Result<size_t> ColumnIndex(const std::string& name) {
    const auto it = index_.find(name);
    if (it != index_.end()) return it->second;
    if (columns_.size() >= kMaxFlatColumns)
      return MakeError(ErrorCode::kLimit, "more than " + std::to_string(kMaxFlatColumns) + " distinct columns");
    index_.emplace(name, columns_.size());
    columns_.push_back(name);
    return columns_.size() - 1;
  }

  std::unique_ptr<std::istream> file_;
  data::TableReader reader_;
  std::vector<std::string> columns_;
  std::unordered_map<std::string, size_t> index_;
};

}  // namespace

Result<std::unique_ptr<data::DatasetSource>> OpenFlatJsonl(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return MakeError(ErrorCode::kIo, "cannot read '" + path + "': " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return MakeError(ErrorCode::kIo, "'" + path + "' is not a regular file");
  auto file = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!*file) return MakeError(ErrorCode::kIo, "cannot open '" + path + "'");
  return FlatJsonlFromStream(std::move(file));
}

std::unique_ptr<data::DatasetSource> FlatJsonlFromStream(std::unique_ptr<std::istream> in) {
  return std::make_unique<FlatJsonlSource>(std::move(in));
}

}  // namespace modelguard::monitor
