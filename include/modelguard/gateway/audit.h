#pragma once
// Where the gateway's audit events go: one structured event per request. The embedded default is a
// hash-chained JSONL file (each line carries the SHA-256 of the line before it, so an edited, removed or
// reordered line breaks the chain); with a transparency log configured, events are appended to it instead.
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "modelguard/core/result.h"

namespace modelguard::gateway {

class AuditSink {
 public:
  virtual ~AuditSink() = default;
  virtual Status Write(nlohmann::ordered_json event) = 0;  // thread-safe
};

// Appends to `path`, continuing the chain of an existing file.
Result<std::unique_ptr<AuditSink>> OpenJsonlAudit(const std::string& path);
// Appends to a transparency log (SQLite file or postgresql:// URI) as entries of kind "gateway-audit".
Result<std::unique_ptr<AuditSink>> OpenLogAudit(const std::string& database);

struct AuditChainCheck {
  uint64_t events = 0;
  std::vector<std::string> problems;  // empty: the chain is intact
};
Result<AuditChainCheck> VerifyAuditChain(const std::string& path);

}  // namespace modelguard::gateway
