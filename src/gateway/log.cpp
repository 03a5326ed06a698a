#include "src/gateway/log.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace modelguard::gateway {

void LogEvent(std::string_view level, std::string_view message, nlohmann::ordered_json fields) {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[96];
  std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(millis));
  nlohmann::ordered_json line;
  line["time"] = stamp;
  line["level"] = level;
  line["msg"] = message;
  for (auto& [key, value] : fields.items()) line[key] = value;
  LogLine(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

void LogLine(std::string_view line) {
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace modelguard::gateway
