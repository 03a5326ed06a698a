#pragma once
// What a scan reports: findings per file, produced by the policy from the formats' facts.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "modelguard/core/severity.h"

namespace modelguard::scan {

// One thing a reviewer must know about a file. Produced by policy, never by parsers.
struct Finding {
  std::string rule_id;  // stable id documented in docs/rules.md, e.g. "pickle.dangerous-import"
  Severity severity = Severity::kInfo;
  std::string location;            // file path, with "!member" for each container level
  std::optional<uint64_t> offset;  // byte offset inside the innermost member, when known
  std::string message;
  std::string evidence;                 // the bytes/names that triggered it, printable
  std::string remediation;              // what the user should do
  std::vector<std::string> references;  // CVE ids, advisories, papers
};

// The result of scanning one top-level path given on the command line (or found in a directory walk).
struct FileReport {
  std::string path;
  std::string format;  // format detected by content at the top level ("unknown" if none)
  uint64_t size = 0;
  double seconds = 0;
  std::vector<std::string> members_scanned;  // container members that were analysed
  std::vector<Finding> findings;

  Severity MaxSeverity() const;
};

struct ScanReport {
  std::string tool_version;
  std::vector<FileReport> files;
  double seconds = 0;
  // False when the scan stopped early (SIGINT/SIGTERM): files not listed were not scanned, and the last ones
  // may have been cut short. `incomplete_reason` says why and how far it got.
  bool complete = true;
  std::string incomplete_reason;

  size_t CountAtOrAbove(Severity threshold) const;
};

}  // namespace modelguard::scan
