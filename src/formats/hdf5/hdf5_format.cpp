// HDF5 (legacy Keras .h5). Keras stores the model as JSON text in root attributes ("model_config",
// "training_config"); attribute values are stored unfiltered, so their bytes appear verbatim in the
// file. Rather than run libhdf5 -- a large C parser with a long CVE history -- on hostile input, the
// analyzer checks the signature (at 0 or a power-of-two user-block offset) and parses every embedded
// Keras JSON object it finds with the bounded JSON parser.
#include <cstring>

#include "src/formats/config/json_guard.h"
#include "src/formats/keras/keras_config.h"
#include "src/formats/registry_entries.h"

namespace modelguard::formats {
namespace {

constexpr uint8_t kSignature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
constexpr uint64_t kMaxConfig = 64 << 20;
constexpr std::string_view kConfigStarts[] = {"{\"class_name\"", "{\"module\"", "{\"backend\""};

// End (exclusive) of the JSON object starting at `start`, honouring strings; npos if unbalanced.
size_t MatchObject(std::string_view s, size_t start) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = start; i < s.size() && i - start < kMaxConfig; ++i) {
    const char c = s[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}' && --depth == 0) {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

class Hdf5Analyzer final : public FormatAnalyzer {
 public:
  const FormatDescriptor& descriptor() const override {
    static const FormatDescriptor d{
        .name = "hdf5",
        .summary =
            "HDF5 (legacy Keras `.h5`), never opened with libhdf5: the embedded Keras `model_config` JSON is checked "
            "as for `.keras`",
        .detection_rank = 80,
        .extensions = {".h5", ".hdf5"},
        .family = FormatFamily::kOwn,
        .polyglot_probe = false,
        .carries_weights = true,
        .libraries = {"transformers", "keras", "tf-keras"},
        .facts = {fact::kKerasImport, fact::kKerasLambda, fact::kKerasTorchModule, fact::kKerasUnsafeDeserialization},
    };
    return d;
  }
  SniffResult Sniff(ByteView d) const override {
    for (uint64_t at = 0; at + sizeof kSignature <= d.size() && at <= (1 << 20); at = at == 0 ? 512 : at * 2) {
      if (std::memcmp(d.data() + at, kSignature, sizeof kSignature) == 0) return SniffResult::kStrong;
    }
    return SniffResult::kNo;
  }

  void Analyze(ByteView d, AnalysisContext& ctx) const override {
    const std::string_view text(reinterpret_cast<const char*>(d.data()), d.size());
    size_t pos = 0;
    while (pos < text.size()) {
      size_t best = std::string_view::npos;
      for (auto start : kConfigStarts) best = std::min(best, text.find(start, pos));
      if (best == std::string_view::npos) break;
      const size_t end = MatchObject(text, best);
      if (end == std::string_view::npos) {
        ctx.Emit(fact::kParseError, best, "hdf5", "an embedded Keras configuration is truncated or unbalanced");
        break;
      }
      auto doc = config::ParseJsonGuarded(text.substr(best, end - best));
      if (doc) keras::CheckConfig(*doc, best, ctx);
      pos = end;
    }
  }
};

}  // namespace

MODELGUARD_REGISTER_FORMAT(hdf5, Hdf5Analyzer)

}  // namespace modelguard::formats
