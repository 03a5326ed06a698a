#pragma once
// Following the gateway's audit as it grows: a JSON Lines file being appended (the `jsonl` sink), or the
// transparency log (`log` sink: SQLite file or postgresql:// URI, entries of kind "gateway-audit"). A
// follower hands out whole events only and remembers where it is, so `monitor serve` resumes after a restart
// without reading an event twice or skipping one.
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "modelguard/core/result.h"

namespace modelguard::monitor {

class AuditFollower {
 public:
  virtual ~AuditFollower() = default;
  // Hands each new whole event (its JSON text) to `on_event`, at most `max_events`; returns how many. A line
  // longer than kMaxAuditLineBytes is skipped (counted in skipped()).
  virtual Result<uint64_t> Poll(const std::function<void(std::string_view)>& on_event, uint64_t max_events) = 0;
  // Where the next event starts, to save with the monitor's state.
  virtual nlohmann::json Position() const = 0;
  // Continues from a saved position when it still describes this source (same file, same first line, not
  // shorter; same log origin); otherwise starts from the beginning and says why in the result.
  virtual Result<std::string> Resume(const nlohmann::json& position) = 0;
  virtual uint64_t skipped() const = 0;
};

// JSON Lines. The path must be a regular file (FIFOs and devices are refused). A file cut shorter than the
// position (truncated) is read again from its start; a file replaced under the path (rotation) is read to its
// end, then the new file from its start.
Result<std::unique_ptr<AuditFollower>> FollowJsonl(const std::string& path);
// A transparency log that already exists.
Result<std::unique_ptr<AuditFollower>> FollowLog(const std::string& database);
// By the location: postgresql:// or postgres:// URIs and files ending .sqlite or .db are logs, the rest JSONL.
Result<std::unique_ptr<AuditFollower>> FollowAudit(const std::string& location);

}  // namespace modelguard::monitor
