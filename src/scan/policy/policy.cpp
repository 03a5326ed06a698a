#include "modelguard/scan/policy.h"

#include <fnmatch.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "modelguard/core/io.h"
#include "modelguard/core/json_fields.h"

namespace modelguard::scan {
namespace {

// An embedded file may grow past the 64 KiB string literal the standard asks compilers to support; GCC and
// clang both take longer ones (clang warns under -Wpedantic).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverlength-strings"
constexpr const char* kDefaultPolicyJson =
#include "default_policy.inc"
    ;
#pragma GCC diagnostic pop

using nlohmann::json;

constexpr uint64_t kMaxPolicyBytes = 16 << 20;  // a policy is a few KiB; this is room, not a target

std::vector<std::string_view> SplitDots(std::string_view s) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t dot = s.find('.', start);
    parts.push_back(s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return parts;
}

constexpr std::string_view kImportSuffix = ".import";

bool IsImportFact(std::string_view kind) {
  return kind.size() > kImportSuffix.size() && kind.substr(kind.size() - kImportSuffix.size()) == kImportSuffix;
}

constexpr std::string_view kOpSuffix = ".op";

bool IsOpFact(std::string_view kind) {
  return kind.size() > kOpSuffix.size() && kind.substr(kind.size() - kOpSuffix.size()) == kOpSuffix;
}

// "<format>.nested-payload": a constant holds a second file of the format, analysed as the member named by
// the fact's subject. The finding is as severe as the worst finding inside that member (a pickle carrying
// an os.system pickle is critical), never less than its own rule says.
constexpr std::string_view kNestedSuffix = ".nested-payload";

bool IsNestedFact(std::string_view kind) {
  return kind.size() > kNestedSuffix.size() && kind.substr(kind.size() - kNestedSuffix.size()) == kNestedSuffix;
}

bool Glob(const std::string& pattern, std::string_view text) {
  const std::string t(text);
  return fnmatch(pattern.c_str(), t.c_str(), 0) == 0;
}

}  // namespace

Result<Policy> Policy::Default() { return Parse(kDefaultPolicyJson, nullptr); }

Result<Policy> Policy::LoadWithOverrides(const std::string& path) {
  // Capped like every document a command reads; a directory or unreadable path is an error naming it.
  auto text = ReadFile(path, kMaxPolicyBytes);
  if (!text) return MakeError(text.error().code, "cannot read policy file: " + text.error().message);
  auto base = Default();
  if (!base) return base.error();
  auto policy = Parse(*text, &base.value());
  if (!policy) return MakeError(policy.error().code, "policy file '" + path + "': " + policy.error().message);
  return policy;
}

namespace {

// A member of an object as a field with its path ("rules.pickle.global.severity").
JsonField Member(const JsonField& object, const std::string& key, const json& value) {
  return JsonField(value, object.path().empty() ? key : object.path() + "." + key);
}

Result<std::vector<std::string>> Strings(const JsonField& parent, std::string_view key) {
  MG_ASSIGN_OR_RETURN(const auto elements, parent.ElementsOr(key));
  std::vector<std::string> out;
  for (const auto& element : elements) {
    MG_ASSIGN_OR_RETURN(auto text, element.String());
    out.push_back(std::move(text));
  }
  return out;
}

}  // namespace

// Every read goes through JsonField: a member of the wrong type is an error naming its path from the
// document's root ("rules.pickle.global.severity: expected string, got number"), never an exception.
Result<Policy> Policy::Parse(std::string_view text, const Policy* base) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    return MakeError(ErrorCode::kParse, std::string("policy is not valid JSON: ") + e.what());
  }
  Policy policy;
  MG_ASSIGN_OR_RETURN(const JsonField root, JsonField(doc).Object());
  MG_ASSIGN_OR_RETURN(const bool inherit, root.BoolOr("inherit_default", true));
  if (base != nullptr && inherit) policy = *base;
  if (doc.contains("schema") && doc["schema"] != "modelguard.policy/v1") {
    return MakeError(ErrorCode::kParse, "unsupported policy schema " +
                                            doc["schema"].dump(-1, ' ', false, json::error_handler_t::replace) +
                                            " (expected \"modelguard.policy/v1\")");
  }
  MG_ASSIGN_OR_RETURN(const JsonField imports, root.ObjectOr("imports"));
  MG_ASSIGN_OR_RETURN(auto allow, Strings(imports, "allow"));
  policy.allow_.insert(policy.allow_.end(), allow.begin(), allow.end());
  MG_ASSIGN_OR_RETURN(const auto dangerous, imports.ElementsOr("dangerous"));
  for (const auto& entry : dangerous) {
    MG_ASSIGN_OR_RETURN(const JsonField d, entry.Object());
    MG_ASSIGN_OR_RETURN(const JsonField match, d.At("match"));
    MG_ASSIGN_OR_RETURN(auto match_text, match.String());
    MG_ASSIGN_OR_RETURN(auto reason, d.StringOr("reason", ""));
    policy.dangerous_.push_back({std::move(match_text), std::move(reason)});
  }
  MG_ASSIGN_OR_RETURN(auto attributes, Strings(imports, "dangerous_attributes"));
  policy.dangerous_attributes_.insert(policy.dangerous_attributes_.end(), attributes.begin(), attributes.end());
  MG_ASSIGN_OR_RETURN(auto patterns, Strings(imports, "dangerous_name_patterns"));
  policy.dangerous_name_patterns_.insert(policy.dangerous_name_patterns_.end(), patterns.begin(), patterns.end());
  // Removing an entry from the shipped lists is explicit, so a typo cannot silently weaken the policy.
  MG_ASSIGN_OR_RETURN(const auto removed, Strings(imports, "remove_dangerous"));
  for (const auto& m : removed) std::erase_if(policy.dangerous_, [&](const DangerousEntry& e) { return e.match == m; });

  MG_ASSIGN_OR_RETURN(const JsonField ops, root.ObjectOr("ops"));
  for (const auto& [format, format_ops] : ops.json().items()) {
    MG_ASSIGN_OR_RETURN(const JsonField by_op, Member(ops, format, format_ops).Object());
    // A null reason allows an op the shipped policy lists (e.g. a pipeline that must read files).
    for (const auto& [op, reason] : by_op.json().items()) {
      if (reason.is_null()) {
        policy.dangerous_ops_[format].erase(op);
        continue;
      }
      MG_ASSIGN_OR_RETURN(auto reason_text, Member(by_op, op, reason).String());
      policy.dangerous_ops_[format][op] = std::move(reason_text);
    }
  }

  MG_ASSIGN_OR_RETURN(const JsonField rules, root.ObjectOr("rules"));
  for (const auto& [id, value] : rules.json().items()) {
    MG_ASSIGN_OR_RETURN(const JsonField cfg, Member(rules, id, value).Object());
    RuleConfig& rule = policy.rules_[id];
    MG_ASSIGN_OR_RETURN(const auto severity_field, cfg.Find("severity"));
    if (severity_field) {
      MG_ASSIGN_OR_RETURN(const auto severity_text, severity_field->String());
      auto sev = ParseSeverity(severity_text);
      if (!sev)
        return MakeError(ErrorCode::kParse, severity_field->path() + ": unknown severity '" + severity_text + "'");
      rule.severity = *sev;
    }
    MG_ASSIGN_OR_RETURN(rule.enabled, cfg.BoolOr("enabled", rule.enabled));
    MG_ASSIGN_OR_RETURN(rule.summary, cfg.StringOr("summary", rule.summary));
    MG_ASSIGN_OR_RETURN(rule.remediation, cfg.StringOr("remediation", rule.remediation));
    MG_ASSIGN_OR_RETURN(const auto references, cfg.Find("references"));
    if (references) {
      MG_ASSIGN_OR_RETURN(rule.references, Strings(cfg, "references"));
    }
  }
  return policy;
}

bool Policy::MatchesDangerous(std::string_view dotted, std::string* reason) const {
  for (const auto& d : dangerous_) {
    if (dotted.size() >= d.match.size() && dotted.compare(0, d.match.size(), d.match) == 0 &&
        (dotted.size() == d.match.size() || dotted[d.match.size()] == '.')) {
      *reason = d.match + ": " + d.reason;
      return true;
    }
  }
  return false;
}

bool Policy::MatchesAllow(std::string_view module, std::string_view name) const {
  const std::string full = std::string(module) + "." + std::string(name);
  // Globs never allow a dotted attribute walk: only an exact entry can.
  const bool walk = name.find('.') != std::string_view::npos;
  for (const auto& pattern : allow_) {
    if (walk) {
      if (pattern == full) return true;
      continue;
    }
    const auto colon = pattern.find(':');
    if (colon == std::string::npos) {
      if (pattern == full || (pattern.find_first_of("*?[") != std::string::npos && Glob(pattern, full))) return true;
    } else if (Glob(pattern.substr(0, colon), module) && Glob(pattern.substr(colon + 1), name)) {
      return true;
    }
  }
  return false;
}

ImportDecision Policy::ClassifyImport(std::string_view module, std::string_view name) const {
  const std::string full = std::string(module) + "." + std::string(name);
  // An exact allowlist entry is a deliberate exception to a module-wide denial
  // (joblib.numpy_pickle.NumpyArrayWrapper is safe, joblib.load is not).
  if (std::find(allow_.begin(), allow_.end(), full) != allow_.end()) return {ImportVerdict::kAllowed, ""};
  std::string reason;
  if (MatchesDangerous(full, &reason)) return {ImportVerdict::kDangerous, reason};
  // Protocol 4 resolves dotted names attribute by attribute, so "torch.serialization" + "os.system"
  // reaches os.system: every tail of the attribute path is checked as if imported directly.
  const auto parts = SplitDots(name);
  for (size_t i = 0; i < parts.size(); ++i) {
    if (std::find(dangerous_attributes_.begin(), dangerous_attributes_.end(), parts[i]) !=
        dangerous_attributes_.end()) {
      return {ImportVerdict::kDangerous, "attribute path goes through " + std::string(parts[i])};
    }
    if (i == 0) continue;
    std::string tail;
    for (size_t k = i; k < parts.size(); ++k) tail += (k > i ? "." : "") + std::string(parts[k]);
    if (MatchesDangerous(tail, &reason)) return {ImportVerdict::kDangerous, "attribute path reaches " + reason};
  }
  // Gadgets nobody has catalogued yet still tend to be named like what they do; this runs before the
  // allowlist globs so that "sklearn.*:[A-Z]*"-style entries cannot admit a RunScript class.
  const std::string last(parts.back());
  for (const auto& pattern : dangerous_name_patterns_) {
    if (fnmatch(pattern.c_str(), last.c_str(), FNM_CASEFOLD) == 0) {
      return {ImportVerdict::kDangerous,
              "name '" + last + "' looks like an execution, file or loader function (pattern " + pattern + ")"};
    }
  }
  if (MatchesAllow(module, name)) return {ImportVerdict::kAllowed, ""};
  if (parts.size() > 1) return {ImportVerdict::kAttributeWalk, "dotted attribute path " + std::string(name)};
  return {ImportVerdict::kUnknown, ""};
}

const RuleConfig* Policy::Rule(std::string_view id) const {
  auto it = rules_.find(id);
  return it == rules_.end() ? nullptr : &it->second;
}

std::vector<Finding> Policy::Evaluate(const std::vector<formats::Fact>& facts, const std::string& file) const {
  std::vector<Finding> findings;
  std::vector<std::pair<size_t, std::string>> nested;  // finding index, location of the member it names
  for (const auto& fact : facts) {
    if (fact.kind == formats::fact::kFormat) continue;
    const std::string_view kind = fact.kind.id();
    std::string rule_id(kind);
    std::string message = fact.detail;
    std::string evidence;
    if (IsImportFact(kind)) {
      // "<format>.import": the format's loader imports module.name; classified by the one import policy
      // into "<format>.dangerous-import", "<format>.attribute-walk" or "<format>.unknown-import".
      const std::string prefix(kind.substr(0, kind.size() - kImportSuffix.size()));
      const ImportDecision d = ClassifyImport(fact.subject, fact.name);
      evidence = fact.subject + "." + fact.name;
      switch (d.verdict) {
        case ImportVerdict::kAllowed:
          continue;
        case ImportVerdict::kDangerous:
          rule_id = prefix + ".dangerous-import";
          message = fact.detail + " (" + d.reason + ")";
          break;
        case ImportVerdict::kAttributeWalk:
          rule_id = prefix + ".attribute-walk";
          break;
        case ImportVerdict::kUnknown:
          rule_id = prefix + ".unknown-import";
          message = fact.detail + ", which is not on the allowlist";
          break;
      }
    } else if (IsOpFact(kind)) {
      // "<format>.op": a graph uses this op; only ops the policy lists for the format become findings.
      const std::string format(kind.substr(0, kind.size() - kOpSuffix.size()));
      auto ops = dangerous_ops_.find(format);
      if (ops == dangerous_ops_.end()) continue;
      auto op = ops->second.find(fact.subject);
      if (op == ops->second.end()) continue;
      rule_id = format + ".dangerous-op";
      message = fact.detail + ": " + op->second;
      evidence = fact.subject;
    } else if (!fact.subject.empty() || !fact.name.empty()) {
      evidence = fact.name.empty() ? fact.subject : fact.subject + "." + fact.name;
    }
    const RuleConfig* rule = Rule(rule_id);
    if (rule != nullptr && !rule->enabled) continue;
    Finding f;
    f.rule_id = rule_id;
    f.location = fact.location.empty() ? file : file + "!" + fact.location;
    f.offset = fact.offset;
    if (rule != nullptr) {
      f.severity = rule->severity;
      f.message = message.empty() ? rule->summary : message;
    } else {
      // Every declared kind has a rule in the shipped policy (a test checks it), so this is a policy that
      // stands alone (inherit_default: false) without it. The fact is not guessed down to a medium: it is
      // reported as high and says what is missing.
      f.severity = Severity::kHigh;
      f.message = (message.empty() ? rule_id : message) + " [the policy has no rule '" + rule_id +
                  "'; add one to set its severity]";
    }
    f.evidence = evidence;
    if (rule) {
      f.remediation = rule->remediation;
      f.references = rule->references;
    }
    if (IsNestedFact(kind)) nested.emplace_back(findings.size(), f.location + "!" + fact.subject);
    findings.push_back(std::move(f));
  }
  for (const auto& [index, member] : nested) {
    const Finding* worst = nullptr;
    for (const Finding& g : findings) {
      const bool inside = g.location.size() > member.size()
                              ? g.location.compare(0, member.size() + 1, member + "!") == 0
                              : g.location == member;
      if (inside && (worst == nullptr || g.severity > worst->severity)) worst = &g;
    }
    Finding& f = findings[index];
    if (worst != nullptr && worst->severity > f.severity) {
      f.severity = worst->severity;
      f.message += " (worst finding inside: " + worst->rule_id + ", " + std::string(ToString(worst->severity)) + ")";
    }
  }
  std::stable_sort(findings.begin(), findings.end(),
                   [](const Finding& a, const Finding& b) { return a.severity > b.severity; });
  return findings;
}

std::vector<RuleDescription> Policy::DescribeRules() const {
  std::vector<RuleDescription> out;
  for (const auto& [id, rule] : rules_)
    out.push_back({id, rule.severity, rule.summary, rule.remediation, rule.references});
  return out;
}

}  // namespace modelguard::scan
