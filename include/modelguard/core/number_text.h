#pragma once
// Numbers written for people and drawings (reports, SVG coordinates, CLI figures), as opposed to JSON
// (json_text.h), which needs the shortest spelling that reads back; and times as ISO 8601 text.
#include <cstdint>
#include <string>

namespace modelguard {

// `value` with `digits` decimals in fixed notation, never exponent form.
std::string FixedDecimal(double value, int digits);

// Unix seconds as UTC ISO 8601 ("2026-12-02T07:15:00Z").
std::string Iso8601Utc(int64_t unix_seconds);
// The current time, the same way.
std::string NowIso8601Utc();

}  // namespace modelguard
