// skops (.skops): a zip whose schema.json describes every object skops.io.load reconstructs:
// {"__class__", "__module__", "__loader__", "content"}; FunctionNode content names {"module_path",
// "function"}. Loading imports each module and class, so each becomes a "skops.import" fact for the
// import policy (skops' own trusted-types list plays the same role).
#include <set>

#include "src/formats/registry_entries.h"
#include "src/formats/zip/json_member.h"

namespace modelguard::formats::fact {
inline constexpr FactKind kSkopsImport{"skops.import"};
}  // namespace modelguard::formats::fact

namespace modelguard::formats {
namespace {

constexpr int kMaxDepth = 200;

void Walk(const nlohmann::json& j, uint64_t offset, AnalysisContext& ctx, std::set<std::string>& seen, int depth) {
  if (depth > kMaxDepth) return;
  if (j.is_array()) {
    for (const auto& item : j) Walk(item, offset, ctx, seen, depth + 1);
    return;
  }
  if (!j.is_object()) return;
  auto emit = [&](const std::string& module, const std::string& name, const char* how) {
    if (!module.empty() && !name.empty() && seen.insert(module + "." + name).second) {
      ctx.Emit(fact::kSkopsImport, offset, module, std::string("skops.io.load ") + how + " " + module + "." + name,
               name);
    }
  };
  const auto str = [&](const nlohmann::json& o, const char* key) -> std::string {
    auto it = o.find(key);
    return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  emit(str(j, "__module__"), str(j, "__class__"), "imports");
  if (str(j, "__loader__") == "FunctionNode" && j.contains("content") && j["content"].is_object()) {
    emit(str(j["content"], "module_path"), str(j["content"], "function"), "imports and returns");
  }
  for (const auto& [key, value] : j.items()) {
    if (value.is_structured()) Walk(value, offset, ctx, seen, depth + 1);
  }
}

class SkopsAnalyzer final : public FormatAnalyzer {
 public:
  const FormatDescriptor& descriptor() const override {
    static const FormatDescriptor d{
        .name = "skops",
        .summary =
            "skops archive of a scikit-learn model: `schema.json` nodes (`__module__`/`__class__`, `FunctionNode`) "
            "through the import policy",
        .detection_rank = 30,
        .extensions = {".skops"},
        .family = FormatFamily::kZip,
        .polyglot_probe = false,
        .carries_weights = true,
        .libraries = {"sklearn", "scikit-learn"},
        .facts = {fact::kSkopsImport},
    };
    return d;
  }
  SniffResult Sniff(ByteView data) const override {
    return zip::HasMembers(data, {"schema.json"}) ? SniffResult::kStrong : SniffResult::kNo;
  }
  void Analyze(ByteView data, AnalysisContext& ctx) const override {
    zip::AnalyzeWithJsonMember(data, ctx, "schema.json", [&](const nlohmann::json& schema, uint64_t offset) {
      std::set<std::string> seen;
      Walk(schema, offset, ctx, seen, 0);
    });
  }
};

}  // namespace

MODELGUARD_REGISTER_FORMAT(skops, SkopsAnalyzer)

}  // namespace modelguard::formats
