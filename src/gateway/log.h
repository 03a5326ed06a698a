#pragma once
// Structured logs: one JSON object per line on stderr ({"time", "level", "msg", ...fields}), so log
// shippers need no parsing rules.
#include <nlohmann/json.hpp>
#include <string_view>

namespace modelguard::gateway {

void LogEvent(std::string_view level, std::string_view message,
              nlohmann::ordered_json fields = nlohmann::ordered_json::object());

// A line already written as such a JSON object, newline included (the per-request access log line, built
// without a DOM); written whole, never interleaved with another line.
void LogLine(std::string_view line);

}  // namespace modelguard::gateway
