#include "modelguard/scan/policy.h"

#include <fnmatch.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace modelguard::scan {
namespace {

constexpr const char* kDefaultPolicyJson =
#include "default_policy.inc"
    ;

using nlohmann::json;

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
  std::ifstream in(path);
  if (!in) return MakeError(ErrorCode::kIo, "cannot read policy file '" + path + "'");
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto base = Default();
  if (!base) return base.error();
  return Parse(buffer.str(), &base.value());
}

Result<Policy> Policy::Parse(std::string_view text, const Policy* base) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    return MakeError(ErrorCode::kParse, std::string("policy is not valid JSON: ") + e.what());
  }
  Policy policy;
  try {
    if (!doc.is_object()) return MakeError(ErrorCode::kParse, "policy must be a JSON object");
    // Inside the try: a non-boolean inherit_default is a type error to report, not an exception to escape.
    if (base != nullptr && doc.value("inherit_default", true)) policy = *base;
    if (doc.contains("schema") && doc["schema"] != "modelguard.policy/v1") {
      return MakeError(ErrorCode::kParse,
                       "unsupported policy schema " + doc["schema"].dump() + " (expected \"modelguard.policy/v1\")");
    }
    if (doc.contains("imports")) {
      const json& imports = doc["imports"];
      for (const auto& a : imports.value("allow", json::array())) policy.allow_.push_back(a.get<std::string>());
      for (const auto& d : imports.value("dangerous", json::array())) {
        policy.dangerous_.push_back({d.at("match").get<std::string>(), d.value("reason", "")});
      }
      for (const auto& a : imports.value("dangerous_attributes", json::array())) {
        policy.dangerous_attributes_.push_back(a.get<std::string>());
      }
      for (const auto& a : imports.value("dangerous_name_patterns", json::array())) {
        policy.dangerous_name_patterns_.push_back(a.get<std::string>());
      }
      // Removing an entry from the shipped lists is explicit, so a typo cannot silently weaken the policy.
      for (const auto& r : imports.value("remove_dangerous", json::array())) {
        const auto m = r.get<std::string>();
        std::erase_if(policy.dangerous_, [&](const DangerousEntry& e) { return e.match == m; });
      }
    }
    if (doc.contains("ops")) {
      for (const auto& [format, ops] : doc["ops"].items()) {
        // A null reason allows an op the shipped policy lists (e.g. a pipeline that must read files).
        for (const auto& [op, reason] : ops.items()) {
          if (reason.is_null())
            policy.dangerous_ops_[format].erase(op);
          else
            policy.dangerous_ops_[format][op] = reason.get<std::string>();
        }
      }
    }
    if (doc.contains("rules")) {
      for (const auto& [id, cfg] : doc["rules"].items()) {
        RuleConfig& rule = policy.rules_[id];
        if (cfg.contains("severity")) {
          auto sev = ParseSeverity(cfg["severity"].get<std::string>());
          if (!sev)
            return MakeError(ErrorCode::kParse, "rule '" + id + "': unknown severity " + cfg["severity"].dump());
          rule.severity = *sev;
        }
        rule.enabled = cfg.value("enabled", rule.enabled);
        rule.summary = cfg.value("summary", rule.summary);
        rule.remediation = cfg.value("remediation", rule.remediation);
        if (cfg.contains("references")) rule.references = cfg["references"].get<std::vector<std::string>>();
      }
    }
  } catch (const json::exception& e) {
    return MakeError(ErrorCode::kParse, std::string("policy has an unexpected shape: ") + e.what());
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
