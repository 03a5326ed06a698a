#include "src/gateway/audit_event.h"

#include "modelguard/core/json_text.h"

namespace modelguard::gateway {
namespace {

// The verdict as FilterVerdict::ToString spells it ("allow", "block:<reason>", …), escaped without building
// that string first: the prefixes are ASCII, so escaping prefix and reason apart gives the same text.
void AppendVerdict(std::string& out, const FilterVerdict& verdict) {
  std::string_view prefix;
  switch (verdict.kind) {
    case FilterVerdict::Kind::kAllow:
      out += "\"allow\"";
      return;
    case FilterVerdict::Kind::kGone:
      out += "\"gone\"";
      return;
    case FilterVerdict::Kind::kBlock:
      prefix = "block:";
      break;
    case FilterVerdict::Kind::kFlag:
      prefix = "flag:";
      break;
    case FilterVerdict::Kind::kModify:
      prefix = "modify:";
      break;
    case FilterVerdict::Kind::kError:
      prefix = "error:";
      break;
    default:
      AppendJsonString(out, verdict.ToString());  // a kind added later
      return;
  }
  out += '"';
  out += prefix;
  AppendJsonStringContent(out, verdict.reason);
  out += '"';
}

}  // namespace

size_t WriteAuditEvent(std::string& out, const AuditEvent& event) {
  out.clear();
  out += "{\"time\":";
  AppendJsonNumber(out, event.time_ms);
  const size_t after_time = out.size();
  out += ",\"key_id\":";
  AppendJsonString(out, event.key_id);
  out += ",\"route\":";
  AppendJsonString(out, event.route);
  out += ",\"method\":";
  AppendJsonString(out, event.method);
  out += ",\"path\":";
  AppendJsonString(out, event.path);
  if (!event.model.empty()) {
    out += ",\"model\":";
    AppendJsonString(out, event.model);
  }
  out += ",\"status\":";
  AppendJsonNumber(out, uint64_t{event.status});
  out += ",\"latency_ms\":";
  AppendJsonNumber(out, event.latency_ms);
  if (event.first_byte_ms) {
    out += ",\"first_byte_ms\":";
    AppendJsonNumber(out, *event.first_byte_ms);
  }
  if (event.stream) out += ",\"stream\":true";
  if (event.tokens) {
    out += ",\"tokens\":";
    AppendJsonNumber(out, *event.tokens);
  }
  if (!event.upstream.empty()) {
    out += ",\"upstream\":";
    AppendJsonString(out, event.upstream);
  }
  out += ",\"verdicts\":{";
  if (event.verdicts) {
    bool first = true;
    for (const auto& [filter, verdict] : *event.verdicts) {
      if (!first) out += ',';
      first = false;
      AppendJsonString(out, filter);
      out += ':';
      AppendVerdict(out, verdict);
    }
  }
  out += '}';
  out += ",\"request_sha256\":";
  AppendJsonString(out, event.request_sha256);
  out += ",\"response_sha256\":";
  AppendJsonString(out, event.response_sha256);
  out += '}';
  return after_time;
}

void WriteAccessLogLine(std::string& out, std::string_view event, size_t after_time) {
  out.clear();
  out.reserve(event.size() + 40);
  out.append(event.substr(0, after_time));
  out += ",\"level\":\"info\",\"msg\":\"request\"";
  out.append(event.substr(after_time));
  out += '\n';
}

}  // namespace modelguard::gateway
