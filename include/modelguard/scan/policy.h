#pragma once
// Policy: turns format facts into findings. Data, not code: policies/default.json ships inside the binary
// and users merge their own file over it (--policy).
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "modelguard/core/result.h"
#include "modelguard/formats/format.h"
#include "modelguard/scan/report.h"
#include "modelguard/scan/reporters.h"

namespace modelguard::scan {

struct RuleConfig {
  Severity severity = Severity::kMedium;
  bool enabled = true;
  std::string summary;
  std::string remediation;
  std::vector<std::string> references;
};

enum class ImportVerdict { kAllowed, kUnknown, kAttributeWalk, kDangerous };

struct ImportDecision {
  ImportVerdict verdict = ImportVerdict::kUnknown;
  std::string reason;
};

class Policy {
 public:
  // The shipped default policy.
  static Result<Policy> Default();
  // Parses `json` and merges it over `base` (allow/dangerous lists are appended, rules overridden
  // field by field). With "inherit_default": false the file stands alone.
  static Result<Policy> Parse(std::string_view json, const Policy* base);
  // Default policy with the file at `path` merged over it.
  static Result<Policy> LoadWithOverrides(const std::string& path);

  ImportDecision ClassifyImport(std::string_view module, std::string_view name) const;

  // Findings for the facts of one scanned file. `file` is the path the findings are located in.
  std::vector<Finding> Evaluate(const std::vector<formats::Fact>& facts, const std::string& file) const;

  const RuleConfig* Rule(std::string_view id) const;
  std::vector<RuleDescription> DescribeRules() const;

 private:
  struct DangerousEntry {
    std::string match;
    std::string reason;
  };
  bool MatchesDangerous(std::string_view dotted, std::string* reason) const;
  bool MatchesAllow(std::string_view module, std::string_view name) const;

  std::vector<std::string> allow_;
  std::vector<DangerousEntry> dangerous_;
  std::vector<std::string> dangerous_attributes_;
  std::vector<std::string> dangerous_name_patterns_;  // names of execution-like callables, case-insensitive
  std::map<std::string, RuleConfig, std::less<>> rules_;
  // Per format ("tensorflow"): op name -> why it is dangerous. Facts "<format>.op" name the ops a graph uses.
  std::map<std::string, std::map<std::string, std::string, std::less<>>, std::less<>> dangerous_ops_;
};

}  // namespace modelguard::scan
