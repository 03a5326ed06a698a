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

// Where a file cut inside a tag has its last "{{" or "{%": the tag is never closed, nothing after it starts
// a new line and what follows it is code (a template truncated mid-expression; a stray "{{" in prose or
// code is followed by more lines or by plain words). npos otherwise.
size_t CutInsideTag(std::string_view s) {
  size_t pos = 0;
  while (true) {
    const size_t expr = s.find("{{", pos), stmt = s.find("{%", pos);
    const size_t at = std::min(expr, stmt);
    if (at == std::string_view::npos) return std::string_view::npos;
    const size_t end = s.find(at == expr ? "}}" : "%}", at + 2);
    if (end == std::string_view::npos) {
      const size_t newline = s.find('\n', at);
      const bool last_line =
          newline == std::string_view::npos || s.find_first_not_of(" \t\r\n", newline) == std::string_view::npos;
      // Code, not a stray brace: an expression that subscripts, calls, filters or walks attributes.
      const std::string_view code = s.substr(at + 2);
      return last_line && code.find_first_of("[(|.") != std::string_view::npos ? at : std::string_view::npos;
    }
    pos = end + 2;
  }
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
    if (HasTag(head)) return SniffResult::kWeak;
    // A template cut inside its first tag is still a template (a broken one: Analyze says so).
    return d.size() <= kSniffBytes && CutInsideTag(head) != std::string_view::npos ? SniffResult::kWeak
                                                                                   : SniffResult::kNo;
  }

  void Analyze(ByteView d, AnalysisContext& ctx) const override {
    // The checker reads an unclosed tag's code to the end, so a payload in a truncated tag is still found.
    for (const auto& issue : gguf::CheckTemplate(AsText(d)))
      ctx.Emit(fact::kJinjaTemplateInjection, 0, "template", issue);
    if (const size_t at = CutInsideTag(AsText(d)); at != std::string_view::npos) {
      ctx.Emit(fact::kParseError, at, "jinja",
               "template ends inside the tag opened at offset " + std::to_string(at) +
                   " (truncated?); Jinja refuses to load it");
    }
  }
};

}  // namespace

MODELGUARD_REGISTER_FORMAT(jinja, JinjaAnalyzer)

}  // namespace modelguard::formats
