// safetensors (huggingface/safetensors format spec): u64 little-endian header length N, N bytes of JSON
// {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}, then the data
// buffer. The reference loader refuses headers over 100 MB, offsets that are not contiguous from 0 or do
// not cover the buffer exactly, and byte counts that disagree with shape x dtype; so do we, as facts.
#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "src/formats/config/json_guard.h"
#include "src/formats/registry_entries.h"

namespace modelguard::formats::fact {
inline constexpr FactKind kSafetensorsHeaderOutOfBounds{"safetensors.header-out-of-bounds"};
inline constexpr FactKind kSafetensorsOffsetOutOfRange{"safetensors.offset-out-of-range"};
inline constexpr FactKind kSafetensorsSizeMismatch{"safetensors.size-mismatch"};
inline constexpr FactKind kSafetensorsOverlapOrGap{"safetensors.overlap-or-gap"};
inline constexpr FactKind kSafetensorsTrailingData{"safetensors.trailing-data"};
inline constexpr FactKind kSafetensorsUnknownDtype{"safetensors.unknown-dtype"};
inline constexpr FactKind kSafetensorsMetadataCode{"safetensors.metadata-code"};
inline constexpr FactKind kSafetensorsMetadataUrl{"safetensors.metadata-url"};
}  // namespace modelguard::formats::fact

namespace modelguard::formats {
namespace {

constexpr uint64_t kMaxHeader = 100'000'000;  // safetensors' MAX_HEADER_SIZE

std::optional<uint64_t> DtypeSize(const std::string& dtype) {
  static const std::pair<const char*, uint64_t> kSizes[] = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E5M2", 1}, {"F8_E4M3", 1}, {"F8_E8M0", 1},
      {"I16", 2},  {"U16", 2}, {"F16", 2}, {"BF16", 2},    {"I32", 4},     {"U32", 4},
      {"F32", 4},  {"F64", 8}, {"I64", 8}, {"U64", 8},     {"C64", 8}};
  for (const auto& [name, size] : kSizes) {
    if (dtype == name) return size;
  }
  return std::nullopt;
}

class SafetensorsAnalyzer final : public FormatAnalyzer {
 public:
  const FormatDescriptor& descriptor() const override {
    static const FormatDescriptor d{
        .name = "safetensors",
        .summary =
            "safetensors: header at most 100 MB of valid JSON, dtype x shape = byte span, offsets in range, tensors "
            "tile the buffer, metadata free of code and URLs; tensor bytes never read",
        .detection_rank = 90,
        .extensions = {".safetensors"},
        .family = FormatFamily::kOwn,
        .polyglot_probe = false,
        .carries_weights = true,
        .libraries = {"transformers", "diffusers", "sentence-transformers", "peft", "timm"},
        .facts = {fact::kSafetensorsHeaderOutOfBounds, fact::kSafetensorsOffsetOutOfRange,
                  fact::kSafetensorsSizeMismatch, fact::kSafetensorsOverlapOrGap, fact::kSafetensorsTrailingData,
                  fact::kSafetensorsUnknownDtype, fact::kSafetensorsMetadataCode, fact::kSafetensorsMetadataUrl},
    };
    return d;
  }

  SniffResult Sniff(ByteView d) const override {
    if (d.size() < 9 || d[8] != '{') return SniffResult::kNo;
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | d[static_cast<size_t>(i)];
    if (n < 2) return SniffResult::kNo;
    if (n <= d.size() - 8) return SniffResult::kStrong;
    // A length with its top bytes clear and a JSON object after it is a safetensors file whose header
    // claims more than the file holds (cut short, or a length crafted to make a loader allocate): reported
    // as a broken safetensors file, never as "unknown format". Text has no NUL bytes, so JSON or a
    // config with '{' at offset 8 does not qualify.
    return n < (uint64_t{1} << 48) ? SniffResult::kWeak : SniffResult::kNo;
  }

  void Analyze(ByteView d, AnalysisContext& ctx) const override {
    if (d.size() < 8) {
      ctx.Emit(fact::kParseError, 0, "safetensors", "file is shorter than the 8-byte header length");
      return;
    }
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | d[static_cast<size_t>(i)];
    if (n > d.size() - 8) {
      ctx.Emit(fact::kSafetensorsHeaderOutOfBounds, 0, "safetensors",
               "header length " + std::to_string(n) + " exceeds the " + std::to_string(d.size() - 8) +
                   " bytes that follow it; the reference loader refuses the file, a careless one allocates or "
                   "reads past the end");
      return;
    }
    if (n > kMaxHeader) {
      ctx.Emit(fact::kParseError, 0, "safetensors",
               "header length " + std::to_string(n) + " exceeds the 100 MB the loader accepts");
      return;
    }
    const std::string_view text(reinterpret_cast<const char*>(d.data() + 8), n);
    auto doc = config::ParseJsonGuarded(text);
    if (!doc) {
      ctx.Emit(fact::kParseError, 8, "safetensors", "header is not valid JSON: " + doc.error().message);
      return;
    }
    if (!doc->is_object()) {
      ctx.Emit(fact::kParseError, 8, "safetensors", "header is not a JSON object");
      return;
    }
    const uint64_t data_start = 8 + n;
    const uint64_t data_size = d.size() - data_start;
    struct Span {
      uint64_t begin, end;
      std::string name;
    };
    std::vector<Span> spans;
    for (const auto& [key, value] : doc->items()) {
      if (key == "__metadata__") {
        CheckMetadata(value, ctx);
        continue;
      }
      if (!value.is_object() || !value.contains("dtype") || !value.contains("shape") ||
          !value.contains("data_offsets") || !value["dtype"].is_string() || !value["shape"].is_array() ||
          !value["data_offsets"].is_array() || value["data_offsets"].size() != 2 ||
          !value["data_offsets"][0].is_number_unsigned() || !value["data_offsets"][1].is_number_unsigned()) {
        ctx.Emit(fact::kParseError, 8, key, "tensor entry '" + key + "' lacks a valid dtype, shape or data_offsets");
        continue;
      }
      const uint64_t begin = value["data_offsets"][0].get<uint64_t>();
      const uint64_t end = value["data_offsets"][1].get<uint64_t>();
      if (end < begin || end > data_size) {
        ctx.Emit(fact::kSafetensorsOffsetOutOfRange, 8, key,
                 "data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) + "] do not fit the " +
                     std::to_string(data_size) + "-byte data buffer");
        continue;
      }
      spans.push_back({begin, end, key});
      const auto item = DtypeSize(value["dtype"].get<std::string>());
      if (!item) {
        ctx.Emit(fact::kSafetensorsUnknownDtype, 8, key, "unknown dtype '" + value["dtype"].get<std::string>() + "'");
        continue;
      }
      uint64_t count = 1;
      bool overflow = false;
      for (const auto& dim : value["shape"]) {
        if (!dim.is_number_unsigned()) {
          overflow = true;
          break;
        }
        const uint64_t v = dim.get<uint64_t>();
        if (v != 0 && count > std::numeric_limits<uint64_t>::max() / v)
          overflow = true;
        else
          count *= v;
      }
      if (overflow || (*item != 0 && count > std::numeric_limits<uint64_t>::max() / *item) ||
          count * *item != end - begin) {
        ctx.Emit(fact::kSafetensorsSizeMismatch, 8, key,
                 "shape x dtype does not equal the " + std::to_string(end - begin) + " bytes its offsets span");
      }
    }
    // The loader requires the tensors to tile the buffer: sorted, contiguous from 0, ending at its end.
    std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) { return a.begin < b.begin; });
    uint64_t expected = 0;
    for (const Span& s : spans) {
      if (s.begin != expected) {
        ctx.Emit(fact::kSafetensorsOverlapOrGap, data_start + s.begin, s.name,
                 s.begin < expected
                     ? "tensor overlaps the previous one"
                     : "gap of " + std::to_string(s.begin - expected) + " bytes before this tensor (hidden data)");
      }
      expected = std::max(expected, s.end);
    }
    if (expected != data_size) {
      ctx.Emit(fact::kSafetensorsTrailingData, data_start + expected, "",
               std::to_string(data_size - std::min(expected, data_size)) +
                   " bytes after the last tensor are not described by the header");
    }
  }

 private:
  static void CheckMetadata(const nlohmann::json& metadata, AnalysisContext& ctx) {
    if (!metadata.is_object()) {
      ctx.Emit(fact::kParseError, 8, "__metadata__", "__metadata__ is not an object of strings");
      return;
    }
    for (const auto& [key, value] : metadata.items()) {
      if (!value.is_string()) {
        ctx.Emit(fact::kParseError, 8, key, "__metadata__ value '" + key + "' is not a string (the loader rejects it)");
        continue;
      }
      const auto& text = value.get_ref<const std::string&>();
      if (auto code = config::LooksLikeCode(text)) {
        ctx.Emit(fact::kSafetensorsMetadataCode, 8, key, "__metadata__['" + key + "'] contains code: " + *code);
      } else if (text.find("://") != std::string::npos) {
        ctx.Emit(fact::kSafetensorsMetadataUrl, 8, key, "__metadata__['" + key + "'] contains a URL");
      }
    }
  }
};

}  // namespace

MODELGUARD_REGISTER_FORMAT(safetensors, SafetensorsAnalyzer)

}  // namespace modelguard::formats
