#pragma once
// The audit event of one request as JSON text, written straight into a buffer the caller reuses: no DOM,
// every string escaped once as it is copied (core/json_text.h). The members and their order are the audit
// format's (docs/gateway.md, "Audit"); the bytes are those nlohmann's dump wrote for the DOM this replaced
// (tests/gateway/audit_test.cpp keeps that DOM as the reference), except that a double may get a shorter
// spelling of the same value.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "modelguard/gateway/filter.h"
#include "src/gateway/signals.h"

namespace modelguard::gateway {

// The event's `signals` member: numbers and categories only (docs/gateway.md, "Audit"). Members are left
// out when unset or empty.
struct EventSignals {
  std::optional<int64_t> prompt_tokens, completion_tokens;
  std::string_view token_source;  // "usage" (both counts from the upstream) or "estimate"
  std::optional<int64_t> answer_chars;
  std::optional<bool> refusal;
  std::optional<int64_t> tool_calls;
  std::string_view finish_reason;
  std::string_view guard_verdict;  // the guard's verdict kind: "allow", "flag", "block", ...; empty: no guard
  std::optional<double> guard_score;
  const std::map<std::string, double>* guard_scores = nullptr;
  const ClassifierSignals* classifier = nullptr;  // a classifier route's answer and features
};

// Views into the request's state, valid while the event is written. Members marked optional are left out
// when they are empty, unset or false.
struct AuditEvent {
  int64_t time_ms = 0;  // wall clock, milliseconds since the epoch
  std::string_view key_id, route, method, path;
  std::string_view model;  // optional
  unsigned status = 0;
  double latency_ms = 0;
  std::optional<double> first_byte_ms;
  bool stream = false;  // optional
  std::optional<int64_t> tokens;
  std::string_view upstream;                                       // optional: the target that answered
  const std::map<std::string, FilterVerdict>* verdicts = nullptr;  // filter name -> verdict, in name order
  std::string_view request_sha256, response_sha256;
  std::string_view request_id;  // optional: written after response_sha256, before the signals
  // optional: the tools filter's decisions ("tools": [{"tool", "arguments_sha256", "decision", "rule"}]),
  // after request_id
  const std::vector<ToolDecision>* tools = nullptr;
  // optional: the watermark filter's score ("watermark": {"scored", "green", "z", "p_value", "detected",
  // "complete"}), after the tools
  const WatermarkScore* watermark = nullptr;
  const EventSignals* signals = nullptr;  // optional: written last, so older readers see the same members first
};

// Replaces `out` with the event as one JSON object on one line: {"time":…,"key_id":…,…}. Returns the offset
// just past the "time" member, where the access log line puts its level and message.
size_t WriteAuditEvent(std::string& out, const AuditEvent& event);

// Replaces `out` with the access log line of an event written by WriteAuditEvent, newline included:
// {"time":…,"level":"info","msg":"request",…the event's other members}. (The access log has always carried
// the event's millisecond time in place of the log's own time stamp.)
void WriteAccessLogLine(std::string& out, std::string_view event, size_t after_time);

}  // namespace modelguard::gateway
