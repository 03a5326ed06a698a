// Sealed model files (modelguard seal, docs/seal.md): AES-256-GCM ciphertext behind a JSON header. Nothing
// inside can be scanned without the key, and the scanner says so rather than passing the file: it reports
// the header's plaintext size, SHA-256 and key kind, so the plaintext can be matched to a scan of it.
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>

#include "src/formats/registry_entries.h"

namespace modelguard::formats::fact {
inline constexpr FactKind kSealedEncrypted{"sealed.encrypted"};
}  // namespace modelguard::formats::fact

namespace modelguard::formats {
namespace {

constexpr char kMagic[] = {'M', 'G', 'S', 'E', 'A', 'L', '1', '\n'};
constexpr uint64_t kMaxHeader = 64 * 1024;  // as src/seal writes and reads it

class SealedAnalyzer final : public FormatAnalyzer {
 public:
  const FormatDescriptor& descriptor() const override {
    static const FormatDescriptor d{
        .name = "sealed",
        .summary =
            "modelguard sealed model (AES-256-GCM): reported as unscannable without its key, with the "
            "header's plaintext size, SHA-256 and key kind",
        .detection_rank = 55,
        .extensions = {".sealed"},
        .family = FormatFamily::kOwn,
        .polyglot_probe = false,
        .carries_weights = true,
        .libraries = {},
        .facts = {fact::kSealedEncrypted},
    };
    return d;
  }
  SniffResult Sniff(ByteView data) const override {
    return data.size() >= sizeof kMagic && std::memcmp(data.data(), kMagic, sizeof kMagic) == 0 ? SniffResult::kStrong
                                                                                                : SniffResult::kNo;
  }

  void Analyze(ByteView data, AnalysisContext& ctx) const override {
    if (data.size() < sizeof kMagic + 4) return ParseError(ctx, sizeof kMagic, "the header length is cut off");
    uint64_t length = 0;
    for (int i = 0; i < 4; ++i) length |= static_cast<uint64_t>(data[sizeof kMagic + i]) << (8 * i);
    if (length == 0 || length > kMaxHeader || length > data.size() - sizeof kMagic - 4)
      return ParseError(ctx, sizeof kMagic, "header length " + std::to_string(length) + " out of bounds");
    const auto* begin = reinterpret_cast<const char*>(data.data()) + sizeof kMagic + 4;
    const auto header = nlohmann::json::parse(begin, begin + length, nullptr, false);
    if (header.is_discarded() || !header.is_object())
      return ParseError(ctx, sizeof kMagic + 4, "the header is not a JSON object");
    auto text = [&](const char* key) {
      const auto found = header.find(key);
      return found != header.end() && found->is_string() ? found->get<std::string>() : std::string("?");
    };
    std::string size = "?";
    if (const auto found = header.find("plaintext_size"); found != header.end() && found->is_number_unsigned())
      size = std::to_string(found->get<uint64_t>());
    std::string kind = "?";
    if (const auto key = header.find("key"); key != header.end() && key->is_object()) {
      const auto found = key->find("kind");
      if (found != key->end() && found->is_string()) kind = found->get<std::string>();
    }
    ctx.Emit(fact::kSealedEncrypted, 0, "",
             "sealed model (" + text("format") + "): " + size + " plaintext bytes with SHA-256 " +
                 text("plaintext_sha256") + ", key kind " + kind + "; its contents cannot be scanned without the key");
  }

 private:
  static void ParseError(AnalysisContext& ctx, uint64_t offset, std::string message) {
    ctx.Emit(fact::kParseError, offset, "sealed", "sealed: " + message);
  }
};

}  // namespace

MODELGUARD_REGISTER_FORMAT(sealed, SealedAnalyzer)

}  // namespace modelguard::formats
