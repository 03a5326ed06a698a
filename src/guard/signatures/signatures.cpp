// The signature detector: the rules of policies/guard-signatures.json (or the file the options name), all
// patterns in one vectorscan database, matched against the folded text and every decoded view.
#include <algorithm>

#include "modelguard/core/io.h"
#include "modelguard/core/json_fields.h"
#include "src/guard/detector.h"
#include "modelguard/guard/pattern_set.h"

namespace modelguard::guard {
namespace {

constexpr uint64_t kMaxSignaturesBytes = 16 << 20;  // the shipped set is a few KiB

// The embedded file is one string literal longer than the 64 KiB the standard asks compilers to support;
// GCC and clang both take it (clang warns under -Wpedantic).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverlength-strings"
constexpr const char* kBuiltinSignatures =
#include "guard_signatures.inc"
    ;
#pragma GCC diagnostic pop

Result<Verdict> ParseSeverity(const std::string& severity) {
  if (severity == "high") return Verdict::kBlock;
  if (severity == "medium") return Verdict::kFlag;
  if (severity == "low") return Verdict::kAllow;
  return MakeError(ErrorCode::kParse, "severity must be high, medium or low, not '" + severity + "'");
}

struct SignatureRule {
  std::string id;
  std::string category;
  Verdict action = Verdict::kFlag;
};

class SignatureDetector final : public Detector {
 public:
  static Result<std::unique_ptr<const Detector>> Create(const GuardOptions& options) {
    auto detector = std::make_unique<SignatureDetector>();
    std::string signatures_text = kBuiltinSignatures;
    std::string signatures_name = "built-in signatures";
    if (!options.signatures_path.empty()) {
      // Capped like every document read; a directory or unreadable path is an error naming it.
      auto text = ReadFile(options.signatures_path, kMaxSignaturesBytes);
      if (!text) return MakeError(text.error().code, "signatures file: " + text.error().message);
      signatures_text = std::move(*text);
      signatures_name = options.signatures_path;
    }
    const auto rules = nlohmann::json::parse(signatures_text, nullptr, false);
    if (rules.is_discarded()) return MakeError(ErrorCode::kParse, signatures_name + ": not valid JSON");
    // Every field is read through JsonField: a wrong type is an error naming its path
    // ("rules[3].patterns[1]: expected string, got number").
    const std::string context = signatures_name + ": ";
    MG_ASSIGN_OR_RETURN_CONTEXT(const JsonField root, JsonField(rules).Object(), context);
    MG_ASSIGN_OR_RETURN_CONTEXT(const JsonField list, root.At("rules"), context);
    MG_ASSIGN_OR_RETURN_CONTEXT(const auto entries, list.Elements(), context);
    std::vector<PatternSpec> specs;
    for (const JsonField& entry : entries) {
      MG_ASSIGN_OR_RETURN_CONTEXT(const JsonField rule, entry.Object(), context);
      MG_ASSIGN_OR_RETURN_CONTEXT(const JsonField id_field, rule.At("id"), context);
      MG_ASSIGN_OR_RETURN_CONTEXT(const std::string id, id_field.String(), context);
      MG_ASSIGN_OR_RETURN_CONTEXT(const JsonField patterns_field, rule.At("patterns"), context);
      MG_ASSIGN_OR_RETURN_CONTEXT(const auto patterns, patterns_field.Elements(), context);
      MG_ASSIGN_OR_RETURN_CONTEXT(const std::string severity, rule.StringOr("severity", "medium"), context);
      MG_ASSIGN_OR_RETURN_CONTEXT(const std::string category, rule.StringOr("category", "injection"), context);
      auto action = ParseSeverity(severity);
      if (!action) return MakeError(ErrorCode::kParse, context + rule.path() + ".severity: " + action.error().message);
      for (const JsonField& pattern : patterns) {
        MG_ASSIGN_OR_RETURN_CONTEXT(std::string text, pattern.String(), context);
        specs.push_back(PatternSpec{std::move(text), false});
        detector->rules_.push_back(SignatureRule{id, category, *action});
      }
    }
    if (!specs.empty()) {
      auto compiled = PatternSet::Compile(specs, true, false);  // signature spans are reported, never cut out
      if (!compiled) return MakeError(ErrorCode::kParse, signatures_name + ": " + compiled.error().message);
      detector->patterns_ = *compiled;
    }
    return std::unique_ptr<const Detector>(std::move(detector));
  }

  void Examine(const DetectorInput& input, DetectorOutput& out) const override {
    if (!patterns_) return;
    const NormalizedText& normalized = input.normalized;
    Scan(normalized.folded, "text", out, [&](size_t begin, size_t end) { return normalized.SourceRange(begin, end); });
    for (const auto& view : normalized.decoded) {
      // A decoded view's hits cover the bytes the view was decoded from.
      Scan(view.text, view.kind, out, [&](size_t, size_t) {
        return std::pair<size_t, size_t>{view.source_begin, view.source_end};
      });
    }
  }

 private:
  template <typename Span>
  void Scan(std::string_view folded, const std::string& view, DetectorOutput& out, const Span& span) const {
    for (const auto& match : patterns_->Scan(folded)) {
      const SignatureRule& rule = rules_[match.pattern];
      const auto [begin, end] = span(match.begin, match.end);
      const double confidence = rule.action == Verdict::kBlock ? 0.99 : 0.75;
      out.detections.push_back(
          Detection{"signature", rule.id, rule.category, "", rule.action, confidence, begin, end, view});
      out.score = std::max(out.score, rule.action == Verdict::kBlock  ? 0.99
                                      : rule.action == Verdict::kFlag ? 0.75
                                                                      : 0.0);
    }
  }

  std::vector<SignatureRule> rules_;  // one per pattern
  std::shared_ptr<const PatternSet> patterns_;
};

}  // namespace

DetectorEntry SignatureDetectorEntry() {
  DetectorInfo info;
  info.name = "signature";
  info.folder = "signatures";
  info.summary =
      "known attack phrasings (instruction override, role change and prompt extraction in English and 21 other "
      "languages, personas, exfiltration, tool abuse, indirect-injection markers), matched on the folded text and "
      "every decoded view";
  // What the shipped rule file emits; a file given in the options brings its own ids.
  const auto builtin = nlohmann::json::parse(kBuiltinSignatures, nullptr, false);
  if (builtin.is_object() && builtin.contains("rules") && builtin["rules"].is_array()) {
    for (const auto& rule : builtin["rules"]) {
      if (!rule.is_object() || !rule.contains("id") || !rule["id"].is_string()) continue;
      const std::string category = rule.value("category", std::string("injection"));
      if (std::find(info.categories.begin(), info.categories.end(), category) == info.categories.end())
        info.categories.push_back(category);
      info.labels.push_back(rule["id"].get<std::string>());
    }
  }
  info.option = "signatures";
  return DetectorEntry{std::move(info), [](const GuardOptions& o) { return o.signatures; },
                       [](const DetectorContext& context) { return SignatureDetector::Create(context.options); }};
}

}  // namespace modelguard::guard
