#pragma once
// The control mapping (policies/controls.json, documented in docs/governance.md): every evidence kind and
// every finding rule modelguard reports, mapped to the controls of the frameworks an organisation answers
// to. Data, not code: users edit or replace the file (`--controls FILE`).
#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "modelguard/core/result.h"

namespace modelguard::governance {

struct ControlRef {
  std::string framework;  // a Framework::id
  std::string control;    // the framework's own id: "LLM01:2025", "AML.T0051", "MEASURE 2.7", "Art. 15", "A.6.2.4"
};

struct Framework {
  std::string id;      // "owasp-llm-2025", "owasp-ml-2023", "mitre-atlas", "nist-ai-rmf-1.0", "eu-ai-act", "iso-42001"
  std::string name;    // for people
  std::string source;  // where its control ids come from (a URL or the document's reference)
  std::vector<std::pair<std::string, std::string>> controls;  // (id, title) in the framework's order
};

struct ControlCatalog {
  std::vector<Framework> frameworks;
  // Evidence kinds (an attached JSON's "schema", e.g. "modelguard.scan/v1") and rule ids (exact, or a
  // prefix ending in '*': "pickle.*") to the controls they give evidence for.
  std::map<std::string, std::vector<ControlRef>> evidence;
  std::map<std::string, std::vector<ControlRef>> rules;
  // Guard categories (a detection's "category", e.g. "injection", "pii") to controls: for a detection whose
  // rule id has no entry, and for reports that give only the category.
  std::map<std::string, std::vector<ControlRef>> categories;

  // The controls of a rule id: its exact entry, else the longest matching prefix entry; empty when none.
  std::vector<ControlRef> ForRule(std::string_view rule) const;
  std::vector<ControlRef> ForEvidence(std::string_view kind) const;
  std::vector<ControlRef> ForCategory(std::string_view category) const;
  const Framework* FindFramework(std::string_view id) const;
};

// The "schema" of a controls file, and the largest one ParseControls reads.
inline constexpr const char* kControlsSchema = "modelguard.controls/v1";
inline constexpr size_t kMaxControlsBytes = size_t{8} << 20;

// Parses a controls file. Errors name the entry at fault: an unknown framework, a control id its framework
// does not list, a rule or evidence entry without controls, duplicates.
Result<ControlCatalog> ParseControls(std::string_view json_text);
// The catalog compiled into the binary (policies/controls.json).
const ControlCatalog& DefaultControls();

}  // namespace modelguard::governance
