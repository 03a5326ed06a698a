#include "modelguard/core/number_text.h"

#include <ctime>
#include <sstream>

namespace modelguard {

std::string FixedDecimal(double value, int digits) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(digits);
  out << value;
  return out.str();
}

std::string Iso8601Utc(int64_t unix_seconds) {
  const auto seconds = static_cast<std::time_t>(unix_seconds);
  std::tm utc{};
  if (gmtime_r(&seconds, &utc) == nullptr) return "invalid time";
  char text[64];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::string NowIso8601Utc() { return Iso8601Utc(static_cast<int64_t>(std::time(nullptr))); }

}  // namespace modelguard
