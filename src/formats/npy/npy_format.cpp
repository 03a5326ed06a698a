// numpy .npy (numpy/lib/format.py, format versions 1.0-3.0): magic "\x93NUMPY", version, header length
// (2 bytes in 1.0, 4 bytes after), a Python dict literal with 'descr', 'fortran_order', 'shape'. Object
// arrays are stored as a pickle right after the header; np.load(allow_pickle=True) unpickles it.
#include <cstring>
#include <limits>
#include <string>

#include "modelguard/formats/pickle.h"
#include "src/formats/registry_entries.h"

namespace modelguard::formats::fact {
inline constexpr FactKind kNpyObjectArray{"npy.object-array"};
inline constexpr FactKind kNpySizeMismatch{"npy.size-mismatch"};
}  // namespace modelguard::formats::fact

namespace modelguard::formats {
namespace {

constexpr uint8_t kMagic[] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
constexpr uint64_t kMaxHeader = 1 << 20;  // numpy itself refuses headers over 10 KB by default

// Finds the value text after 'key': in the header literal.
std::optional<std::string_view> FieldText(std::string_view header, std::string_view key) {
  for (char quote : {'\'', '"'}) {
    std::string needle = std::string(1, quote) + std::string(key) + std::string(1, quote);
    auto at = header.find(needle);
    if (at == std::string_view::npos) continue;
    auto colon = header.find(':', at + needle.size());
    if (colon == std::string_view::npos) return std::nullopt;
    std::string_view rest = header.substr(colon + 1);
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    return rest;
  }
  return std::nullopt;
}

class NpyAnalyzer final : public FormatAnalyzer {
 public:
  const FormatDescriptor& descriptor() const override {
    static const FormatDescriptor d{
        .name = "npy",
        .summary = "numpy .npy array (object arrays hold a pickle)",
        .detection_rank = 50,
        .extensions = {".npy"},
        .family = FormatFamily::kOwn,
        .polyglot_probe = false,
        .carries_weights = true,
        .libraries = {},
        .facts = {fact::kNpyObjectArray, fact::kNpySizeMismatch},
    };
    return d;
  }
  SniffResult Sniff(ByteView data) const override {
    return data.size() >= sizeof kMagic && std::memcmp(data.data(), kMagic, sizeof kMagic) == 0 ? SniffResult::kStrong
                                                                                                : SniffResult::kNo;
  }

  void Analyze(ByteView data, AnalysisContext& ctx) const override {
    if (data.size() < 10) return ParseError(ctx, 0, "truncated before the header length");
    const uint8_t major = data[6];
    uint64_t header_len = 0, header_start = 0;
    if (major == 1) {
      header_len = data[8] | (data[9] << 8);
      header_start = 10;
    } else if (major == 2 || major == 3) {
      if (data.size() < 12) return ParseError(ctx, 0, "truncated before the header length");
      header_len = data[8] | (data[9] << 8) | (uint64_t{data[10]} << 16) | (uint64_t{data[11]} << 24);
      header_start = 12;
    } else {
      return ParseError(ctx, 6, "unknown format version " + std::to_string(major));
    }
    if (header_len > kMaxHeader || header_len > data.size() - header_start) {
      return ParseError(ctx, 8, "header length " + std::to_string(header_len) + " exceeds the file");
    }
    std::string_view header(reinterpret_cast<const char*>(data.data() + header_start), header_len);
    const uint64_t payload = header_start + header_len;
    auto descr = FieldText(header, "descr");
    auto shape = FieldText(header, "shape");
    if (!descr || !shape || header.find('{') == std::string_view::npos) {
      return ParseError(ctx, header_start, "header is not a dict with 'descr' and 'shape'");
    }
    bool is_object = false;
    std::optional<uint64_t> item_size;
    if (!descr->empty() && (descr->front() == '\'' || descr->front() == '"')) {
      auto end = descr->find(descr->front(), 1);
      if (end == std::string_view::npos) return ParseError(ctx, header_start, "unterminated 'descr'");
      item_size = pickle::NumpyItemSize(descr->substr(1, end - 1), &is_object);
    } else {
      // Structured dtype (a list of fields): object fields make the whole array pickled.
      auto close = descr->find(']');
      std::string_view list = descr->substr(0, close);
      is_object = list.find("'O") != std::string_view::npos || list.find("'|O") != std::string_view::npos;
    }
    if (is_object) {
      ctx.Emit(fact::kNpyObjectArray, payload, "", "object array: np.load(allow_pickle=True) unpickles the payload");
      pickle::RunAllStreams(data, ctx, {}, payload);
      return;
    }
    if (!item_size) return;  // structured dtype without objects: raw records
    // shape literal: "(3, 4)", "()", "(5,)"
    uint64_t count = 1;
    std::string_view s = *shape;
    if (s.empty() || s.front() != '(') return ParseError(ctx, header_start, "'shape' is not a tuple");
    size_t i = 1;
    while (i < s.size() && s[i] != ')') {
      if (std::isdigit(static_cast<unsigned char>(s[i]))) {
        uint64_t dim = 0;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
          if (dim > (uint64_t{1} << 50)) return ParseError(ctx, header_start, "dimension too large");
          dim = dim * 10 + static_cast<uint64_t>(s[i++] - '0');
        }
        if (dim != 0 && count > std::numeric_limits<uint64_t>::max() / dim)
          return ParseError(ctx, header_start, "shape overflows");
        count *= dim;
      } else {
        ++i;
      }
    }
    if (*item_size != 0 && count > std::numeric_limits<uint64_t>::max() / *item_size) {
      return ParseError(ctx, header_start, "array size overflows");
    }
    const uint64_t expected = count * *item_size;
    if (expected != data.size() - payload) {
      ctx.Emit(fact::kNpySizeMismatch, payload, "",
               "header declares " + std::to_string(expected) + " data bytes, the file holds " +
                   std::to_string(data.size() - payload));
    }
  }

 private:
  static void ParseError(AnalysisContext& ctx, uint64_t offset, std::string message) {
    ctx.Emit(fact::kParseError, offset, "npy", "npy: " + message);
  }
};

}  // namespace

MODELGUARD_REGISTER_FORMAT(npy, NpyAnalyzer)

}  // namespace modelguard::formats
