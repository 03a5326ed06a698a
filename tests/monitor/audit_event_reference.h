#pragma once
// What ParseAuditEvent must give, written with nlohmann::json (a document tree, a member given twice kept
// once, the last): the reference its own scanner is compared with, in tests/monitor/stream_test.cpp and
// fuzz/fuzz_monitor_stream.cpp. Signals compared as sorted lists, since the tree orders members by name.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "modelguard/monitor/stream.h"

namespace modelguard::monitor::reference {

struct Event {
  int64_t time_ms = 0;
  std::string route, key_id, request_id;
  std::vector<std::pair<std::string, std::string>> signals;  // name -> "n:<number>" or "c:<category>", sorted
  bool operator==(const Event&) const = default;
};

inline std::ostream& operator<<(std::ostream& out, const Event& event) {
  out << "time " << event.time_ms << " route '" << event.route << "' key '" << event.key_id << "' request '"
      << event.request_id << "'";
  for (const auto& [name, value] : event.signals) out << " " << name << "=" << value;
  return out;
}

inline std::string Describe(const SignalValue& value) {
  if (!value.numeric) return "c:" + value.category;
  return "n:" + nlohmann::json(value.number).dump();
}

inline void Flatten(const nlohmann::json& value, const std::string& name, int depth, Event& out) {
  if (value.is_boolean()) {
    out.signals.push_back({name, Describe(SignalValue{true, value.get<bool>() ? 1.0 : 0.0, {}})});
  } else if (value.is_number()) {
    out.signals.push_back({name, Describe(SignalValue{true, value.get<double>(), {}})});
  } else if (value.is_string()) {
    out.signals.push_back({name, Describe(SignalValue{false, 0, value.get<std::string>()})});
  } else if (value.is_object() && depth < 4) {
    for (const auto& [member, inner] : value.items()) Flatten(inner, name + "." + member, depth + 1, out);
  }
}

inline bool FitsInt64(const nlohmann::json& value) {
  return value.is_number_integer() &&
         !(value.is_number_unsigned() && value.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max()));
}

inline std::optional<Event> Parse(std::string_view line) {
  const auto doc = nlohmann::json::parse(line, nullptr, false);
  if (!doc.is_object()) return std::nullopt;
  Event event;
  if (auto time = doc.find("time"); time != doc.end() && FitsInt64(*time)) event.time_ms = time->get<int64_t>();
  if (auto route = doc.find("route"); route != doc.end() && route->is_string()) event.route = route->get<std::string>();
  if (auto key = doc.find("key_id"); key != doc.end() && key->is_string()) event.key_id = key->get<std::string>();
  if (auto id = doc.find("request_id"); id != doc.end() && id->is_string()) event.request_id = id->get<std::string>();
  for (const char* member : {"latency_ms", "first_byte_ms", "tokens"}) {
    auto found = doc.find(member);
    if (found != doc.end() && found->is_number())
      event.signals.push_back({member, Describe(SignalValue{true, found->get<double>(), {}})});
  }
  if (auto status = doc.find("status"); status != doc.end() && FitsInt64(*status)) {
    const int64_t code = status->get<int64_t>();
    if (code >= 100 && code <= 599)
      event.signals.push_back({"status_class", Describe(SignalValue{false, 0, std::to_string(code / 100) + "xx"})});
  }
  if (auto signals = doc.find("signals"); signals != doc.end() && signals->is_object())
    Flatten(*signals, "signals", 1, event);
  std::sort(event.signals.begin(), event.signals.end());
  return event;
}

inline Event FromParsed(const MonitoredEvent& parsed) {
  Event event{parsed.time_ms, parsed.route, parsed.key_id, parsed.request_id, {}};
  for (const auto& [name, value] : parsed.signals) event.signals.push_back({name, Describe(value)});
  std::sort(event.signals.begin(), event.signals.end());
  return event;
}

}  // namespace modelguard::monitor::reference
