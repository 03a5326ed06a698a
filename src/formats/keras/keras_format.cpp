// Keras v3 ".keras" archives: a zip with config.json (the model config), metadata.json (keras_version)
// and model.weights.h5. config.json is what keras.saving.load_model deserializes.
#include "src/formats/keras/keras_config.h"
#include "src/formats/registry_entries.h"
#include "src/formats/zip/json_member.h"

namespace modelguard::formats {
namespace {

class KerasAnalyzer final : public FormatAnalyzer {
 public:
  std::string_view name() const override { return "keras"; }
  SniffResult Sniff(ByteView data) const override {
    return zip::HasMembers(data, {"config.json", "metadata.json"}) ? SniffResult::kStrong : SniffResult::kNo;
  }
  void Analyze(ByteView data, AnalysisContext& ctx) const override {
    zip::AnalyzeWithJsonMember(data, ctx, "config.json", [&](const nlohmann::json& config, uint64_t offset) {
      keras::CheckConfig(config, offset, ctx);
    });
  }
};

}  // namespace

std::unique_ptr<FormatAnalyzer> MakeKerasAnalyzer() { return std::make_unique<KerasAnalyzer>(); }

}  // namespace modelguard::formats
