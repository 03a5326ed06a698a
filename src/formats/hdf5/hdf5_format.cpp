// HDF5 (legacy Keras .h5). Keras stores the model as JSON text in root attributes ("model_config",
// "training_config"); attribute values are stored unfiltered, so their bytes appear verbatim in the
// file. Rather than run libhdf5 -- a large C parser with a long CVE history -- on hostile input, the
// analyzer checks the signature (at 0 or a power-of-two user-block offset) and parses every embedded
// Keras JSON object it finds with the bounded JSON parser.
#include <cstdint>
#include <cstring>
#include <optional>

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

// Offset of the superblock (at 0 or a power-of-two user-block offset), or npos.
uint64_t SuperblockAt(ByteView d) {
  for (uint64_t at = 0; at + sizeof kSignature <= d.size() && at <= (1 << 20); at = at == 0 ? 512 : at * 2) {
    if (std::memcmp(d.data() + at, kSignature, sizeof kSignature) == 0) return at;
  }
  return UINT64_MAX;
}

uint64_t ReadLe(ByteView d, uint64_t at, uint8_t size) {
  uint64_t v = 0;
  for (int i = size - 1; i >= 0; --i) v = (v << 8) | d[at + static_cast<uint64_t>(i)];
  return v;
}

// Where the superblock says the file ends (base address + end-of-file address, HDF5 File Format Spec.
// II.A, versions 0-3). A file shorter than that lost data: its configuration may be among what is missing.
// kSuperblockCut when the file ends inside those fields; nullopt when they hold values this reader does not
// interpret (then nothing is claimed).
constexpr uint64_t kSuperblockCut = UINT64_MAX;
std::optional<uint64_t> DeclaredEnd(ByteView d, uint64_t sb) {
  if (sb + 9 > d.size()) return kSuperblockCut;
  const uint8_t version = d[sb + 8];
  uint8_t offsets = 0;
  uint64_t base_at = 0;
  if (version == 0 || version == 1) {
    if (sb + 14 > d.size()) return kSuperblockCut;
    offsets = d[sb + 13];
    base_at = sb + (version == 0 ? 24 : 28);
  } else if (version == 2 || version == 3) {
    if (sb + 10 > d.size()) return kSuperblockCut;
    offsets = d[sb + 9];
    base_at = sb + 12;
  } else {
    return std::nullopt;
  }
  if (offsets != 2 && offsets != 4 && offsets != 8) return std::nullopt;
  // v0/v1: base, free-space, end-of-file; v2/v3: base, superblock extension, end-of-file.
  const uint64_t eof_at = base_at + 2 * uint64_t{offsets};
  if (eof_at + offsets > d.size()) return kSuperblockCut;
  const uint64_t undefined = offsets == 8 ? UINT64_MAX : (uint64_t{1} << (8 * offsets)) - 1;
  uint64_t base = ReadLe(d, base_at, offsets);
  const uint64_t eof = ReadLe(d, eof_at, offsets);
  if (base == undefined) base = sb;
  if (eof == undefined || eof >= UINT64_MAX - base) return std::nullopt;
  return base + eof;
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
    return SuperblockAt(d) != UINT64_MAX ? SniffResult::kStrong : SniffResult::kNo;
  }

  void Analyze(ByteView d, AnalysisContext& ctx) const override {
    const uint64_t sb = SuperblockAt(d);
    const auto declared_end = DeclaredEnd(d, sb);
    if (declared_end == kSuperblockCut) {
      ctx.Emit(fact::kParseError, d.size(), "hdf5", "HDF5 file truncated inside its superblock");
    } else if (declared_end && *declared_end > d.size()) {
      ctx.Emit(fact::kParseError, d.size(), "hdf5",
               "HDF5 file truncated: its superblock says it ends at byte " + std::to_string(*declared_end) +
                   ", the file has " + std::to_string(d.size()) + " (what is missing was not analysed)");
    }
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
