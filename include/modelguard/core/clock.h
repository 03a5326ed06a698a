#pragma once
// The current time from the system clock, as audit events, transparency logs, registers and rate windows
// record it: whole seconds or milliseconds since the Unix epoch.
#include <cstdint>

namespace modelguard {

int64_t NowUnixSeconds();
int64_t NowUnixMilliseconds();

}  // namespace modelguard
