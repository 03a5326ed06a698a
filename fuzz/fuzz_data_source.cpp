// The dataset readers behind data schema infer / data validate (src/data/source/, src/data/validate/), on
// untrusted bytes; the first byte picks what they are:
//   0 npy   1 npz   2 idx images (no labels)   3 PNG or JPEG image   4 a schema file   5 a CSV table
// Properties beyond "no crash, no hang": every row an array source yields has the same number of cells; a
// decoded image's pixel count matches its size; a schema inferred from a table survives its own JSON
// unchanged, and the table it came from never breaks its type, range, domain or length rules.
#include <cmath>
#include <sstream>

#include "modelguard/data/validate.h"
#include "src/data/source/source_internal.h"

namespace data = modelguard::data;

namespace {

data::SourceOptions SmallOptions() {
  data::SourceOptions options;
  options.max_bytes = 1 << 20;
  options.max_samples = 4096;
  options.max_image_pixels = 1 << 16;
  options.table_limits.max_record_bytes = 4096;
  options.table_limits.max_columns = 64;
  return options;
}

// Whether a CSV column holds an infinity: schema inference keeps non-finite values out of a column's range
// (one "inf" would otherwise stretch it to cover everything), so validation rightly reports them as outside
// it, the only range violation a table can have against its own schema.
bool HasInfinity(const std::string& text, const std::string& column) {
  std::istringstream in(text);
  auto table = data::OpenTableStream(in, data::SourceFormat::kCsv, SmallOptions().table_limits);
  data::Row row;
  while (true) {
    auto more = table->Next(row);
    if (!more || !*more) return false;
    const auto& names = table->columns();
    for (size_t i = 0; i < row.cells.size() && i < names.size(); ++i) {
      const data::Cell& cell = row.cells[i];
      const bool numeric = cell.type == data::CellType::kInteger || cell.type == data::CellType::kNumber;
      if (names[i] == column && numeric && std::isinf(cell.number)) return true;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size == 0) return 0;
  const int kind = bytes[0] % 6;
  std::vector<uint8_t> body(bytes + 1, bytes + size);
  const std::string text(body.begin(), body.end());
  if (kind <= 2) {
    const data::SourceFormat format = kind == 0   ? data::SourceFormat::kNpy
                                      : kind == 1 ? data::SourceFormat::kNpz
                                                  : data::SourceFormat::kIdx;
    auto source = data::OpenArrayBytes(std::move(body), format, SmallOptions(), "fuzz");
    if (!source) return 0;
    data::Row row;
    size_t cells = SIZE_MAX;
    for (int i = 0; i < 4096; ++i) {
      auto more = (*source)->Next(row);
      if (!more || !*more) break;
      if (cells != SIZE_MAX && row.cells.size() != cells) __builtin_trap();
      cells = row.cells.size();
    }
    return 0;
  }
  if (kind == 3) {
    auto dims = data::DecodeImageBytes(text, SmallOptions().max_image_pixels);
    // DecodeImageBytes turns a pixel count that does not match the size into an error; here it is a bug.
    if (!dims && dims.error().message.find("do not match") != std::string::npos) __builtin_trap();
    if (dims && uint64_t{(*dims)[0]} * (*dims)[1] > SmallOptions().max_image_pixels) __builtin_trap();
    return 0;
  }
  if (kind == 4) {
    auto schema = data::ParseSchema(text);
    if (schema) {
      auto again = data::ParseSchema(data::ToJson(*schema).dump());
      if (!again || data::ToJson(*again) != data::ToJson(*schema)) __builtin_trap();
    }
    return 0;
  }
  // The table source data schema infer and data validate read CSV with, on the bytes in memory.
  std::istringstream in(text);
  auto table = data::OpenTableStream(in, data::SourceFormat::kCsv, SmallOptions().table_limits);
  auto profile = data::ProfileDataset(*table);
  if (!profile || profile->records == profile->problems) return 0;
  const data::Schema schema = data::InferSchema(*profile);
  auto parsed = data::ParseSchema(data::ToJson(schema).dump());
  if (!parsed || data::ToJson(*parsed) != data::ToJson(schema)) __builtin_trap();
  std::istringstream in_again(text);
  auto again = data::OpenTableStream(in_again, data::SourceFormat::kCsv, SmallOptions().table_limits);
  auto report = data::ValidateDataset(*again, *parsed);
  if (!report) return 0;
  for (const auto& violation : report->violations) {
    // A column's type is the one 99 % of its values have, so the other 1 % may break it; everything else
    // was inferred from these very values.
    if (violation.rule == "data.range" && HasInfinity(text, violation.column)) continue;
    if (violation.rule == "data.range" || violation.rule == "data.domain" || violation.rule == "data.length")
      __builtin_trap();
  }
  return 0;
}
