#pragma once

namespace modelguard {
inline constexpr const char* kVersion = "0.1.0";
}  // namespace modelguard
