// Keras v3 ".keras" archives: a zip with config.json (the model config), metadata.json (keras_version)
// and model.weights.h5. config.json is what keras.saving.load_model deserializes.
#include "src/formats/config/json_guard.h"
#include "src/formats/keras/keras_config.h"
#include "src/formats/registry_entries.h"
#include "src/formats/zip/zip_reader.h"

namespace modelguard::formats {
namespace {

class KerasAnalyzer final : public FormatAnalyzer {
 public:
  std::string_view name() const override { return "keras"; }

  SniffResult Sniff(ByteView data) const override {
    if (!zip::HasZipMagic(data)) return SniffResult::kNo;
    Limits limits;
    std::vector<Fact> scratch;
    AnalysisContext probe(limits, scratch);
    bool config = false, metadata = false;
    for (const auto& e : zip::Parse(data, probe).entries) {
      config |= e.name == "config.json";
      metadata |= e.name == "metadata.json";
    }
    return config && metadata ? SniffResult::kStrong : SniffResult::kNo;
  }

  void Analyze(ByteView data, AnalysisContext& ctx) const override {
    zip::AnalyzeMembers(data, ctx, [&](const zip::Entry& e) {
      if (e.name != "config.json") return zip::MemberAction::kAnalyze;
      std::vector<uint8_t> storage;
      auto bytes = zip::Extract(data, e, ctx, storage, /*verify_crc=*/false);
      if (!bytes) return zip::MemberAction::kSkip;
      auto doc = config::ParseJsonGuarded({reinterpret_cast<const char*>(bytes->data()), bytes->size()});
      if (!doc) {
        ctx.Emit(fact::kParseError, e.local_header_offset, "config.json", "keras config.json is not valid JSON: " + doc.error().message);
      } else {
        keras::CheckConfig(*doc, e.local_header_offset, ctx);
      }
      return zip::MemberAction::kSkip;
    });
  }
};

}  // namespace

std::unique_ptr<FormatAnalyzer> MakeKerasAnalyzer() { return std::make_unique<KerasAnalyzer>(); }

}  // namespace modelguard::formats
