// Dataset loaders. Every count read from a file is checked against the bytes actually present before
// anything is allocated, and against DataLimits, so a hostile header cannot make us allocate or read
// past the end.
#include "modelguard/assess/dataset.h"

#include "modelguard/formats/inflate.h"
#include "modelguard/formats/npy.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <numeric>
#include <random>

namespace modelguard::assess {
namespace {

Error ParseFailure(std::string message) { return MakeError(ErrorCode::kParse, std::move(message)); }

uint32_t BigEndian32(std::string_view bytes, size_t at) {
  return (uint32_t{static_cast<uint8_t>(bytes[at])} << 24) | (uint32_t{static_cast<uint8_t>(bytes[at + 1])} << 16) |
         (uint32_t{static_cast<uint8_t>(bytes[at + 2])} << 8) | uint32_t{static_cast<uint8_t>(bytes[at + 3])};
}

Status CheckLabels(const Dataset& data, const DataLimits& limits) {
  int64_t highest = -1;
  bool two_classes = false;
  for (int64_t label : data.labels) {
    if (label < 0) return ParseFailure("negative label " + std::to_string(label));
    highest = std::max(highest, label);
    two_classes = two_classes || label != data.labels.front();
  }
  if (highest + 1 > limits.max_classes)
    return MakeError(ErrorCode::kLimit, "more than " + std::to_string(limits.max_classes) + " classes");
  if (!two_classes && limits.require_two_classes) return ParseFailure("fewer than two classes");
  return Ok{};
}

// IDX header: two zero bytes, a type byte (0x08 = unsigned byte), the number of dimensions, then one
// big-endian uint32 per dimension.
Result<std::vector<uint32_t>> IdxDimensions(std::string_view bytes, const char* what) {
  if (bytes.size() < 4) return ParseFailure(std::string(what) + ": shorter than an IDX header");
  if (bytes[0] != 0 || bytes[1] != 0) return ParseFailure(std::string(what) + ": not an IDX file (bad magic)");
  if (static_cast<uint8_t>(bytes[2]) != 0x08)
    return ParseFailure(std::string(what) + ": only unsigned-byte IDX data is supported");
  const unsigned rank = static_cast<uint8_t>(bytes[3]);
  if (rank == 0 || rank > 4)
    return ParseFailure(std::string(what) + ": IDX rank " + std::to_string(rank) + " is not 1..4");
  if (bytes.size() < 4 + 4ull * rank) return ParseFailure(std::string(what) + ": IDX header cut short");
  std::vector<uint32_t> dims;
  uint64_t total = 1;
  for (unsigned i = 0; i < rank; ++i) {
    dims.push_back(BigEndian32(bytes, 4 + 4 * i));
    total *= dims.back();
    if (total > bytes.size())
      return ParseFailure(std::string(what) + ": IDX dimensions promise more data than the file holds");
  }
  if (bytes.size() - 4 - 4ull * rank != total) {
    return ParseFailure(std::string(what) + ": IDX data is " + std::to_string(bytes.size() - 4 - 4ull * rank) +
                        " bytes, dimensions say " + std::to_string(total));
  }
  return dims;
}

bool ParseNumber(std::string_view field, double& out) {
  while (!field.empty() && (field.front() == ' ' || field.front() == '\t')) field.remove_prefix(1);
  while (!field.empty() && (field.back() == ' ' || field.back() == '\t' || field.back() == '\r'))
    field.remove_suffix(1);
  if (field.empty()) return false;
  if (field.front() == '+') field.remove_prefix(1);
  auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), out);
  return error == std::errc() && end == field.data() + field.size() && std::isfinite(out);
}

void ScaleToUnit(std::vector<float>& values, size_t columns, CsvScaling scaling) {
  if (values.empty() || columns == 0) return;
  const size_t rows = values.size() / columns;
  auto scale = [&](size_t first_column, size_t column_count) {
    float low = std::numeric_limits<float>::max(), high = std::numeric_limits<float>::lowest();
    for (size_t r = 0; r < rows; ++r) {
      for (size_t c = first_column; c < first_column + column_count; ++c) {
        low = std::min(low, values[r * columns + c]);
        high = std::max(high, values[r * columns + c]);
      }
    }
    const float range = high - low;
    for (size_t r = 0; r < rows; ++r) {
      for (size_t c = first_column; c < first_column + column_count; ++c) {
        float& v = values[r * columns + c];
        v = range > 0 ? (v - low) / range : 0.0f;
      }
    }
  };
  if (scaling == CsvScaling::kGlobal) {
    scale(0, columns);
  } else {
    for (size_t c = 0; c < columns; ++c) scale(c, 1);
  }
}

// An NPY array as the dataset loader reads it: the shared header reader, then the dtypes NpyValue decodes.
struct NpyArray {
  std::string descr;
  std::vector<uint64_t> shape;
  std::string_view data;
};

Result<NpyArray> ParseNpyArray(std::string_view bytes, const char* what) {
  const std::string prefix = std::string(what) + ": NPY ";
  const auto header = formats::npy::ParseHeader({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  if (!header) return WithContext(header.error(), prefix);
  if (header->fortran_order) return ParseFailure(prefix + "Fortran-ordered arrays are not supported");
  if (!header->shape_error.empty()) return ParseFailure(prefix + header->shape_error);
  if (header->shape.size() > 8) return ParseFailure(prefix + "more than 8 dimensions");
  if (header->shape.empty()) return ParseFailure(prefix + "a scalar is not a dataset");
  NpyArray array;
  array.descr = header->descr;
  array.shape = header->shape;
  array.data = bytes.substr(header->data_offset);
  uint64_t item = 0;
  const std::string& d = array.descr;
  if (d == "|u1" || d == "<u1" || d == "|i1" || d == "|b1")
    item = 1;
  else if (d == "<f4" || d == "<i4")
    item = 4;
  else if (d == "<f8" || d == "<i8")
    item = 8;
  else
    return ParseFailure(prefix + "dtype " + (header->structured ? std::string("(structured)") : d) +
                        " is not supported (little-endian u1, i4, i8, f4, f8)");
  const uint64_t total = header->element_count;
  if (total > array.data.size() / item || total * item != array.data.size()) {
    return ParseFailure(prefix + "data is " + std::to_string(array.data.size()) + " bytes, shape and dtype say " +
                        std::to_string(total) + " items of " + std::to_string(item));
  }
  return array;
}

double NpyValue(const NpyArray& array, size_t index) {
  const char* p = array.data.data();
  const std::string& d = array.descr;
  if (d == "|u1" || d == "<u1" || d == "|b1") return static_cast<uint8_t>(p[index]);
  if (d == "|i1") return static_cast<int8_t>(p[index]);
  if (d == "<f4") {
    float v;
    std::memcpy(&v, p + index * 4, 4);
    return v;
  }
  if (d == "<i4") {
    int32_t v;
    std::memcpy(&v, p + index * 4, 4);
    return v;
  }
  if (d == "<f8") {
    double v;
    std::memcpy(&v, p + index * 8, 8);
    return v;
  }
  int64_t v;
  std::memcpy(&v, p + index * 8, 8);
  return static_cast<double>(v);
}

std::string SklearnDataDirectory() {
  for (const char* dir : {"/usr/lib/python3/dist-packages/sklearn/datasets/data",
                          "/usr/local/lib/python3/dist-packages/sklearn/datasets/data"}) {
    if (std::filesystem::is_directory(dir)) return dir;
  }
  return {};
}

// "train-images-idx3-ubyte" or with ".gz" — whichever the directory has.
std::string FindIdxFile(const std::string& dir, const std::string& stem) {
  for (const std::string& candidate : {dir + "/" + stem + ".gz", dir + "/" + stem}) {
    if (std::filesystem::is_regular_file(candidate)) return candidate;
  }
  return {};
}

Result<DataSplit> LoadIdxDirectory(const std::string& dir, const std::string& name, const DataLimits& limits) {
  DataSplit split;
  for (const auto& [prefix, target] :
       {std::pair<const char*, Dataset*>{"train", &split.train}, {"t10k", &split.test}}) {
    const std::string images_path = FindIdxFile(dir, std::string(prefix) + "-images-idx3-ubyte");
    const std::string labels_path = FindIdxFile(dir, std::string(prefix) + "-labels-idx1-ubyte");
    if (images_path.empty() || labels_path.empty()) {
      return MakeError(ErrorCode::kIo, "no " + std::string(prefix) + "-images-idx3-ubyte[.gz] and " + prefix +
                                           "-labels-idx1-ubyte[.gz] in " + dir);
    }
    auto images = ReadMaybeGzip(images_path, limits);
    if (!images) return images.error();
    auto labels = ReadMaybeGzip(labels_path, limits);
    if (!labels) return labels.error();
    auto data = ParseIdx(*images, *labels, limits);
    if (!data) return MakeError(data.error().code, images_path + ": " + data.error().message);
    *target = std::move(*data);
    target->name = name;
  }
  if (split.train.sample_shape != split.test.sample_shape)
    return ParseFailure(dir + ": train and test images differ in shape");
  split.test.classes = split.train.classes = std::max(split.train.classes, split.test.classes);
  return split;
}

}  // namespace

int64_t Dataset::SampleSize() const {
  int64_t size = 1;
  for (int64_t dim : sample_shape) size *= dim;
  return size;
}

Dataset Dataset::Subset(const std::vector<size_t>& indices) const {
  Dataset out;
  out.name = name;
  out.sample_shape = sample_shape;
  out.classes = classes;
  const auto width = static_cast<size_t>(SampleSize());
  out.features.reserve(indices.size() * width);
  out.labels.reserve(indices.size());
  for (size_t i : indices) {
    out.features.insert(out.features.end(), features.begin() + static_cast<std::ptrdiff_t>(i * width),
                        features.begin() + static_cast<std::ptrdiff_t>((i + 1) * width));
    out.labels.push_back(labels[i]);
  }
  return out;
}

Dataset Dataset::Head(size_t count) const {
  std::vector<size_t> indices(std::min(count, size()));
  std::iota(indices.begin(), indices.end(), size_t{0});
  return Subset(indices);
}

Result<Dataset> ParseIdx(std::string_view images, std::string_view labels, const DataLimits& limits) {
  auto image_dims = IdxDimensions(images, "images");
  if (!image_dims) return image_dims.error();
  auto label_dims = IdxDimensions(labels, "labels");
  if (!label_dims) return label_dims.error();
  if (image_dims->size() != 3) return ParseFailure("images: expected 3 dimensions (count, rows, columns)");
  if (label_dims->size() != 1) return ParseFailure("labels: expected 1 dimension");
  const uint64_t count = (*image_dims)[0];
  if (count != (*label_dims)[0]) return ParseFailure("images and labels differ in count");
  if (count == 0) return ParseFailure("no samples");
  if (count > limits.max_samples)
    return MakeError(ErrorCode::kLimit, "more than " + std::to_string(limits.max_samples) + " samples");
  const uint64_t rows = (*image_dims)[1], cols = (*image_dims)[2];
  if (rows * cols == 0 || rows * cols > limits.max_features)
    return MakeError(ErrorCode::kLimit, "image size out of range");
  Dataset data;
  data.sample_shape = {1, static_cast<int64_t>(rows), static_cast<int64_t>(cols)};
  const std::string_view pixels = images.substr(16);
  data.features.resize(pixels.size());
  for (size_t i = 0; i < pixels.size(); ++i)
    data.features[i] = static_cast<float>(static_cast<uint8_t>(pixels[i])) / 255.0f;
  const std::string_view label_bytes = labels.substr(8);
  data.labels.reserve(label_bytes.size());
  for (char c : label_bytes) data.labels.push_back(static_cast<uint8_t>(c));
  auto valid = CheckLabels(data, limits);
  if (!valid) return valid.error();
  data.classes = *std::max_element(data.labels.begin(), data.labels.end()) + 1;
  return data;
}

Result<Dataset> ParseCsv(std::string_view text, CsvScaling scaling, const DataLimits& limits) {
  if (text.size() > limits.max_bytes)
    return MakeError(ErrorCode::kLimit, "CSV larger than " + std::to_string(limits.max_bytes) + " bytes");
  Dataset data;
  size_t columns = 0, line_number = 0;
  std::vector<double> row;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    row.clear();
    bool numeric = true;
    while (true) {
      const size_t comma = line.find(',');
      double value = 0;
      if (!ParseNumber(line.substr(0, comma), value)) numeric = false;
      row.push_back(value);
      if (comma == std::string_view::npos) break;
      line.remove_prefix(comma + 1);
    }
    if (!numeric) {
      if (data.labels.empty() && line_number == 1) continue;  // the header
      return ParseFailure("line " + std::to_string(line_number) + ": a field is not a number");
    }
    if (columns == 0) {
      if (row.size() < 2)
        return ParseFailure("line " + std::to_string(line_number) + ": needs at least one feature and a label");
      if (row.size() - 1 > limits.max_features)
        return MakeError(ErrorCode::kLimit, "more than " + std::to_string(limits.max_features) + " features");
      columns = row.size();
    } else if (row.size() != columns) {
      return ParseFailure("line " + std::to_string(line_number) + ": " + std::to_string(row.size()) +
                          " fields, the first row had " + std::to_string(columns));
    }
    const double label = row.back();
    if (label != std::floor(label) || label < 0 || label > static_cast<double>(limits.max_classes)) {
      return ParseFailure("line " + std::to_string(line_number) + ": label is not a class number");
    }
    if (data.labels.size() >= limits.max_samples)
      return MakeError(ErrorCode::kLimit, "more than " + std::to_string(limits.max_samples) + " samples");
    for (size_t c = 0; c + 1 < columns; ++c) data.features.push_back(static_cast<float>(row[c]));
    data.labels.push_back(static_cast<int64_t>(label));
  }
  if (data.labels.empty()) return ParseFailure("no rows");
  auto valid = CheckLabels(data, limits);
  if (!valid) return valid.error();
  data.classes = *std::max_element(data.labels.begin(), data.labels.end()) + 1;
  data.sample_shape = {static_cast<int64_t>(columns - 1)};
  ScaleToUnit(data.features, columns - 1, scaling);
  return data;
}

Result<Dataset> ParseNpy(std::string_view features, std::string_view labels, const DataLimits& limits) {
  auto x = ParseNpyArray(features, "features");
  if (!x) return x.error();
  auto y = ParseNpyArray(labels, "labels");
  if (!y) return y.error();
  if (y->shape.size() != 1) return ParseFailure("labels: expected one dimension");
  if (x->shape[0] != y->shape[0]) return ParseFailure("features and labels differ in count");
  if (x->shape[0] == 0) return ParseFailure("no samples");
  if (x->shape[0] > limits.max_samples)
    return MakeError(ErrorCode::kLimit, "more than " + std::to_string(limits.max_samples) + " samples");
  if (y->descr.find('f') != std::string::npos) return ParseFailure("labels: expected integers");
  Dataset data;
  uint64_t width = 1;
  for (size_t i = 1; i < x->shape.size(); ++i) {
    width *= x->shape[i];
    data.sample_shape.push_back(static_cast<int64_t>(x->shape[i]));
  }
  if (data.sample_shape.empty()) data.sample_shape.push_back(1);
  if (width == 0 || width > limits.max_features) return MakeError(ErrorCode::kLimit, "sample size out of range");
  const bool bytes = x->descr.find('1') != std::string::npos;
  const size_t total = x->shape[0] * width;
  data.features.resize(total);
  for (size_t i = 0; i < total; ++i) {
    double v = NpyValue(*x, i);
    if (bytes) v /= 255.0;
    if (!(v >= 0.0 && v <= 1.0))
      return ParseFailure("features: value " + std::to_string(v) + " at index " + std::to_string(i) +
                          " is outside [0, 1] (scale the data first)");
    data.features[i] = static_cast<float>(v);
  }
  for (size_t i = 0; i < y->shape[0]; ++i) {
    const double v = NpyValue(*y, i);
    if (v < 0 || v > static_cast<double>(limits.max_classes))
      return ParseFailure("labels: value out of range at index " + std::to_string(i));
    data.labels.push_back(static_cast<int64_t>(v));
  }
  auto valid = CheckLabels(data, limits);
  if (!valid) return valid.error();
  data.classes = *std::max_element(data.labels.begin(), data.labels.end()) + 1;
  return data;
}

Result<std::string> ReadMaybeGzip(const std::string& path, const DataLimits& limits) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(ErrorCode::kIo, "cannot open " + path);
  std::string raw;
  char buffer[1 << 16];
  while (in) {
    in.read(buffer, sizeof buffer);
    raw.append(buffer, static_cast<size_t>(in.gcount()));
    if (raw.size() > limits.max_bytes)
      return MakeError(ErrorCode::kLimit, path + ": larger than " + std::to_string(limits.max_bytes) + " bytes");
  }
  if (raw.size() < 2 || static_cast<uint8_t>(raw[0]) != 0x1f || static_cast<uint8_t>(raw[1]) != 0x8b) return raw;
  auto out = formats::InflateAll({reinterpret_cast<const uint8_t*>(raw.data()), raw.size()}, formats::Deflate::kGzip,
                                 limits.max_bytes);
  if (!out) {
    if (out.error().code == ErrorCode::kLimit) {
      return MakeError(ErrorCode::kLimit,
                       path + ": decompresses to more than " + std::to_string(limits.max_bytes) + " bytes");
    }
    return ParseFailure(path + ": gzip stream is corrupt or cut short");
  }
  return std::string(out->begin(), out->end());
}

DataSplit SplitDataset(const Dataset& data, double train_fraction, uint64_t seed) {
  std::vector<size_t> order(data.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::mt19937_64 random(seed);
  std::shuffle(order.begin(), order.end(), random);
  const auto cut = static_cast<size_t>(std::clamp(train_fraction, 0.0, 1.0) * static_cast<double>(order.size()));
  DataSplit split;
  split.train = data.Subset(std::vector<size_t>(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(cut)));
  split.test = data.Subset(std::vector<size_t>(order.begin() + static_cast<std::ptrdiff_t>(cut), order.end()));
  return split;
}

Result<DataSplit> LoadDataset(const std::string& spec, double train_fraction, uint64_t seed, const DataLimits& limits) {
  if (!(train_fraction > 0.0 && train_fraction < 1.0))
    return MakeError(ErrorCode::kInvalidArgument, "train fraction must lie in (0, 1)");
  auto table = [&](const std::string& path, CsvScaling scaling, const std::string& name) -> Result<DataSplit> {
    auto text = ReadMaybeGzip(path, limits);
    if (!text) return text.error();
    auto data = ParseCsv(*text, scaling, limits);
    if (!data) return MakeError(data.error().code, path + ": " + data.error().message);
    data->name = name;
    return SplitDataset(*data, train_fraction, seed);
  };
  static const std::pair<const char*, const char*> kSklearn[] = {{"digits", "digits.csv.gz"},
                                                                 {"iris", "iris.csv"},
                                                                 {"wine", "wine_data.csv"},
                                                                 {"breast_cancer", "breast_cancer.csv"}};
  for (const auto& [name, file] : kSklearn) {
    if (spec != name) continue;
    const std::string dir = SklearnDataDirectory();
    if (dir.empty())
      return MakeError(
          ErrorCode::kIo,
          std::string(name) + " comes with python3-sklearn, which is not installed (scripts/install-deps installs it)");
    return table(dir + "/" + file, spec == "digits" ? CsvScaling::kGlobal : CsvScaling::kColumn, name);
  }
  if (spec == "fashion-mnist") return LoadIdxDirectory("/usr/share/datasets/fashion-mnist", spec, limits);
  if (spec.rfind("idx:", 0) == 0) return LoadIdxDirectory(spec.substr(4), spec.substr(4), limits);
  if (spec.rfind("csv:", 0) == 0) return table(spec.substr(4), CsvScaling::kGlobal, spec.substr(4));
  if (spec.rfind("csv-columns:", 0) == 0) return table(spec.substr(12), CsvScaling::kColumn, spec.substr(12));
  if (spec.rfind("npy:", 0) == 0) {
    const std::string paths = spec.substr(4);
    const size_t comma = paths.find(',');
    if (comma == std::string::npos) return MakeError(ErrorCode::kInvalidArgument, "npy: needs FEATURES.npy,LABELS.npy");
    auto x = ReadMaybeGzip(paths.substr(0, comma), limits);
    if (!x) return x.error();
    auto y = ReadMaybeGzip(paths.substr(comma + 1), limits);
    if (!y) return y.error();
    auto data = ParseNpy(*x, *y, limits);
    if (!data) return data.error();
    data->name = paths;
    return SplitDataset(*data, train_fraction, seed);
  }
  return MakeError(
      ErrorCode::kInvalidArgument,
      "unknown dataset '" + spec +
          "' (digits, iris, wine, breast_cancer, fashion-mnist, idx:DIR, csv:PATH, csv-columns:PATH, npy:X.npy,Y.npy)");
}

}  // namespace modelguard::assess
