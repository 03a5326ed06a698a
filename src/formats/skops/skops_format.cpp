// skops (.skops): a zip whose schema.json describes every object skops.io.load reconstructs:
// {"__class__", "__module__", "__loader__", "content"}; FunctionNode content names {"module_path",
// "function"}. Loading imports each module and class, so each becomes a "skops.import" fact for the
// import policy (skops' own trusted-types list plays the same role).
#include <set>

#include "src/formats/config/json_guard.h"
#include "src/formats/registry_entries.h"
#include "src/formats/zip/zip_reader.h"

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
      ctx.Emit("skops.import", offset, module, std::string("skops.io.load ") + how + " " + module + "." + name, name);
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
  std::string_view name() const override { return "skops"; }
  SniffResult Sniff(ByteView data) const override {
    if (!zip::HasZipMagic(data)) return SniffResult::kNo;
    Limits limits;
    std::vector<Fact> scratch;
    AnalysisContext probe(limits, scratch);
    for (const auto& e : zip::Parse(data, probe).entries) {
      if (e.name == "schema.json") return SniffResult::kStrong;
    }
    return SniffResult::kNo;
  }
  void Analyze(ByteView data, AnalysisContext& ctx) const override {
    zip::AnalyzeMembers(data, ctx, [&](const zip::Entry& e) {
      if (e.name != "schema.json") return zip::MemberAction::kAnalyze;
      std::vector<uint8_t> storage;
      auto bytes = zip::Extract(data, e, ctx, storage, /*verify_crc=*/false);
      if (!bytes) return zip::MemberAction::kSkip;
      auto doc = config::ParseJsonGuarded({reinterpret_cast<const char*>(bytes->data()), bytes->size()});
      if (!doc) {
        ctx.Emit(fact::kParseError, e.local_header_offset, "schema.json", "skops schema.json is not valid JSON: " + doc.error().message);
      } else {
        std::set<std::string> seen;
        Walk(*doc, e.local_header_offset, ctx, seen, 0);
      }
      return zip::MemberAction::kSkip;
    });
  }
};

}  // namespace

std::unique_ptr<FormatAnalyzer> MakeSkopsAnalyzer() { return std::make_unique<SkopsAnalyzer>(); }

}  // namespace modelguard::formats
