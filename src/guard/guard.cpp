#include "modelguard/guard/guard.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "modelguard/core/hash.h"
#include "src/guard/classifier/classifier.h"
#include "src/guard/entities/entity_scanner.h"
#include "src/guard/normalize/normalize.h"
#include "src/guard/patterns/pattern_set.h"

namespace modelguard::guard {
namespace {

constexpr const char* kBuiltinSignatures =
#include "guard_signatures.inc"
    ;

constexpr size_t kMinWordsForModelBlock = 20;

size_t CountWords(std::string_view folded) {
  size_t words = 0;
  bool in_word = false;
  for (char c : folded) {
    const bool word_char = c != ' ';
    words += word_char && !in_word ? 1 : 0;
    in_word = word_char;
  }
  return words;
}

Verdict Max(Verdict a, Verdict b) { return static_cast<int>(a) >= static_cast<int>(b) ? a : b; }

Result<Verdict> ParseSeverity(const std::string& severity) {
  if (severity == "high") return Verdict::kBlock;
  if (severity == "medium") return Verdict::kFlag;
  if (severity == "low") return Verdict::kAllow;
  return MakeError(ErrorCode::kParse, "severity must be high, medium or low, not '" + severity + "'");
}

// Cuts at a UTF-8 character boundary at or before `limit`.
size_t Utf8Cut(std::string_view text, size_t limit) {
  if (text.size() <= limit) return text.size();
  size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return cut;
}

}  // namespace

struct Guard::SignatureRule {
  std::string id;
  std::string category;
  Verdict action = Verdict::kFlag;
};

Result<Role> ParseRole(std::string_view name) {
  if (name == "user") return Role::kUser;
  if (name == "system" || name == "developer") return Role::kSystem;
  if (name == "assistant") return Role::kAssistant;
  if (name == "tool" || name == "function") return Role::kTool;
  if (name == "document" || name == "retrieved") return Role::kDocument;
  return MakeError(ErrorCode::kInvalidArgument,
                   "unknown role '" + std::string(name) + "' (user, system, assistant, tool, document)");
}

const char* ToString(Role role) {
  switch (role) {
    case Role::kUser:
      return "user";
    case Role::kSystem:
      return "system";
    case Role::kAssistant:
      return "assistant";
    case Role::kTool:
      return "tool";
    case Role::kDocument:
      return "document";
  }
  return "user";
}

const char* ToString(Verdict verdict) {
  switch (verdict) {
    case Verdict::kAllow:
      return "allow";
    case Verdict::kFlag:
      return "flag";
    case Verdict::kBlock:
      return "block";
  }
  return "allow";
}

Result<RedactMode> ParseRedactMode(std::string_view name) {
  if (name == "mask") return RedactMode::kMask;
  if (name == "hash") return RedactMode::kHash;
  if (name == "vault") return RedactMode::kVault;
  return MakeError(ErrorCode::kInvalidArgument,
                   "unknown redaction mode '" + std::string(name) + "' (mask, hash, vault)");
}

std::string Vault::Placeholder(const std::string& entity, const std::string& original) {
  const std::string key = entity + '\0' + original;
  if (auto found = placeholders_.find(key); found != placeholders_.end()) return found->second;
  const std::string placeholder = "[" + entity + "_" + std::to_string(++counters_[entity]) + "]";
  placeholders_[key] = placeholder;
  originals_[placeholder] = original;
  return placeholder;
}

std::string Vault::Restore(std::string_view text) const {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (text[i] == '[') {
      const size_t close = text.find(']', i);
      if (close != std::string_view::npos && close - i < 64) {
        if (auto found = originals_.find(std::string(text.substr(i, close - i + 1))); found != originals_.end()) {
          out += found->second;
          i = close + 1;
          continue;
        }
      }
    }
    out.push_back(text[i++]);
  }
  return out;
}

nlohmann::ordered_json ToJson(const Detection& d) {
  nlohmann::ordered_json out = {{"detector", d.detector}, {"rule_id", d.rule_id}, {"category", d.category}};
  if (!d.entity.empty()) out["entity"] = d.entity;
  out["action"] = ToString(d.action);
  out["confidence"] = std::round(d.confidence * 1000) / 1000;
  out["span"] = {d.begin, d.end};
  out["view"] = d.view;
  return out;
}

nlohmann::ordered_json ToJson(const Assessment& a) {
  nlohmann::ordered_json out = {{"score", std::round(a.score * 10000) / 10000}, {"verdict", ToString(a.verdict)}};
  out["detections"] = nlohmann::ordered_json::array();
  for (const auto& d : a.detections) out["detections"].push_back(ToJson(d));
  if (a.truncated) out["truncated"] = true;
  return out;
}

Guard::Guard() = default;
Guard::~Guard() = default;

Result<std::shared_ptr<const Guard>> Guard::Create(const GuardOptions& options) {
  std::shared_ptr<Guard> guard(new Guard());
  guard->options_ = options;
  auto model = options.model_path.empty() ? InjectionModel::Builtin() : InjectionModel::LoadFile(options.model_path);
  if (!model) return model.error();
  guard->model_ = *model;
  // Shipped per-role thresholds, then the caller's overrides.
  const auto& shipped = guard->model_->metadata().value("thresholds", nlohmann::json::object());
  for (Role role : {Role::kUser, Role::kSystem, Role::kAssistant, Role::kTool, Role::kDocument}) {
    Thresholds t;
    if (auto entry = shipped.find(ToString(role)); entry != shipped.end() && entry->is_object()) {
      t.flag = entry->value("flag", t.flag);
      t.block = entry->value("block", t.block);
    }
    guard->thresholds_[role] = t;
  }
  for (const auto& [role, t] : options.thresholds) guard->thresholds_[role] = t;

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
    auto action = ParseSeverity(rule.value("severity", std::string("medium")));
    if (!action) return MakeError(ErrorCode::kParse, where + ": " + action.error().message);
    for (const auto& pattern : rule["patterns"]) {
      if (!pattern.is_string()) return MakeError(ErrorCode::kParse, where + ": patterns must be strings");
      specs.push_back(PatternSpec{pattern.get<std::string>(), false});
      guard->signature_rules_.push_back(
          SignatureRule{rule["id"].get<std::string>(), rule.value("category", std::string("injection")), *action});
    }
  }
  if (!specs.empty()) {
    auto compiled = PatternSet::Compile(specs, true, false);  // signature spans are reported, never cut out
    if (!compiled) return MakeError(ErrorCode::kParse, signatures_name + ": " + compiled.error().message);
    guard->signatures_ = *compiled;
  }
  auto pii = EntityScanner::Create(PiiRules());
  if (!pii) return MakeError(pii.error().code, "PII rules: " + pii.error().message);
  guard->pii_ = *pii;
  auto secrets = EntityScanner::Create(SecretRules());
  if (!secrets) return MakeError(secrets.error().code, "secret rules: " + secrets.error().message);
  guard->secrets_ = *secrets;
  return std::shared_ptr<const Guard>(std::move(guard));
}

bool Guard::Allowed(const std::string& entity, std::string_view value) const {
  if (options_.allowlist.empty()) return false;
  auto matches = [&](const char* key) {
    auto list = options_.allowlist.find(key);
    if (list == options_.allowlist.end()) return false;
    return std::any_of(list->second.begin(), list->second.end(), [&](const std::string& allowed) {
      return allowed.size() == value.size() &&
             std::equal(allowed.begin(), allowed.end(), value.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
             });
    });
  };
  return matches(entity.c_str()) || matches("*");
}

Thresholds Guard::ThresholdsFor(Role role) const { return thresholds_.at(role); }
const nlohmann::json& Guard::model_metadata() const { return model_->metadata(); }

Assessment Guard::Classify(std::string_view input, Role role) const {
  Assessment result;
  const size_t cut = Utf8Cut(input, options_.max_input_bytes);
  result.truncated = cut < input.size();
  const std::string_view text = input.substr(0, cut);
  const NormalizedText normalized = Normalize(text);
  const Thresholds thresholds = ThresholdsFor(role);
  // The system prompt is the operator's own text: detections there are reported, never blocked.
  const Verdict ceiling = role == Role::kSystem ? Verdict::kFlag : Verdict::kBlock;
  auto capped = [&](Verdict v) { return static_cast<int>(v) > static_cast<int>(ceiling) ? ceiling : v; };

  double model_score = 0;
  Detection model_hit;
  double signature_score = 0;
  auto examine = [&](std::string_view folded, const std::string& view, size_t view_begin, size_t view_end, bool main) {
    auto span = [&](size_t begin, size_t end) -> std::pair<size_t, size_t> {
      return main ? normalized.SourceRange(begin, end) : std::pair<size_t, size_t>{view_begin, view_end};
    };
    if (signatures_ && options_.signatures) {
      for (const auto& match : signatures_->Scan(folded)) {
        const SignatureRule& rule = signature_rules_[match.pattern];
        const auto [begin, end] = span(match.begin, match.end);
        result.detections.push_back(Detection{"signature", rule.id, rule.category, "", capped(rule.action),
                                              rule.action == Verdict::kBlock ? 0.99 : 0.75, begin, end, view});
        signature_score = std::max(signature_score, rule.action == Verdict::kBlock  ? 0.99
                                                    : rule.action == Verdict::kFlag ? 0.75
                                                                                    : 0.0);
      }
    }
    if (options_.injection) {
      const auto scored = model_->Score(folded);
      if (scored.score > model_score) {
        model_score = scored.score;
        const auto [begin, end] = span(scored.begin, scored.end);
        model_hit = Detection{
            "injection_model", "model.injection", "injection", "", Verdict::kAllow, scored.score, begin, end, view};
      }
    }
  };
  examine(normalized.folded, "text", 0, text.size(), true);
  for (const auto& view : normalized.decoded) examine(view.text, view.kind, view.source_begin, view.source_end, false);

  if (model_score >= thresholds.flag) {
    // A short text is too little evidence for the classifier alone to refuse it: one loaded word ("ignore",
    // an e-mail address) dominates a dozen words, and the attacks it learnt from are long (jailbreaks run to
    // hundreds of words). Short texts are flagged; blocking short attacks is the signatures' job.
    const bool enough_words = CountWords(normalized.folded) >= kMinWordsForModelBlock;
    model_hit.action = capped(model_score >= thresholds.block && enough_words ? Verdict::kBlock : Verdict::kFlag);
    result.detections.push_back(model_hit);
  }
  if (options_.hidden_text) {
    const auto& hidden = normalized.hidden;
    auto add_hidden = [&](const char* rule, size_t count, Verdict action) {
      if (count) {
        result.detections.push_back(Detection{"hidden_text", rule, "smuggling", "", capped(action), 0.9,
                                              hidden.first_offset, std::min(text.size(), hidden.first_offset + 4),
                                              "text"});
      }
    };
    add_hidden("hidden.tag_characters", hidden.tags, Verdict::kFlag);
    add_hidden("hidden.bidi_controls", hidden.bidi, Verdict::kFlag);
    // Single zero-width joiners are everyday emoji glue; runs of them hide text.
    add_hidden("hidden.zero_width", hidden.zero_width >= 3 ? hidden.zero_width : 0, Verdict::kFlag);
    add_hidden("hidden.invalid_utf8", hidden.invalid_utf8, Verdict::kFlag);
  }
  for (auto& entity : FindEntities(text, options_.pii, options_.secrets))
    result.detections.push_back(std::move(entity));

  result.score = std::max(model_score, signature_score);
  for (const auto& detection : result.detections) result.verdict = Max(result.verdict, detection.action);
  std::stable_sort(result.detections.begin(), result.detections.end(),
                   [](const Detection& a, const Detection& b) { return a.begin < b.begin; });
  return result;
}

std::vector<Detection> Guard::FindEntities(std::string_view input, bool pii, bool secrets, bool* incomplete) const {
  std::vector<Detection> found;
  const std::string_view text = input.substr(0, Utf8Cut(input, options_.max_input_bytes));
  bool truncated = text.size() < input.size();
  auto add = [&](const EntityScanner& scanner, const char* detector, Verdict action) {
    bool scan_truncated = false;
    const auto entities = scanner.Scan(text, options_.min_entity_confidence, &scan_truncated);
    truncated = truncated || scan_truncated;
    for (const auto& entity : entities) {
      if (Allowed(entity.rule->entity, text.substr(entity.begin, entity.end - entity.begin))) continue;
      found.push_back(Detection{detector, entity.rule->id, entity.rule->category, entity.rule->entity, action,
                                entity.confidence, entity.begin, entity.end, "text"});
    }
  };
  if (secrets) add(*secrets_, "secret", Verdict::kFlag);
  if (pii) add(*pii_, "pii", Verdict::kAllow);
  if (incomplete) *incomplete = truncated;
  // A credential wins over PII where both matched the same bytes (a token that happens to pass Luhn).
  std::vector<Detection> kept;
  for (auto& detection : found) {
    const bool overlaps = std::any_of(kept.begin(), kept.end(), [&](const Detection& k) {
      return detection.begin < k.end && k.begin < detection.end;
    });
    if (!overlaps) kept.push_back(std::move(detection));
  }
  std::sort(kept.begin(), kept.end(), [](const Detection& a, const Detection& b) { return a.begin < b.begin; });
  return kept;
}

Redaction Guard::Redact(std::string_view text, RedactMode mode, bool pii, bool secrets, Vault* vault) const {
  Redaction result;
  result.redacted = FindEntities(text, pii, secrets, &result.incomplete);
  size_t at = 0;
  for (const auto& detection : result.redacted) {
    result.text.append(text.substr(at, detection.begin - at));
    const std::string original(text.substr(detection.begin, detection.end - detection.begin));
    switch (mode) {
      case RedactMode::kMask:
        result.text += "[" + detection.entity + "]";
        break;
      case RedactMode::kHash:
        result.text += "[" + detection.entity + ":" + Sha256Hex(original).substr(0, 12) + "]";
        break;
      case RedactMode::kVault:
        result.text += vault ? vault->Placeholder(detection.entity, original) : "[" + detection.entity + "]";
        break;
    }
    at = detection.end;
  }
  result.text.append(text.substr(std::min(at, text.size())));
  return result;
}

}  // namespace modelguard::guard
