// The dataset readers behind data schema infer / data validate (src/data/source/, src/data/validate/), on
// untrusted bytes. The first byte, modulo 10, picks what the rest is (0-5 kept their meaning when 6-9 came,
// so the kept corpus still means what it did):
//   0 npy   1 npz   2 idx images (no labels)   3 PNG or JPEG image   4 a schema file   5 a CSV table
//   6 a JSONL table
//   7 npy features and npy labels (in memory, as --labels gives them)
//   8 idx images and idx labels (in memory)
//   9 idx images and labels as the files train-images-idx3-ubyte and train-labels-idx1-ubyte in a scratch
//     folder, opened by path as the command line does: gunzipped when they start with the gzip magic, the
//     labels found next to the images by MNIST's naming
// In the two-part kinds (7-9) bytes 1-2 are the length of the first part (features or images), little-endian
// and clamped to what follows; the labels are the rest.
// Properties beyond "no crash, no hang": every row an array source yields has the same number of cells, and
// a source given labels names `label` as its first column and fills it with a number in every row; a
// decoded image's pixel count matches its size; a schema inferred from a table or an array source survives
// its own JSON unchanged, and the data it came from never breaks its type, range, domain or length rules.
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "modelguard/data/validate.h"
#include "src/data/source/source_internal.h"

namespace data = modelguard::data;

namespace {

using Open = std::function<modelguard::Result<std::unique_ptr<data::DatasetSource>>()>;

data::SourceOptions SmallOptions() {
  data::SourceOptions options;
  options.max_bytes = 1 << 20;
  options.max_samples = 4096;
  options.max_image_pixels = 1 << 16;
  options.table_limits.max_record_bytes = 4096;
  options.table_limits.max_columns = 64;
  return options;
}

// Whether a column holds an infinity (a CSV "inf", a JSON 1e999, a float label): schema inference keeps
// non-finite values out of a column's range (one "inf" would otherwise stretch it to cover everything), so
// validation rightly reports them as outside it, the only range violation data can have against its own
// schema.
bool HasInfinity(const Open& open, const std::string& column) {
  auto source = open();
  if (!source) return false;
  data::Row row;
  while (true) {
    auto more = (*source)->Next(row);
    if (!more || !*more) return false;
    const auto& names = (*source)->columns();
    for (size_t i = 0; i < row.cells.size() && i < names.size(); ++i) {
      const data::Cell& cell = row.cells[i];
      const bool numeric = cell.type == data::CellType::kInteger || cell.type == data::CellType::kNumber;
      if (names[i] == column && numeric && std::isinf(cell.number)) return true;
    }
  }
}

// What data schema infer and data validate do with a source: profile it, infer a schema, write and read the
// schema back, validate the same data against it.
void CheckSelfConsistent(const Open& open) {
  auto source = open();
  if (!source) return;
  auto profile = data::ProfileDataset(**source);
  if (!profile || profile->records == profile->problems) return;
  const data::Schema schema = data::InferSchema(*profile);
  auto parsed = data::ParseSchema(data::ToJson(schema).dump());
  if (!parsed || data::ToJson(*parsed) != data::ToJson(schema)) __builtin_trap();
  auto again = open();
  if (!again) __builtin_trap();  // the same bytes opened a moment ago
  auto report = data::ValidateDataset(**again, *parsed);
  if (!report) return;
  for (const auto& violation : report->violations) {
    // A column's type is the one 99 % of its values have, so the other 1 % may break it; everything else
    // was inferred from these very values.
    if (violation.rule == "data.range" && HasInfinity(open, violation.column)) continue;
    if (violation.rule == "data.range" || violation.rule == "data.domain" || violation.rule == "data.length")
      __builtin_trap();
  }
}

void CheckArraySource(const Open& open, bool labelled) {
  auto source = open();
  if (!source) return;
  if (labelled && (*source)->columns().empty()) __builtin_trap();
  if (labelled && (*source)->columns()[0] != "label") __builtin_trap();
  data::Row row;
  size_t cells = SIZE_MAX;
  for (int i = 0; i < 4096; ++i) {
    auto more = (*source)->Next(row);
    if (!more || !*more) break;
    if (cells != SIZE_MAX && row.cells.size() != cells) __builtin_trap();
    cells = row.cells.size();
    if (labelled && (row.cells.empty() ||
                     (row.cells[0].type != data::CellType::kInteger && row.cells[0].type != data::CellType::kNumber)))
      __builtin_trap();
  }
  CheckSelfConsistent(open);
}

// A folder of this process's own for kind 9, removed when the process ends normally (the replay test).
struct Scratch {
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("modelguard-fuzz-data-source-" + std::to_string(static_cast<long>(getpid())));
  Scratch() { std::filesystem::create_directories(dir); }
  ~Scratch() {
    std::error_code error;
    std::filesystem::remove_all(dir, error);
  }
};

void WriteFile(const std::filesystem::path& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size == 0) return 0;
  const int kind = bytes[0] % 10;
  if (kind >= 7) {
    if (size < 3) return 0;
    const size_t first = std::min<size_t>(bytes[1] | size_t{bytes[2]} << 8, size - 3);
    const std::vector<uint8_t> features(bytes + 3, bytes + 3 + first);
    const std::vector<uint8_t> labels(bytes + 3 + first, bytes + size);
    if (kind == 9) {
      static Scratch scratch;
      const auto images = scratch.dir / "train-images-idx3-ubyte";
      WriteFile(images, features);
      WriteFile(scratch.dir / "train-labels-idx1-ubyte", labels);
      CheckArraySource([&] { return data::OpenDataset(images.string(), SmallOptions()); }, true);
      return 0;
    }
    const data::SourceFormat format = kind == 7 ? data::SourceFormat::kNpy : data::SourceFormat::kIdx;
    CheckArraySource([&] { return data::OpenArrayBytes(features, format, SmallOptions(), "fuzz", labels); }, true);
    return 0;
  }
  std::vector<uint8_t> body(bytes + 1, bytes + size);
  const std::string text(body.begin(), body.end());
  if (kind <= 2) {
    const data::SourceFormat format = kind == 0   ? data::SourceFormat::kNpy
                                      : kind == 1 ? data::SourceFormat::kNpz
                                                  : data::SourceFormat::kIdx;
    CheckArraySource([&] { return data::OpenArrayBytes(body, format, SmallOptions(), "fuzz"); }, false);
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
  // The table source data schema infer and data validate read CSV and JSONL with, on the bytes in memory.
  const data::SourceFormat format = kind == 5 ? data::SourceFormat::kCsv : data::SourceFormat::kJsonl;
  // A table source reads a stream its caller keeps open: one per opening, alive until the input is done.
  std::vector<std::unique_ptr<std::istringstream>> streams;
  CheckSelfConsistent([&]() -> modelguard::Result<std::unique_ptr<data::DatasetSource>> {
    streams.push_back(std::make_unique<std::istringstream>(text));
    return data::OpenTableStream(*streams.back(), format, SmallOptions().table_limits);
  });
  return 0;
}
