#pragma once
// Where the gateway's audit events go: one structured event per request. The embedded default is a
// hash-chained JSONL file (each line carries the SHA-256 of the line before it, so an edited, removed or
// reordered line breaks the chain); with a transparency log configured, events are appended to it instead.
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "modelguard/core/result.h"

namespace modelguard::gateway {

class AuditSink {
 public:
  virtual ~AuditSink() = default;
  // One event as the text of a JSON object on one line: "{}" or {"member":…,…} (as the gateway writes it,
  // src/gateway/audit_event.h). Thread-safe; the text is copied before this returns, so a caller reuses
  // its buffer. Text that does not have that shape (no braces, a raw newline) is refused.
  virtual Status WriteObject(std::string_view object) = 0;
  // The same for an event held as a DOM (tools, tests): serialised here, invalid UTF-8 replaced by U+FFFD.
  Status Write(const nlohmann::ordered_json& event);
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
