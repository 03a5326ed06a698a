#include "modelguard/guard/guard.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <utility>

#include "modelguard/core/hash.h"
#include "modelguard/core/io.h"
#include "modelguard/core/json_fields.h"
#include "src/guard/classifier/classifier.h"
#include "src/guard/detector.h"
#include "src/guard/normalize/normalize.h"
#include "src/guard/second_stage/second_stage.h"

namespace modelguard::guard {
namespace {

constexpr uint64_t kMaxSecondStageBytes = 64 << 20;  // the shipped model is about 130 KiB

Verdict Max(Verdict a, Verdict b) { return static_cast<int>(a) >= static_cast<int>(b) ? a : b; }

// Cuts at a UTF-8 character boundary at or before `limit`.
size_t Utf8Cut(std::string_view text, size_t limit) {
  if (text.size() <= limit) return text.size();
  size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return cut;
}

}  // namespace

struct Guard::Slot {
  DetectorInfo info;
  std::function<bool(const GuardOptions&)> enabled;
  std::unique_ptr<const Detector> detector;
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

Result<Oversize> ParseOversize(std::string_view name) {
  if (name == "block") return Oversize::kBlock;
  if (name == "flag") return Oversize::kFlag;
  if (name == "allow") return Oversize::kAllow;
  return MakeError(ErrorCode::kInvalidArgument,
                   "unknown oversize action '" + std::string(name) + "' (block, flag, allow)");
}

const char* ToString(Oversize oversize) {
  switch (oversize) {
    case Oversize::kBlock:
      return "block";
    case Oversize::kFlag:
      return "flag";
    case Oversize::kAllow:
      return "allow";
  }
  return "block";
}

std::map<std::string, Verdict> DefaultCategoryActions() { return {{"harmful_request", Verdict::kFlag}}; }

std::vector<std::string> KnownCategories() {
  std::vector<std::string> out = {"oversize"};
  for (const auto& info : ListDetectors()) out.insert(out.end(), info.categories.begin(), info.categories.end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Status ParseCategoryAction(std::string_view spec, std::map<std::string, Verdict>& actions) {
  const size_t equals = spec.find('=');
  if (equals == std::string_view::npos)
    return MakeError(ErrorCode::kInvalidArgument, "expected CATEGORY=ACTION, got '" + std::string(spec) + "'");
  const std::string category(spec.substr(0, equals));
  const std::string_view action = spec.substr(equals + 1);
  const auto known = KnownCategories();
  if (std::find(known.begin(), known.end(), category) == known.end()) {
    std::string list;
    for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
    return MakeError(ErrorCode::kInvalidArgument, "unknown category '" + category + "' (" + list + ")");
  }
  if (action == "block")
    actions[category] = Verdict::kBlock;
  else if (action == "flag")
    actions[category] = Verdict::kFlag;
  else if (action == "allow")
    actions[category] = Verdict::kAllow;
  else
    return MakeError(ErrorCode::kInvalidArgument,
                     "unknown action '" + std::string(action) + "' for " + category + " (block, flag, allow)");
  return Ok{};
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
  nlohmann::ordered_json out = {{"score", std::round(a.score * 10000) / 10000}};
  out["scores"] = nlohmann::ordered_json::object();
  for (const auto& [category, score] : a.scores) out["scores"][category] = std::round(score * 10000) / 10000;
  out["verdict"] = ToString(a.verdict);
  out["detections"] = nlohmann::ordered_json::array();
  for (const auto& d : a.detections) out["detections"].push_back(ToJson(d));
  if (a.truncated) out["truncated"] = true;
  return out;
}

Guard::Guard() = default;
Guard::~Guard() = default;

Result<std::shared_ptr<const Guard>> Guard::Create(const GuardOptions& options) {
  return Create(options, BuiltinDetectors());
}

Result<std::shared_ptr<const Guard>> Guard::Create(const GuardOptions& options,
                                                   const std::vector<DetectorEntry>& detectors) {
  std::shared_ptr<Guard> guard(new Guard());
  guard->options_ = options;
  MG_ASSIGN_OR_RETURN(guard->model_, options.model_path.empty() ? InjectionModel::Builtin()
                                                                : InjectionModel::LoadFile(options.model_path));
  // Shipped per-role thresholds, then the caller's overrides.
  // A model file is input like any other: a threshold of the wrong type is an error naming its path, where
  // value() would throw (and abort whatever loads the guard).
  const std::string model_name = options.model_path.empty() ? "the built-in model" : options.model_path;
  MG_ASSIGN_OR_RETURN_CONTEXT(const JsonField shipped, JsonField(guard->model_->metadata()).ObjectOr("thresholds"),
                              model_name + ": metadata: ");
  for (Role role : {Role::kUser, Role::kSystem, Role::kAssistant, Role::kTool, Role::kDocument}) {
    Thresholds t;
    MG_ASSIGN_OR_RETURN_CONTEXT(const auto entry, shipped.Find(ToString(role)), model_name + ": metadata: ");
    if (entry) {
      MG_ASSIGN_OR_RETURN_CONTEXT(const JsonField object, entry->Object(), model_name + ": metadata: ");
      for (auto [key, value] : {std::pair{"flag", &t.flag}, std::pair{"block", &t.block}}) {
        MG_ASSIGN_OR_RETURN_CONTEXT(const auto field, object.Find(key), model_name + ": metadata: ");
        if (!field) continue;
        if (!field->json().is_number()) return WithContext(field->TypeError("number"), model_name + ": metadata: ");
        *value = field->json().get<double>();
      }
    }
    guard->thresholds_[role] = t;
  }
  for (const auto& [role, t] : options.thresholds) guard->thresholds_[role] = t;
  if (options.second_stage && !options.second_stage_path.empty()) {
    MG_ASSIGN_OR_RETURN(const std::string text, ReadFile(options.second_stage_path, kMaxSecondStageBytes));
    MG_ASSIGN_OR_RETURN(guard->second_stage_, SecondStage::Parse(text, options.second_stage_path));
  } else if (options.second_stage && options.model_path.empty()) {
    MG_ASSIGN_OR_RETURN(guard->second_stage_, SecondStage::Builtin());
  }

  // Every detector is built whatever the switches say: a broken signature file is an error even while
  // signatures are off, and FindEntities may be asked for PII that Classify does not report.
  const DetectorContext context{options, guard->model_};
  for (const auto& entry : detectors) {
    MG_ASSIGN_OR_RETURN(auto detector, entry.create(context));
    guard->detectors_.push_back(Slot{entry.info, entry.enabled, std::move(detector)});
  }
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

void Guard::AddSecondStage(Assessment& result, std::string_view input, size_t examined, Role role) const {
  const double probability = second_stage_->Score(result, input, role);
  if (probability <= second_stage_->Threshold(role)) return;
  // Reported under the attack category the first stage scored highest, so a category policy applies to it.
  Detection flag;
  flag.detector = "second_stage";
  flag.rule_id = "guard.second_stage";
  flag.category = "injection";
  double strongest = -1;
  for (const char* category : {"injection", "jailbreak", "prompt_extraction"}) {
    auto score = result.scores.find(category);
    if (score != result.scores.end() && score->second > strongest) {
      strongest = score->second;
      flag.category = category;
    }
  }
  flag.action = Verdict::kFlag;
  if (auto limit = options_.category_actions.find(flag.category); limit != options_.category_actions.end())
    flag.action = static_cast<int>(limit->second) < static_cast<int>(flag.action) ? limit->second : flag.action;
  flag.confidence = probability;
  flag.begin = 0;
  flag.end = examined;
  flag.view = "text";
  result.verdict = Max(result.verdict, flag.action);
  result.detections.push_back(std::move(flag));
}

Thresholds Guard::ThresholdsFor(Role role) const { return thresholds_.at(role); }
const nlohmann::json& Guard::model_metadata() const { return model_->metadata(); }

SystemPrompt::SystemPrompt(std::string_view text, size_t max_bytes)
    : text_(text.substr(0, Utf8Cut(text, max_bytes))), folded_(text_.empty() ? std::string() : Fold(text_)) {}

Assessment Guard::Classify(std::string_view input, Role role, std::string_view system_prompt) const {
  if (system_prompt.empty()) return Classify(input, role, nullptr);
  const SystemPrompt prepared(system_prompt, options_.max_input_bytes);
  return Classify(input, role, &prepared);
}

Assessment Guard::Classify(std::string_view input, Role role, const SystemPrompt* system_prompt) const {
  Assessment result;
  const size_t cut = Utf8Cut(input, options_.max_input_bytes);
  result.truncated = cut < input.size();
  const std::string_view text = input.substr(0, cut);
  const NormalizedText normalized = Normalize(text);
  const DetectorInput detector_input{text,
                                     normalized,
                                     role,
                                     ThresholdsFor(role),
                                     system_prompt ? system_prompt->text() : std::string_view(),
                                     system_prompt ? system_prompt->folded() : std::string_view()};
  // The system prompt is the operator's own text: detections there are reported, never blocked.
  const Verdict ceiling = role == Role::kSystem ? Verdict::kFlag : Verdict::kBlock;
  for (const auto& slot : detectors_) {
    if (slot.info.entities || !slot.enabled(options_)) continue;
    DetectorOutput out;
    slot.detector->Examine(detector_input, out);
    result.score = std::max(result.score, out.score);
    for (const auto& [category, score] : out.scores) result.scores[category] = std::max(result.scores[category], score);
    for (auto& detection : out.detections) {
      if (static_cast<int>(detection.action) > static_cast<int>(ceiling)) detection.action = ceiling;
      result.detections.push_back(std::move(detection));
    }
  }
  for (auto& entity : FindEntities(text, options_.pii, options_.secrets))
    result.detections.push_back(std::move(entity));
  // The category policy: what each category may do, whichever detector found it. A category's score is
  // at least its strongest detection's confidence.
  for (auto& detection : result.detections) {
    if (auto limit = options_.category_actions.find(detection.category); limit != options_.category_actions.end()) {
      if (static_cast<int>(detection.action) > static_cast<int>(limit->second)) detection.action = limit->second;
    }
    result.scores[detection.category] = std::max(result.scores[detection.category], detection.confidence);
  }
  // The unexamined tail could hold anything: say so with a verdict, unless the caller accepts the head alone.
  // Not capped by the system-role ceiling: the ceiling trusts the operator's words, and these were not read.
  if (result.truncated && options_.on_oversize != Oversize::kAllow) {
    Detection oversize;
    oversize.detector = "guard";
    oversize.rule_id = "guard.oversize";
    oversize.category = "oversize";
    oversize.action = options_.on_oversize == Oversize::kBlock ? Verdict::kBlock : Verdict::kFlag;
    oversize.confidence = 1;
    oversize.begin = cut;
    oversize.end = input.size();
    oversize.view = "text";
    result.detections.push_back(std::move(oversize));
  }

  for (const auto& detection : result.detections) result.verdict = Max(result.verdict, detection.action);
  if (second_stage_ && second_stage_->Reconsiders(result, role)) AddSecondStage(result, input, text.size(), role);
  std::stable_sort(result.detections.begin(), result.detections.end(),
                   [](const Detection& a, const Detection& b) { return a.begin < b.begin; });
  return result;
}

std::vector<Detection> Guard::FindEntities(std::string_view input, bool pii, bool secrets, bool* incomplete) const {
  std::vector<Detection> found;
  const std::string_view text = input.substr(0, Utf8Cut(input, options_.max_input_bytes));
  bool truncated = text.size() < input.size();
  auto has = [](const DetectorInfo& info, const char* category) {
    return std::find(info.categories.begin(), info.categories.end(), category) != info.categories.end();
  };
  for (const auto& slot : detectors_) {
    if (!slot.info.entities) continue;
    // The caller's pii/secrets choice selects entity detectors by category; others follow their switch.
    const bool wanted = has(slot.info, "pii") ? pii : has(slot.info, "secret") ? secrets : slot.enabled(options_);
    if (!wanted) continue;
    bool scan_truncated = false;
    for (auto& entity : slot.detector->FindEntities(text, options_.min_entity_confidence, &scan_truncated)) {
      if (Allowed(entity.entity, text.substr(entity.begin, entity.end - entity.begin))) continue;
      found.push_back(std::move(entity));
    }
    truncated = truncated || scan_truncated;
  }
  if (incomplete) *incomplete = truncated;
  // Where two detectors matched the same bytes the earlier in the list wins: a credential over PII (a token
  // that happens to pass Luhn).
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
