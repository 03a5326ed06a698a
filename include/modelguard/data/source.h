#pragma once
// Any dataset as a stream of rows of typed cells, so that schema inference, validation and duplicate
// search treat every format the same way:
//   csv / tsv / jsonl   one row per record; CSV columns from the header, JSONL columns from top-level keys
//                       (nested objects and arrays are cells of type kOther, kept as compact JSON)
//   npy / npz           one row per sample of the features array (first axis), with derived columns
//   idx                 an IDX images file (and its labels file), as MNIST ships them
//   images              a folder with one sub-folder per class holding PNG or JPEG files
// Array and image samples become the columns `label` (when labels exist), `mean`, `std`, `min`, `max`
// (of the sample's values), `width`, `height`, `channels` for images, and `x[i]` per feature for feature
// vectors of at most kMaxFeatureColumns values. Each row also carries a fingerprint of the whole sample
// (exact duplicates) and, for text columns, its text (near duplicates).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "modelguard/core/result.h"
#include "modelguard/data/table.h"

namespace modelguard::data {

enum class SourceFormat { kCsv, kTsv, kJsonl, kNpy, kNpz, kIdx, kImages };
const char* ToString(SourceFormat format);

enum class CellType { kMissing, kBoolean, kInteger, kNumber, kString, kOther };
const char* ToString(CellType type);

struct Cell {
  CellType type = CellType::kMissing;
  double number = 0;  // kBoolean (0/1), kInteger, kNumber
  std::string text;   // the value as written: category key, length, hashing
};

struct Row {
  uint64_t location = 0;     // line (tables) or sample index (arrays, images: 0-based)
  std::vector<Cell> cells;   // by column index; shorter than columns() = the rest missing
  uint64_t fingerprint = 0;  // hash of the whole sample, for exact duplicates
  std::string problem;       // non-empty: this record could not be read (the source goes on)
};

inline constexpr size_t kMaxFeatureColumns = 64;

struct SourceOptions {
  std::string format;  // csv|tsv|jsonl|npy|npz|idx|images; empty = by extension / directory
  std::string labels;  // npy: the labels .npy; idx: the labels file (default: found next to the images)
  TableLimits table_limits;
  uint64_t max_bytes = uint64_t{4} << 30;  // an array file is read whole: at most this much
  uint64_t max_samples = 100'000'000;
  uint64_t max_image_pixels = 64ull << 20;  // per image (width * height)
  uint64_t max_files = 10'000'000;          // image folders
};

class DatasetSource {
 public:
  virtual ~DatasetSource() = default;
  // False at the end. Errors end the stream (a record over the limits, an unreadable array file).
  virtual Result<bool> Next(Row& row) = 0;
  // The columns seen so far (JSONL adds keys as they appear; the others know them up front).
  virtual const std::vector<std::string>& columns() const = 0;
  virtual SourceFormat format() const = 0;
  virtual uint64_t bytes_read() const = 0;
};

// Opens `path` ("-" for stdin: tables only).
Result<std::unique_ptr<DatasetSource>> OpenDataset(const std::string& path, const SourceOptions& options = {});

// "42" -> integer, "4.2e1" -> number, "true"/"false" -> boolean, "" -> missing, anything else string.
Cell ParseCell(std::string_view text);

}  // namespace modelguard::data
