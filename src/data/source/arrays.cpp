// NPY, NPZ and IDX datasets as rows (source.h). The array file is read whole (capped at max_bytes) and its
// header checked against the bytes actually present before any sample is touched.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "modelguard/assess/dataset.h"
#include "modelguard/core/hash.h"
#include "modelguard/core/io.h"
#include "modelguard/formats/npy.h"
#include "modelguard/formats/zip.h"
#include "src/data/source/source_internal.h"

namespace modelguard::data {
namespace {

Error ParseFailure(const std::string& message) { return MakeError(ErrorCode::kParse, message); }

// An n-dimensional numeric array: the raw little- or big-endian bytes and how to read one element.
struct NumericArray {
  std::vector<uint8_t> storage;  // owns the bytes when they were decompressed or read
  const uint8_t* data = nullptr;
  std::vector<uint64_t> shape;
  char kind = 'f';  // f (float), i (signed), u (unsigned), b (bool)
  size_t item_size = 4;
  bool big_endian = false;
  uint64_t samples() const { return shape.empty() ? 1 : shape[0]; }
  uint64_t sample_elements() const {
    uint64_t n = 1;
    for (size_t i = 1; i < shape.size(); ++i) n *= shape[i];
    return n;
  }
  double At(uint64_t index) const {
    uint8_t bytes[8];
    std::memcpy(bytes, data + index * item_size, item_size);
    if (big_endian) std::reverse(bytes, bytes + item_size);
    switch (kind) {
      case 'b':
        return bytes[0] != 0 ? 1.0 : 0.0;
      case 'u': {
        uint64_t v = 0;
        std::memcpy(&v, bytes, item_size);  // little-endian host (the build refuses others)
        return static_cast<double>(v);
      }
      case 'i': {
        uint64_t v = 0;
        std::memcpy(&v, bytes, item_size);
        const unsigned shift = static_cast<unsigned>(64 - 8 * item_size);
        return static_cast<double>(static_cast<int64_t>(v << shift) >> shift);  // sign-extend
      }
      default:
        if (item_size == 4) {
          float f;
          std::memcpy(&f, bytes, 4);
          return f;
        }
        double d;
        std::memcpy(&d, bytes, 8);
        return d;
    }
  }
};
static_assert(std::endian::native == std::endian::little, "array readers assume a little-endian host");

Result<NumericArray> ParseNpyArray(std::vector<uint8_t> bytes, const std::string& what) {
  uint64_t error_offset = 0;
  auto header = formats::npy::ParseHeader(bytes, &error_offset);
  if (!header) return ParseFailure(what + ": " + header.error().message);
  if (!header->shape_error.empty()) return ParseFailure(what + ": " + header->shape_error);
  if (header->structured || header->is_object)
    return ParseFailure(what + ": object and structured arrays are not numeric data (dtype '" + header->descr + "')");
  if (header->fortran_order) return ParseFailure(what + ": Fortran-ordered arrays are not supported");
  NumericArray array;
  const std::string& descr = header->descr;
  if (descr.size() < 3) return ParseFailure(what + ": unsupported dtype '" + descr + "'");
  array.big_endian = descr[0] == '>';
  array.kind = descr[1];
  array.item_size = static_cast<size_t>(header->item_size.value_or(0));
  const bool supported = (array.kind == 'f' && (array.item_size == 4 || array.item_size == 8)) ||
                         ((array.kind == 'i' || array.kind == 'u') && (array.item_size == 1 || array.item_size == 2 ||
                                                                       array.item_size == 4 || array.item_size == 8)) ||
                         (array.kind == 'b' && array.item_size == 1);
  if (!supported) return ParseFailure(what + ": unsupported dtype '" + descr + "' (float32/64, integers, bool)");
  if (header->shape.empty()) return ParseFailure(what + ": a scalar is not a dataset");
  const uint64_t needed = header->element_count * array.item_size;  // ParseHeader checked it does not overflow
  if (header->data_offset > bytes.size() || bytes.size() - header->data_offset < needed) {
    return ParseFailure(what + ": the header promises " + std::to_string(needed) + " bytes of data, the file has " +
                        std::to_string(bytes.size() - std::min<uint64_t>(bytes.size(), header->data_offset)));
  }
  array.shape = header->shape;
  array.storage = std::move(bytes);
  array.data = array.storage.data() + header->data_offset;
  return array;
}

class ArraySource : public DatasetSource {
 public:
  ArraySource(SourceFormat format, NumericArray features, std::optional<NumericArray> labels, uint64_t bytes)
      : format_(format), features_(std::move(features)), labels_(std::move(labels)), bytes_(bytes) {
    per_feature_ = features_.sample_elements() <= kMaxFeatureColumns;
    if (labels_) columns_.push_back("label");
    for (const char* name : {"mean", "std", "min", "max", "non_finite"}) columns_.push_back(name);
    if (per_feature_)
      for (uint64_t i = 0; i < features_.sample_elements(); ++i) columns_.push_back("x[" + std::to_string(i) + "]");
  }
  Result<bool> Next(Row& row) override {
    if (next_ >= features_.samples()) return false;
    row = Row{};
    row.location = next_;
    const uint64_t n = features_.sample_elements();
    values_.resize(n);  // here, not up front: an array of no samples may still declare huge ones
    for (uint64_t i = 0; i < n; ++i) values_[i] = static_cast<float>(features_.At(next_ * n + i));
    if (labels_) {
      const double label = labels_->At(next_);
      Cell cell;
      // A whole number only while int64 holds it exactly: converting 1e30 or infinity is undefined.
      cell.type = std::floor(label) == label && std::fabs(label) < 9.007199254740992e15 ? CellType::kInteger
                                                                                        : CellType::kNumber;
      cell.number = label;
      cell.text = cell.type == CellType::kInteger ? std::to_string(static_cast<int64_t>(label)) : std::to_string(label);
      row.cells.push_back(std::move(cell));
    }
    AppendSampleStatistics(values_.data(), values_.size(), per_feature_, row.cells);
    row.fingerprint = HashBytes(features_.data + next_ * n * features_.item_size, n * features_.item_size);
    if (labels_) row.fingerprint = HashBytes(&row.cells[0].number, sizeof(double), row.fingerprint);
    ++next_;
    return true;
  }
  const std::vector<std::string>& columns() const override { return columns_; }
  SourceFormat format() const override { return format_; }
  uint64_t bytes_read() const override { return bytes_; }

 private:
  SourceFormat format_;
  NumericArray features_;
  std::optional<NumericArray> labels_;
  uint64_t bytes_;
  bool per_feature_ = false;
  std::vector<std::string> columns_;
  std::vector<float> values_;
  uint64_t next_ = 0;
};

Result<std::vector<uint8_t>> ReadBytes(const std::string& path, uint64_t max_bytes) {
  MG_TRY(CheckRegularFile(path));
  MG_ASSIGN_OR_RETURN(std::string text, ReadFile(path, max_bytes));
  return std::vector<uint8_t>(text.begin(), text.end());
}

Status CheckLabels(const NumericArray& features, const NumericArray& labels, const std::string& what) {
  if (labels.shape.size() != 1 && !(labels.shape.size() == 2 && labels.shape[1] == 1))
    return ParseFailure(what + ": labels must be one value per sample (shape (N,) or (N, 1))");
  if (labels.samples() != features.samples())
    return ParseFailure(what + ": " + std::to_string(labels.samples()) + " labels for " +
                        std::to_string(features.samples()) + " samples");
  return Ok{};
}

bool IsOneOf(std::string name, std::initializer_list<const char*> names) {
  if (name.ends_with(".npy")) name.resize(name.size() - 4);
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return std::any_of(names.begin(), names.end(), [&](const char* n) { return name == n; });
}

// Images (and labels) as uint8 IDX, reusing the assessment engine's loader (pixels scaled to [0, 1]).
Result<std::unique_ptr<DatasetSource>> IdxSource(const std::string& images, const std::string* label_bytes,
                                                 const SourceOptions& options, const std::string& what) {
  assess::DataLimits limits;
  limits.require_two_classes = false;
  limits.max_bytes = options.max_bytes;
  limits.max_samples = options.max_samples;
  std::string placeholder;
  if (label_bytes == nullptr) {
    // No labels file: the loader wants one, so it gets a placeholder of zeros; the label column is then
    // left out, never reported as class 0.
    if (images.size() < 8) return ParseFailure(what + ": shorter than an IDX header");
    const auto count = static_cast<uint32_t>(static_cast<uint8_t>(images[4])) << 24 |
                       static_cast<uint32_t>(static_cast<uint8_t>(images[5])) << 16 |
                       static_cast<uint32_t>(static_cast<uint8_t>(images[6])) << 8 |
                       static_cast<uint32_t>(static_cast<uint8_t>(images[7]));
    if (count > options.max_samples || count > images.size())
      return ParseFailure(what + ": the header promises more images than the file holds");
    placeholder.assign(8, '\0');
    placeholder[2] = 0x08;
    placeholder[3] = 1;
    for (int i = 0; i < 4; ++i) placeholder[4 + i] = static_cast<char>((count >> (24 - 8 * i)) & 0xff);
    placeholder.append(count, '\0');
  }
  MG_ASSIGN_OR_RETURN_CONTEXT(assess::Dataset data,
                              assess::ParseIdx(images, label_bytes ? *label_bytes : placeholder, limits), what + ": ");
  NumericArray features;
  features.kind = 'f';
  features.item_size = 4;
  features.shape = {data.size()};
  for (int64_t dim : data.sample_shape) features.shape.push_back(static_cast<uint64_t>(dim));
  features.storage.resize(data.features.size() * sizeof(float));
  std::memcpy(features.storage.data(), data.features.data(), features.storage.size());
  features.data = features.storage.data();
  std::optional<NumericArray> labels;
  if (label_bytes != nullptr) {
    NumericArray l;
    l.kind = 'i';
    l.item_size = 8;
    l.shape = {data.size()};
    l.storage.resize(data.labels.size() * sizeof(int64_t));
    std::memcpy(l.storage.data(), data.labels.data(), l.storage.size());
    l.data = l.storage.data();
    labels = std::move(l);
  }
  return std::unique_ptr<DatasetSource>(
      std::make_unique<ArraySource>(SourceFormat::kIdx, std::move(features), std::move(labels), images.size()));
}

Result<std::unique_ptr<DatasetSource>> OpenIdx(const std::string& path, const SourceOptions& options) {
  MG_TRY(CheckRegularFile(path));
  assess::DataLimits limits;
  limits.max_bytes = options.max_bytes;
  MG_ASSIGN_OR_RETURN_CONTEXT(std::string images, assess::ReadMaybeGzip(path, limits), path + ": ");
  std::string labels_path = options.labels;
  if (labels_path.empty()) {
    // MNIST's naming: train-images-idx3-ubyte next to train-labels-idx1-ubyte.
    std::string guess = path;
    if (auto at = guess.find("images-idx3"); at != std::string::npos) {
      guess.replace(at, 11, "labels-idx1");
      if (std::filesystem::exists(guess)) labels_path = guess;
    }
  }
  if (labels_path.empty()) return IdxSource(images, nullptr, options, path);
  MG_TRY(CheckRegularFile(labels_path));  // a FIFO named like a labels file would block the read
  MG_ASSIGN_OR_RETURN_CONTEXT(std::string label_bytes, assess::ReadMaybeGzip(labels_path, limits), labels_path + ": ");
  return IdxSource(images, &label_bytes, options, path);
}

}  // namespace

uint64_t HashBytes(const void* data, size_t size, uint64_t seed) {
  return Fnv1a64(std::string_view(static_cast<const char*>(data), size), seed);
}

void AppendSampleStatistics(const float* values, size_t count, bool per_feature, std::vector<Cell>& cells) {
  double sum = 0, squares = 0, low = INFINITY, high = -INFINITY;
  uint64_t finite = 0, non_finite = 0;
  for (size_t i = 0; i < count; ++i) {
    const double v = values[i];
    if (!std::isfinite(v)) {
      ++non_finite;
      continue;
    }
    ++finite;
    sum += v;
    squares += v * v;
    low = std::min(low, v);
    high = std::max(high, v);
  }
  const auto number = [](double v) {
    Cell cell;
    if (std::isnan(v)) return cell;  // missing
    cell.type = std::floor(v) == v && std::fabs(v) < 9e15 ? CellType::kInteger : CellType::kNumber;
    cell.number = v;
    char text[32];
    std::snprintf(text, sizeof text, "%.9g", v);
    cell.text = text;
    return cell;
  };
  const double mean = finite ? sum / static_cast<double>(finite) : NAN;
  const double variance = finite ? std::max(0.0, squares / static_cast<double>(finite) - mean * mean) : NAN;
  cells.push_back(number(mean));
  cells.push_back(number(std::sqrt(variance)));
  cells.push_back(number(finite ? low : NAN));
  cells.push_back(number(finite ? high : NAN));
  cells.push_back(number(static_cast<double>(non_finite)));
  if (per_feature)
    for (size_t i = 0; i < count; ++i) cells.push_back(number(std::isfinite(values[i]) ? values[i] : NAN));
}

Result<std::unique_ptr<DatasetSource>> OpenArrayBytes(std::vector<uint8_t> bytes, SourceFormat format,
                                                      const SourceOptions& options, const std::string& what,
                                                      std::optional<std::vector<uint8_t>> label_bytes) {
  const uint64_t size = bytes.size();
  if (format == SourceFormat::kIdx) {
    const std::string images(bytes.begin(), bytes.end());
    if (!label_bytes) return IdxSource(images, nullptr, options, what);
    const std::string labels(label_bytes->begin(), label_bytes->end());
    return IdxSource(images, &labels, options, what);
  }
  NumericArray features;
  std::optional<NumericArray> labels;
  if (format == SourceFormat::kNpy) {
    MG_ASSIGN_OR_RETURN(features, ParseNpyArray(std::move(bytes), what));
    if (label_bytes) {
      MG_ASSIGN_OR_RETURN(labels, ParseNpyArray(std::move(*label_bytes), what + " (labels)"));
    }
  } else {
    formats::Limits limits;
    limits.max_member_size = options.max_bytes;
    limits.max_total_unpacked = options.max_bytes;
    limits.max_unpacked_held = options.max_bytes;
    MG_ASSIGN_OR_RETURN_CONTEXT(auto members, formats::ReadZipMembers(bytes, limits), what + ": ");
    // np.savez(x=..., y=...) names members x.npy and y.npy; one array alone is the features.
    const formats::ZipMember* feature_member = nullptr;
    const formats::ZipMember* label_member = nullptr;
    for (const auto& member : members) {
      if (IsOneOf(member.name, {"x", "features", "images", "data", "inputs", "x_train"})) feature_member = &member;
      if (IsOneOf(member.name, {"y", "labels", "label", "targets", "target", "y_train"})) label_member = &member;
    }
    if (feature_member == nullptr && members.size() == 1) feature_member = &members[0];
    if (feature_member == nullptr) {
      std::string names;
      for (const auto& member : members) names += (names.empty() ? "" : ", ") + member.name;
      return ParseFailure(what + ": no features array (x, features, images, data or inputs) among " + names);
    }
    MG_ASSIGN_OR_RETURN(features, ParseNpyArray(feature_member->bytes, what + "!" + feature_member->name));
    if (label_member != nullptr) {
      MG_ASSIGN_OR_RETURN(labels, ParseNpyArray(label_member->bytes, what + "!" + label_member->name));
    }
  }
  // The reader holds one sample's values at a time, and an empty array's header may promise samples of any
  // size ((0, 10^12), or dimensions whose product overflows) without a byte to back them: one sample must
  // fit in what a file may hold.
  uint64_t sample_bytes = features.item_size;
  for (size_t i = 1; i < features.shape.size(); ++i) {
    if (features.shape[i] != 0 && sample_bytes > options.max_bytes / features.shape[i])
      return MakeError(ErrorCode::kLimit,
                       what + ": one sample is larger than " + std::to_string(options.max_bytes) + " bytes");
    sample_bytes *= features.shape[i];
  }
  if (features.samples() > options.max_samples)
    return MakeError(ErrorCode::kLimit, what + ": " + std::to_string(features.samples()) + " samples, more than " +
                                            std::to_string(options.max_samples));
  if (labels) MG_TRY(CheckLabels(features, *labels, what));
  return std::unique_ptr<DatasetSource>(
      std::make_unique<ArraySource>(format, std::move(features), std::move(labels), size));
}

Result<std::unique_ptr<DatasetSource>> OpenArrayDataset(const std::string& path, SourceFormat format,
                                                        const SourceOptions& options) {
  if (format == SourceFormat::kIdx) return OpenIdx(path, options);
  MG_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadBytes(path, options.max_bytes));
  std::optional<std::vector<uint8_t>> label_bytes;
  if (format == SourceFormat::kNpy && !options.labels.empty()) {
    MG_ASSIGN_OR_RETURN(label_bytes, ReadBytes(options.labels, options.max_bytes));
  }
  return OpenArrayBytes(std::move(bytes), format, options, path, std::move(label_bytes));
}

}  // namespace modelguard::data
