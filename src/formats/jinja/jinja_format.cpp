// Standalone Jinja templates: chat templates shipped beside a model as chat_template.jinja (transformers
// writes that name since 4.43), *.j2 or *.template, which the inference server renders with jinja2 or
// minja. They go through the same template checker as GGUF's tokenizer.chat_template and
// tokenizer_config.json's chat_template; before this format existed they were misread as JSON.
#include <algorithm>
#include <string_view>

#include "src/formats/gguf/template_check.h"
#include "src/formats/registry_entries.h"

namespace modelguard::formats::fact {
inline constexpr FactKind kJinjaTemplateInjection{"jinja.template-injection"};
}  // namespace modelguard::formats::fact

namespace modelguard::formats {
namespace {

constexpr size_t kSniffBytes = 64 * 1024;

std::string_view AsText(ByteView d) { return {reinterpret_cast<const char*>(d.data()), d.size()}; }

// Text as a template file holds it: no NUL or control bytes other than tab, CR, LF (UTF-8 is fine).
bool IsText(std::string_view s) {
  return !s.empty() && std::none_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u == 0x7F || (u < 0x20 && c != '\n' && c != '\r' && c != '\t');
  });
}

// A tag that opens and is closed later: "{{ ... }}" or "{% ... %}".
bool HasTag(std::string_view s) {
  for (const auto& [open, close] : {std::pair<std::string_view, std::string_view>{"{{", "}}"}, {"{%", "%}"}}) {
    const size_t at = s.find(open);
    if (at != std::string_view::npos && s.find(close, at + 2) != std::string_view::npos) return true;
  }
  return false;
}

class JinjaAnalyzer final : public FormatAnalyzer {
 public:
  const FormatDescriptor& descriptor() const override {
    static const FormatDescriptor d{
        .name = "jinja",
        .summary =
            "Jinja template file (standalone chat template): code in `{{ }}` and `{% %}` through the "
            "template checker for server-side template injection",
        .detection_rank = 160,
        .extensions = {".j2", ".jinja", ".jinja2", ".template"},
        .family = FormatFamily::kOwn,
        .polyglot_probe = false,
        .carries_weights = false,
        .libraries = {},
        .facts = {fact::kJinjaTemplateInjection},
    };
    return d;
  }

  // Strong when the text opens with a tag ("{{", "{%", "{#"): no JSON document starts that way, so a
  // template beginning with a tag is never read as a configuration. Weak for text holding a complete tag
  // further in; a JSON config holding a chat_template string is also weak and ranks first.
  SniffResult Sniff(ByteView d) const override {
    const std::string_view head = AsText(d.subspan(0, std::min(d.size(), kSniffBytes)));
    if (!IsText(head)) return SniffResult::kNo;
    const size_t first = head.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return SniffResult::kNo;
    const std::string_view start = head.substr(first, 2);
    if (start == "{{" || start == "{%" || start == "{#") return SniffResult::kStrong;
    return HasTag(head) ? SniffResult::kWeak : SniffResult::kNo;
  }

  void Analyze(ByteView d, AnalysisContext& ctx) const override {
    for (const auto& issue : gguf::CheckTemplate(AsText(d)))
      ctx.Emit(fact::kJinjaTemplateInjection, 0, "template", issue);
  }
};

}  // namespace

MODELGUARD_REGISTER_FORMAT(jinja, JinjaAnalyzer)

}  // namespace modelguard::formats
