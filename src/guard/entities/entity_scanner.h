#pragma once
// Finds typed entities (PII, credentials) in the caller's bytes: one vectorscan pass proposes candidates,
// a validator per rule (Luhn, mod-97, date and range checks, entropy, decoding) confirms them, and context
// words nearby raise the confidence. The rule tables live with their detector (src/guard/pii,
// src/guard/secrets); this is only the mechanism.
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "modelguard/core/result.h"
#include "modelguard/guard/guard.h"

namespace modelguard::guard {

class PatternSet;

struct EntityRule {
  std::string id;        // e.g. "pii.credit_card"
  std::string category;  // "pii" or "secret"
  std::string entity;    // placeholder label: "CREDIT_CARD"
  std::string pattern;   // vectorscan expression, bytes
  bool caseless = false;
  double confidence = 0.5;           // when validated and no context word is near
  double context_confidence = 0.9;   // when a context word is within kContextWindow bytes before it
  std::vector<std::string> context;  // lower-case words
  // Trims or rejects a candidate: returns false to drop it; may narrow [begin, end).
  std::function<bool(std::string_view text, size_t& begin, size_t& end)> validate;
  bool needs_context = false;   // only reported with a context word (bare 9-digit numbers as SSNs...)
  bool word_boundaries = true;  // the characters around the match must not be letters or digits
};

EntityRule MakeRule(std::string id, std::string category, std::string entity, std::string pattern, bool caseless,
                    double confidence, double context_confidence, std::vector<std::string> context,
                    std::function<bool(std::string_view, size_t&, size_t&)> validate);

struct Entity {
  const EntityRule* rule = nullptr;
  size_t begin = 0;
  size_t end = 0;
  double confidence = 0;
};

inline constexpr size_t kContextWindow = 48;

class EntityScanner {
 public:
  static Result<std::shared_ptr<const EntityScanner>> Create(std::vector<EntityRule> rules);
  // Non-overlapping: where candidates overlap, the more confident (then longer) one wins. `truncated` is
  // set when the text held more candidates than one scan keeps (kMaxMatchesPerScan): entities may be missing.
  std::vector<Entity> Scan(std::string_view text, double min_confidence, bool* truncated = nullptr) const;
  const std::vector<EntityRule>& rules() const { return rules_; }

 private:
  std::vector<EntityRule> rules_;
  std::shared_ptr<const PatternSet> patterns_;
};

// Shannon entropy in bits per character.
double ShannonEntropy(std::string_view s);

// The rule tables.
std::vector<EntityRule> PiiRules();
std::vector<EntityRule> SecretRules();

// A rule table as a guard detector (src/guard/detector.h) named `name`, each finding asking for `action`.
class Detector;
Result<std::unique_ptr<const Detector>> MakeEntityDetector(std::vector<EntityRule> rules, std::string name,
                                                           Verdict action);
// The distinct entity labels of a table, in table order (what the detector declares it emits).
std::vector<std::string> EntityLabels(const std::vector<EntityRule>& rules);

}  // namespace modelguard::guard
