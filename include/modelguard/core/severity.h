#pragma once
// One severity scale for every module: scan findings, guard verdicts, assessment risks, governance.
#include <optional>
#include <string_view>

namespace modelguard {

enum class Severity { kInfo = 0, kLow = 1, kMedium = 2, kHigh = 3, kCritical = 4 };

const char* ToString(Severity severity);
// Accepts info|low|medium|high|critical (case-insensitive); nullopt otherwise.
std::optional<Severity> ParseSeverity(std::string_view text);

}  // namespace modelguard
