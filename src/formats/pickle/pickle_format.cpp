#include "modelguard/formats/pickle.h"
#include "src/formats/pickle/nested.h"
#include "src/formats/registry_entries.h"

namespace modelguard::formats {
namespace {

class PickleAnalyzer final : public FormatAnalyzer {
 public:
  const FormatDescriptor& descriptor() const override {
    static const FormatDescriptor d{
        .name = "pickle",
        .summary =
            "Python pickle, protocols 0-5: a symbolic machine with CPython's `_pickle` semantics, every import through "
            "the import policy, several streams per file, joblib's inline arrays followed, pickles inside str/bytes "
            "constants (raw, base64, hex, zlib, gzip) "
            "analysed as nested members",
        .detection_rank = 130,
        .extensions = {".pt", ".pth", ".ckpt", ".pkl", ".pickle", ".joblib"},
        .family = FormatFamily::kPickle,
        .polyglot_probe = true,
        .carries_weights = true,
        .libraries = {"transformers", "diffusers", "sentence-transformers", "timm", "sklearn", "scikit-learn"},
        .facts = {fact::kPickleImport, fact::kPickleDynamicImport, fact::kPickleGlobalMutation, fact::kPickleExtension,
                  fact::kPicklePersistentId, fact::kPickleFrameMismatch, fact::kPickleOutOfBandBuffer,
                  fact::kPickleMemoOverwrite, fact::kPickleTrailingData, fact::kPickleNestedPayload},
    };
    return d;
  }
  SniffResult Sniff(ByteView data) const override {
    if (data.size() >= 2 && data[0] == 0x80 && data[1] <= 5) return SniffResult::kStrong;
    return pickle::LooksLikePickle(data) ? SniffResult::kWeak : SniffResult::kNo;
  }
  void Analyze(ByteView data, AnalysisContext& ctx) const override { pickle::RunAllStreams(data, ctx); }
  bool ParsesAnyBytes() const override { return true; }
};

}  // namespace

MODELGUARD_REGISTER_FORMAT(pickle, PickleAnalyzer)

}  // namespace modelguard::formats
