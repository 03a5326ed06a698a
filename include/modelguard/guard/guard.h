#pragma once
// The guard: decides, in microseconds, whether text going into or coming out of a model carries an
// injection or jailbreak, hidden text, personal data, credentials or a leaked system prompt. Detectors live
// in src/guard/<detector>/, are listed once (ListDetectors) and share one normalisation pass; this is their
// facade for the CLI and the gateway's filters.
#include <cstddef>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "modelguard/core/result.h"

namespace modelguard::guard {

class InjectionModel;
struct DetectorEntry;  // src/guard/detector.h: the extension point

enum class Role { kUser, kSystem, kAssistant, kTool, kDocument };
Result<Role> ParseRole(std::string_view name);  // also accepts OpenAI's "function" and "developer"
const char* ToString(Role role);

enum class Verdict { kAllow, kFlag, kBlock };
const char* ToString(Verdict verdict);

struct Detection {
  std::string detector;  // its DetectorInfo::name: "injection_model", "signature", "hidden_text", "pii", "secret"
  std::string rule_id;   // "injection.override.en", "pii.credit_card", ...
  std::string
      category;  // "injection", "jailbreak", "exfiltration", "tool_abuse", "prompt_leak", "smuggling", "pii", "secret"
  std::string entity;                // for pii/secret: the placeholder label ("EMAIL")
  Verdict action = Verdict::kAllow;  // what this detection alone asks for
  double confidence = 0;
  size_t begin = 0;  // byte span in the input
  size_t end = 0;
  std::string view;  // where it was seen: "text" or a decoded view ("base64", "rot13", "tags"...)
};

struct Assessment {
  double score = 0;  // likelihood of an attack on the model (injection, jailbreak, extraction), 0..1
  // Per category, 0..1, whether or not it crossed a threshold: the classifier's heads ("injection",
  // "jailbreak", "prompt_extraction", "harmful_request") and every detector that scores.
  std::map<std::string, double> scores;
  Verdict verdict = Verdict::kAllow;
  std::vector<Detection> detections;
  bool truncated = false;  // the input exceeded max_input_bytes and only its head was examined
};

// What Classify does with a text longer than max_input_bytes, of which only the head is examined: a
// `guard.oversize` detection that blocks or flags, or nothing (the caller chose to accept the head alone).
enum class Oversize { kBlock, kFlag, kAllow };
Result<Oversize> ParseOversize(std::string_view name);  // "block", "flag", "allow"
const char* ToString(Oversize oversize);

struct Thresholds {
  double flag = 0.5;
  double block = 0.9;
};

// {"harmful_request": flag}: the defaults of GuardOptions::category_actions.
std::map<std::string, Verdict> DefaultCategoryActions();
// "CATEGORY=ACTION" (the CLI's and the gateway's spelling) into `actions`; an error names what is wrong.
Status ParseCategoryAction(std::string_view spec, std::map<std::string, Verdict>& actions);
// The categories a policy may name: every detector's (ListDetectors) and the guard's own.
std::vector<std::string> KnownCategories();

struct GuardOptions {
  std::string model_path;       // empty: the model compiled into the binary
  std::string signatures_path;  // empty: the rule set compiled into the binary
  bool injection = true;        // the classifier
  bool signatures = true;
  bool hidden_text = true;
  bool adversarial_suffix = true;
  bool system_prompt = true;  // the system-prompt-aware detector (runs when Classify is given a system prompt)
  // The second stage (src/guard/second_stage/): trees that re-judge texts the first stage allows while
  // leaning towards attack, and may flag them. Trained on the built-in first stage's outputs, so with
  // another model_path it runs only when second_stage_path names a stage trained for that model.
  bool second_stage = true;
  std::string second_stage_path;  // empty: the one built into the binary
  bool pii = true;
  bool secrets = true;
  double min_entity_confidence = 0.5;
  // Values never reported or redacted, per entity ("EMAIL" -> {"support@acme.example"}); compared
  // case-insensitively. "*" applies to every entity.
  std::map<std::string, std::vector<std::string>> allowlist;
  std::map<Role, Thresholds> thresholds;  // overrides of the model's shipped per-role thresholds (every head)
  // The most each category's detections may do, whatever their detector asks: "block", "flag" or "allow"
  // (still reported, no effect). Categories not named here may block, except those of
  // DefaultCategoryActions(): a harmful request alone, with no attack on the model, is flagged.
  std::map<std::string, Verdict> category_actions = DefaultCategoryActions();
  size_t max_input_bytes = size_t{1} << 20;
  // Text past max_input_bytes is never examined, so it is never silently allowed either.
  Oversize on_oversize = Oversize::kBlock;
};

// What a detector declares about itself. Each detector is a folder under src/guard/ listed once in
// src/guard/detectors.cpp; the engine runs that list and everything that names detectors reads it.
struct DetectorInfo {
  std::string name;                     // the `detector` of its detections
  std::string folder;                   // src/guard/<folder>/
  std::string summary;                  // one line
  std::vector<std::string> categories;  // the `category` values it reports
  std::vector<std::string> labels;      // its rule ids, or the entity labels it finds
  std::string option;                   // the GuardOptions switch that turns it on
  bool entities = false;                // it finds spans that FindEntities and Redact return
};
// The built-in detectors, in the order they run.
std::vector<DetectorInfo> ListDetectors();

enum class RedactMode { kMask, kHash, kVault };
Result<RedactMode> ParseRedactMode(std::string_view name);

// Reversible redaction: placeholders handed out for one conversation and restored in the model's answer.
class Vault {
 public:
  std::string Placeholder(const std::string& entity, const std::string& original);
  std::string Restore(std::string_view text) const;
  size_t size() const { return originals_.size(); }
  const std::map<std::string, std::string>& entries() const { return originals_; }  // placeholder -> original

 private:
  std::map<std::string, std::string> originals_;     // placeholder -> original
  std::map<std::string, std::string> placeholders_;  // original -> placeholder
  std::map<std::string, int> counters_;
};

struct Redaction {
  std::string text;
  std::vector<Detection> redacted;
  bool incomplete = false;  // part of the input was not examined: callers must not pass `text` on as clean
};

// {"detector", "rule_id", "category", ["entity"], "action", "confidence", "span": [begin, end], "view"}
nlohmann::ordered_json ToJson(const Detection& detection);
// {"score", "scores": {category: score}, "verdict", "detections": [...], ["truncated"]}
nlohmann::ordered_json ToJson(const Assessment& assessment);

// A system prompt prepared once for every text judged against it: cut at `max_bytes` (at a character
// boundary) and folded once, not once per message.
class SystemPrompt {
 public:
  explicit SystemPrompt(std::string_view text, size_t max_bytes = size_t{1} << 20);
  std::string_view text() const { return text_; }
  std::string_view folded() const { return folded_; }

 private:
  std::string text_, folded_;
};

class SecondStage;

class Guard {
 public:
  static Result<std::shared_ptr<const Guard>> Create(const GuardOptions& options);
  // With another detector list than the built-in one (tests; src/guard/detector.h).
  static Result<std::shared_ptr<const Guard>> Create(const GuardOptions& options,
                                                     const std::vector<DetectorEntry>& detectors);
  ~Guard();

  // `system_prompt`: the operator's prompt the text answers to, when known; detectors that read it judge
  // the text against what it protects (src/guard/system_prompt/). Judging many texts against one prompt,
  // prepare it once (SystemPrompt) and pass that.
  Assessment Classify(std::string_view text, Role role, const SystemPrompt* system_prompt = nullptr) const;
  Assessment Classify(std::string_view text, Role role, std::string_view system_prompt) const;
  // PII and/or credentials only (no classifier), spans in `text`. `incomplete` is set when not all of the
  // text could be examined (longer than max_input_bytes, or more candidates than one scan keeps).
  std::vector<Detection> FindEntities(std::string_view text, bool pii, bool secrets, bool* incomplete = nullptr) const;
  // Replaces PII and/or credentials: kMask "[EMAIL]", kHash "[EMAIL:1a2b3c4d5e6f]" (SHA-256 prefix, stable
  // across requests so joins still work), kVault "[EMAIL_1]" remembered in `vault` for Restore.
  Redaction Redact(std::string_view text, RedactMode mode, bool pii, bool secrets, Vault* vault) const;

  Thresholds ThresholdsFor(Role role) const;
  const nlohmann::json& model_metadata() const;
  const InjectionModel& model() const { return *model_; }

 private:
  Guard();
  bool Allowed(const std::string& entity, std::string_view value) const;
  // The second stage's flag, when its trees judge the first stage's `result` of `input` an attack.
  void AddSecondStage(Assessment& result, std::string_view input, size_t examined, Role role) const;
  struct Slot;  // one built detector with its entry's description and switch
  GuardOptions options_;
  std::shared_ptr<const InjectionModel> model_;
  std::shared_ptr<const SecondStage> second_stage_;  // null when off
  std::vector<Slot> detectors_;  // in list order
  std::map<Role, Thresholds> thresholds_;
};

}  // namespace modelguard::guard
