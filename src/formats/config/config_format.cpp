// Text configuration shipped next to weights: Hugging Face config.json / tokenizer_config.json and
// Hydra/NeMo YAML. Facts from transformers (auto_map + trust_remote_code imports the repository's own
// Python modules), tokenizers' chat_template (rendered by jinja2 in the server) and Hydra's instantiate
// (`_target_` names any importable callable; CVE-2025-23304 in NeMo).
#include <string>

#include "src/formats/config/json_guard.h"
#include "src/formats/gguf/template_check.h"
#include "src/formats/keras/keras_config.h"
#include "src/formats/registry_entries.h"

namespace modelguard::formats::fact {
inline constexpr FactKind kConfigRemoteCode{"config.remote-code"};
inline constexpr FactKind kConfigTemplateInjection{"config.template-injection"};
inline constexpr FactKind kHydraImport{"hydra.import"};
}  // namespace modelguard::formats::fact

namespace modelguard::formats {
namespace {

constexpr size_t kSniffBytes = 4096;
constexpr uint32_t kMaxDepth = 200;

bool IsText(ByteView d) {
  const size_t n = std::min(d.size(), kSniffBytes);
  for (size_t i = 0; i < n; ++i) {
    const uint8_t c = d[i];
    if (c == 0 || (c < 0x20 && c != '\n' && c != '\r' && c != '\t')) return false;
  }
  return n > 0;
}

std::string_view AsText(ByteView d) { return {reinterpret_cast<const char*>(d.data()), d.size()}; }

void EmitTarget(AnalysisContext& ctx, uint64_t offset, std::string target) {
  while (!target.empty() &&
         (target.back() == ' ' || target.back() == '\r' || target.back() == '\'' || target.back() == '"'))
    target.pop_back();
  while (!target.empty() && (target.front() == ' ' || target.front() == '\'' || target.front() == '"'))
    target.erase(0, 1);
  const auto dot = target.rfind('.');
  if (target.empty() || dot == std::string::npos) return;
  ctx.Emit(fact::kHydraImport, offset, target.substr(0, dot), "Hydra instantiate imports and calls " + target,
           target.substr(dot + 1));
}

void WalkJson(const nlohmann::json& j, AnalysisContext& ctx, uint32_t depth) {
  if (depth > kMaxDepth || !j.is_object()) {
    if (j.is_array() && depth <= kMaxDepth) {
      for (const auto& item : j) WalkJson(item, ctx, depth + 1);
    }
    return;
  }
  for (const auto& [key, value] : j.items()) {
    if (key == "_target_" && value.is_string()) EmitTarget(ctx, 0, value.get<std::string>());
    if (key == "auto_map" && value.is_object()) {
      std::string refs;
      for (const auto& [cls, ref] : value.items()) {
        const std::string r = ref.is_string() ? ref.get<std::string>() : ref.dump();
        refs += (refs.empty() ? "" : ", ") + cls + " -> " + r;
      }
      ctx.Emit(fact::kConfigRemoteCode, 0, "auto_map",
               "auto_map makes transformers import Python code shipped with the model "
               "when trust_remote_code=True: " +
                   refs.substr(0, 1000));
    }
    if (key == "chat_template" && value.is_string()) {
      for (const auto& issue : gguf::CheckTemplate(value.get<std::string>()))
        ctx.Emit(fact::kConfigTemplateInjection, 0, key, issue);
    }
    if (value.is_structured()) WalkJson(value, ctx, depth + 1);
  }
}

class ConfigAnalyzer final : public FormatAnalyzer {
 public:
  const FormatDescriptor& descriptor() const override {
    static const FormatDescriptor d{
        .name = "config",
        .summary =
            "JSON or YAML configuration: transformers `auto_map` remote code, chat templates, Hydra `_target_` imports",
        .detection_rank = 150,
        .extensions = {},
        .family = FormatFamily::kOwn,
        .polyglot_probe = false,
        .carries_weights = false,
        .libraries = {},
        .facts = {fact::kConfigRemoteCode, fact::kConfigTemplateInjection, fact::kHydraImport},
    };
    return d;
  }
  SniffResult Sniff(ByteView d) const override {
    if (!IsText(d)) return SniffResult::kNo;
    const std::string_view head = AsText(d.subspan(0, std::min(d.size(), kSniffBytes)));
    const size_t first = head.find_first_not_of(" \t\r\n");
    if (first != std::string_view::npos && head[first] == '{') return SniffResult::kWeak;
    return AsText(d).find("_target_") != std::string_view::npos ? SniffResult::kWeak : SniffResult::kNo;
  }

  void Analyze(ByteView d, AnalysisContext& ctx) const override {
    const std::string_view text = AsText(d);
    const size_t first = text.find_first_not_of(" \t\r\n");
    if (first != std::string_view::npos && text[first] == '{') {
      auto doc = config::ParseJsonGuarded(text);
      if (!doc) {
        ctx.Emit(fact::kParseError, 0, "json", "configuration is not valid JSON: " + doc.error().message);
        return;
      }
      WalkJson(*doc, ctx, 0);
      if (doc->is_object() && doc->contains("class_name") && doc->contains("config")) keras::CheckConfig(*doc, 0, ctx);
      return;
    }
    // YAML: Hydra targets are "_target_: dotted.path" lines (block or flow style).
    size_t pos = 0;
    while ((pos = text.find("_target_", pos)) != std::string_view::npos) {
      size_t colon = text.find(':', pos);
      const size_t eol = text.find_first_of("\n,}", pos);
      if (colon == std::string_view::npos || (eol != std::string_view::npos && colon > eol)) {
        pos += 8;
        continue;
      }
      const size_t end = text.find_first_of("\n,}#", colon + 1);
      EmitTarget(ctx, pos,
                 std::string(text.substr(colon + 1, (end == std::string_view::npos ? text.size() : end) - colon - 1)));
      pos = colon + 1;
    }
  }
};

}  // namespace

MODELGUARD_REGISTER_FORMAT(config, ConfigAnalyzer)

}  // namespace modelguard::formats
