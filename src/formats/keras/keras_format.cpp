// Keras v3 ".keras" archives: a zip with config.json (the model config), metadata.json (keras_version)
// and model.weights.h5. config.json is what keras.saving.load_model deserializes.
#include "src/formats/keras/keras_config.h"
#include "src/formats/registry_entries.h"
#include "src/formats/zip/json_member.h"

namespace modelguard::formats {
namespace {

class KerasAnalyzer final : public FormatAnalyzer {
 public:
  const FormatDescriptor& descriptor() const override {
    static const FormatDescriptor d{
        .name = "keras",
        .summary =
            "Keras v3 archive: `config.json` Lambda layers, `TorchModuleWrapper`, `enable_unsafe_deserialization`, "
            "every `module`/`class_name`/`registered_name` through the import policy",
        .detection_rank = 20,
        .extensions = {".keras", ".zip"},
        .family = FormatFamily::kZip,
        .polyglot_probe = false,
        .carries_weights = true,
        .libraries = {"keras", "tf-keras"},
        .facts = {fact::kKerasImport, fact::kKerasLambda, fact::kKerasTorchModule, fact::kKerasUnsafeDeserialization},
    };
    return d;
  }
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

MODELGUARD_REGISTER_FORMAT(keras, KerasAnalyzer)

}  // namespace modelguard::formats
