#pragma once
// "host:port" as listeners and upstreams are configured: the port is 1 to 5 digits up to 65535, the host is
// everything before the last colon, and "[v6-address]:port" loses its brackets.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace modelguard {

struct HostPort {
  std::string host;
  uint16_t port = 0;
};

inline std::optional<HostPort> ParseHostPort(std::string_view text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  std::string_view host = text.substr(0, colon), digits = text.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (digits.empty() || digits.size() > 5) return std::nullopt;
  uint32_t port = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    port = port * 10 + static_cast<uint32_t>(c - '0');
  }
  if (port > 65535) return std::nullopt;
  return HostPort{std::string(host), static_cast<uint16_t>(port)};
}

}  // namespace modelguard
