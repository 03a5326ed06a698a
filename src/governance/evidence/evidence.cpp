// What each kind of result says, read without knowing every schema in detail: findings are the objects that
// carry a severity (and a rule id), verdicts the booleans results already state (verified, ok) or, failing
// those, whether anything high or critical was found. Kinds with a verdict of their own (redteam's success
// count, assess's risk levels) are read as such.
#include "modelguard/governance/evidence.h"

#include <map>
#include <set>

#include "modelguard/core/hash.h"
#include "modelguard/core/json_fields.h"
#include "modelguard/governance/checklist.h"

namespace modelguard::governance {
namespace {

using json = nlohmann::json;

constexpr int kMaxDepth = 24;
constexpr size_t kMaxRules = 200;

const std::set<std::string>& Severities() {
  static const std::set<std::string> kSeverities = {"critical", "high", "medium", "low", "info"};
  return kSeverities;
}

struct Tally {
  std::map<std::string, uint64_t> by_severity;
  std::set<std::string> rules;
};

std::string RuleOf(const json& object) {
  for (const char* key : {"rule_id", "rule", "ruleId", "id"}) {
    auto it = object.find(key);
    if (it != object.end() && it->is_string()) return it->get<std::string>();
  }
  return "";
}

void Walk(const json& node, int depth, Tally& tally) {
  if (depth > kMaxDepth) return;
  if (node.is_object()) {
    auto severity = node.find("severity");
    if (severity != node.end() && severity->is_string() && Severities().count(severity->get<std::string>())) {
      ++tally.by_severity[severity->get<std::string>()];
      const std::string rule = RuleOf(node);
      if (!rule.empty() && tally.rules.size() < kMaxRules) tally.rules.insert(rule);
    }
    for (const auto& [key, value] : node.items()) Walk(value, depth + 1, tally);
  } else if (node.is_array()) {
    for (const auto& item : node) Walk(item, depth + 1, tally);
  }
}

// An RFC 3339 UTC time ("2026-11-30T12:00:00Z"), a date, or seconds since the epoch; 0 for anything else.
int64_t ParseTimeField(const json& value) {
  if (value.is_number_integer()) return value.get<int64_t>();
  if (!value.is_string()) return 0;
  return ParseTime(value.get_ref<const std::string&>()).value_or(0);
}

std::string KindOf(const json& doc) {
  if (auto schema = doc.find("schema"); schema != doc.end() && schema->is_string()) {
    const std::string kind = schema->get<std::string>();
    if (kind.starts_with("modelguard.")) return kind;
  }
  if (doc.value("bomFormat", json()) == "CycloneDX") return "cyclonedx";
  if (doc.value("tool", json()) == "modelguard assess") return "assess";
  if (doc.contains("runs") && doc.value("version", json()) == "2.1.0") return "sarif";
  return "";
}

}  // namespace

Result<Evidence> SummarizeEvidence(std::string_view bytes) {
  if (bytes.size() > kMaxEvidenceBytes) return MakeError(ErrorCode::kLimit, "evidence larger than 64 MiB");
  auto parsed = ParseJsonWithinLimits(bytes);
  if (!parsed) return WithContext(std::move(parsed).error(), "evidence is not JSON: ");
  const json& doc = *parsed;
  if (!doc.is_object()) return MakeError(ErrorCode::kInvalidArgument, "evidence is not a JSON object");
  Evidence evidence;
  evidence.kind = KindOf(doc);
  if (evidence.kind.empty())
    return MakeError(ErrorCode::kInvalidArgument,
                     "evidence is not a modelguard result (no \"schema\": \"modelguard.<kind>/v1\", CycloneDX BOM, "
                     "assess report or SARIF log)");
  evidence.digest = "sha256:" + Sha256Hex(bytes);
  for (const char* key : {"time", "created", "timestamp", "generated", "generated_at"}) {
    if (auto it = doc.find(key); it != doc.end() && !evidence.produced) evidence.produced = ParseTimeField(*it);
  }
  if (!evidence.produced && doc.contains("metadata") && doc["metadata"].is_object() &&
      doc["metadata"].contains("timestamp"))
    evidence.produced = ParseTimeField(doc["metadata"]["timestamp"]);

  Tally tally;
  std::string verdict;
  std::string summary;
  if (evidence.kind == "assess") {
    if (auto verdicts = doc.find("verdicts"); verdicts != doc.end() && verdicts->is_array()) {
      for (const auto& v : *verdicts) {
        if (!v.is_object()) continue;
        const std::string level = v.value("level", json()).is_string() ? v["level"].get<std::string>() : "";
        const std::string risk = v.value("risk", json()).is_string() ? v["risk"].get<std::string>() : "";
        if (Severities().count(level)) ++tally.by_severity[level];
        if (!risk.empty()) tally.rules.insert("assess." + risk);
      }
    }
  } else if (evidence.kind == "modelguard.redteam/v1") {
    const json summary_json = doc.value("summary", json::object());
    const uint64_t successes = summary_json.is_object() && summary_json.value("successes", json()).is_number_unsigned()
                                   ? summary_json["successes"].get<uint64_t>()
                                   : 0;
    const uint64_t attempts = summary_json.is_object() && summary_json.value("attempts", json()).is_number_unsigned()
                                  ? summary_json["attempts"].get<uint64_t>()
                                  : 0;
    if (auto families = doc.find("families"); families != doc.end() && families->is_array()) {
      for (const auto& family : *families) {
        if (family.is_object() && family.value("successes", json()).is_number_unsigned() &&
            family["successes"].get<uint64_t>() > 0 && family.value("family", json()).is_string()) {
          tally.rules.insert("redteam." + family["family"].get<std::string>());
          ++tally.by_severity["high"];
        }
      }
    }
    verdict = successes > 0 ? "fail" : (doc.value("complete", json()) == true ? "pass" : "info");
    summary = std::to_string(successes) + " of " + std::to_string(attempts) + " attacks succeeded";
  } else {
    Walk(doc, 0, tally);
  }
  if (verdict.empty()) {
    for (const char* key : {"verified", "ok", "passed", "valid", "matches"}) {
      if (auto it = doc.find(key); it != doc.end() && it->is_boolean()) {
        verdict = it->get<bool>() ? "pass" : "fail";
        break;
      }
    }
  }
  if (verdict.empty()) verdict = tally.by_severity["critical"] + tally.by_severity["high"] > 0 ? "fail" : "pass";
  json findings = json::object();
  uint64_t total = 0;
  for (const char* severity : {"critical", "high", "medium", "low", "info"}) {
    findings[severity] = tally.by_severity[severity];
    total += tally.by_severity[severity];
  }
  if (summary.empty()) {
    summary = std::to_string(total) + " finding(s)";
    if (total) {
      summary += ":";
      for (const char* severity : {"critical", "high", "medium", "low"})
        if (tally.by_severity[severity]) summary += " " + std::to_string(tally.by_severity[severity]) + " " + severity;
    }
  }
  evidence.summary_json = json{
      {"verdict", verdict},
      {"findings", findings},
      {"rules", std::vector<std::string>(tally.rules.begin(), tally.rules.end())},
      {"summary", summary}}.dump(-1, ' ', false, json::error_handler_t::replace);
  return evidence;
}

}  // namespace modelguard::governance
