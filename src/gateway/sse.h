#pragma once
// Server-sent events (WHATWG HTML §9.2) as the gateway sees them: bytes from the upstream are cut into
// whole events (a blank line ends one) so filters judge complete events, never half a JSON chunk.
#include <string>
#include <string_view>
#include <vector>

#include "modelguard/core/result.h"

namespace modelguard::gateway {

class SseSplitter {
 public:
  explicit SseSplitter(size_t max_event_bytes) : max_event_bytes_(max_event_bytes) {}
  // Appends `bytes` and moves every complete event (with its terminating blank line) to `events`.
  // Err when an event grows past the limit: the stream is hostile or broken, not something to buffer.
  Status Feed(std::string_view bytes, std::vector<std::string>& events);
  // What is left when the stream ends: an unterminated last event (the spec says to drop it).
  const std::string& pending() const { return pending_; }

 private:
  size_t max_event_bytes_;
  size_t scanned_ = 0;  // bytes of pending_ already searched for a terminator
  std::string pending_;
};

// The "data" field of one event: its data lines joined by '\n'; `has_data` false for comments and events
// without data (which pass through untouched).
std::string SseData(std::string_view event, bool& has_data);
// Whether an event without data holds only what clients never read as data: comments (":..."), the
// "event", "id" and "retry" fields, empty lines. Anything else (a "data" line behind a byte-order mark,
// which some clients strip) cannot be judged, so filtered routes do not pass it on.
bool SseOnlyMetadata(std::string_view event);
// An event carrying `data` (split into one data line per line).
std::string SseEvent(std::string_view data);

}  // namespace modelguard::gateway
