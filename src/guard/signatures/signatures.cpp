// The signature detector: the rules of policies/guard-signatures.json (or the file the options name), all
// patterns in one vectorscan database, matched against the folded text and every decoded view.
#include <algorithm>
#include <fstream>
#include <sstream>

#include "src/guard/detector.h"
#include "src/guard/patterns/pattern_set.h"

namespace modelguard::guard {
namespace {

constexpr const char* kBuiltinSignatures =
#include "guard_signatures.inc"
    ;

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
      std::ifstream in(options.signatures_path);
      if (!in) return MakeError(ErrorCode::kIo, "cannot open signatures file " + options.signatures_path);
      std::stringstream buffer;
      buffer << in.rdbuf();
      signatures_text = buffer.str();
      signatures_name = options.signatures_path;
    }
    const auto rules = nlohmann::json::parse(signatures_text, nullptr, false);
    if (!rules.is_object() || !rules.contains("rules") || !rules["rules"].is_array()) {
      return MakeError(ErrorCode::kParse, signatures_name + ": expected a JSON object with a \"rules\" array");
    }
    std::vector<PatternSpec> specs;
    for (size_t i = 0; i < rules["rules"].size(); ++i) {
      const auto& rule = rules["rules"][i];
      const std::string where = signatures_name + ": rules[" + std::to_string(i) + "]";
      if (!rule.is_object() || !rule.contains("id") || !rule["id"].is_string() || !rule.contains("patterns") ||
          !rule["patterns"].is_array()) {
        return MakeError(ErrorCode::kParse, where + ": needs a string \"id\" and a \"patterns\" array");
      }
      for (const char* key : {"severity", "category"}) {
        if (rule.contains(key) && !rule[key].is_string())
          return MakeError(ErrorCode::kParse, where + ": \"" + key + "\" must be a string");
      }
      auto action = ParseSeverity(rule.value("severity", std::string("medium")));
      if (!action) return MakeError(ErrorCode::kParse, where + ": " + action.error().message);
      for (const auto& pattern : rule["patterns"]) {
        if (!pattern.is_string()) return MakeError(ErrorCode::kParse, where + ": patterns must be strings");
        specs.push_back(PatternSpec{pattern.get<std::string>(), false});
        detector->rules_.push_back(
            SignatureRule{rule["id"].get<std::string>(), rule.value("category", std::string("injection")), *action});
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
      "known attack phrasings (instruction override in eleven languages, personas, prompt extraction, "
      "exfiltration, tool abuse, indirect-injection markers), matched on the folded text and every decoded view";
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
