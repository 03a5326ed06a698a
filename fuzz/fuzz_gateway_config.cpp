// The gateway's configuration loader on hostile text: YAML (yaml-cpp), TOML (toml++) or JSON, converted to
// one document with key-path line numbers, then every setting checked, including each filter's settings
// through the shared schema reader (settings.cpp) and the filters built from them (jwt, api_key,
// rate_limit, token_budget, prada, output_hardening). The first byte picks the syntax (0 YAML, 1 TOML,
// 2 JSON); the rest is the file. With 3, the rest is one filter's settings in JSON, read against every
// filter's schema (the guard's included).
// Skipped on purpose: inputs that name a Redis server or a device/proc file (the loader would connect to
// the one and read the other: no network, no blocking on /dev/zero), that hold a backslash (escapes could
// spell either), and loader inputs naming the guard filter: building one compiles the guard's pattern
// databases, seconds per input; its settings are still read through mode 3.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "modelguard/gateway/gateway.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 4 == 3) {
    const auto settings = nlohmann::json::parse(text, nullptr, false);
    if (settings.is_discarded()) return 0;
    for (const auto& name : modelguard::gateway::FilterNames())
      (void)modelguard::gateway::ReadFilterSettings(name, settings);
    return 0;
  }
  for (const std::string_view unsafe : {"redis", "/dev", "/proc", "/sys", "\\"}) {
    if (text.find(unsafe) != std::string_view::npos) return 0;
  }
  for (size_t at = text.find("guard"); at != std::string_view::npos; at = text.find("guard", at + 1)) {
    if (at < 5 || text.substr(at - 5, 5) != "model") return 0;  // "modelguard" in a path is fine
  }
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("mg-fuzz-config-" + std::to_string(getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  static const char* const kNames[] = {"gateway.yaml", "gateway.toml", "gateway.json"};
  const std::string path = (dir / kNames[data[0] % 4]).string();
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
  }
  (void)modelguard::gateway::LoadGatewayConfig(path);
  std::remove(path.c_str());
  return 0;
}
