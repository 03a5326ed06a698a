#pragma once
// modelguard gateway: a reverse proxy in front of model endpoints that runs each route's filters, forwards
// to the route's upstream, and writes one audit event per request. HTTP/1.1 with keep-alive (Boost.Beast,
// C++20 coroutines on Boost.Asio).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "modelguard/core/result.h"
#include "modelguard/gateway/filter.h"

namespace modelguard::gateway {

struct Route {
  std::string name;
  std::string path;          // exact match, or a prefix when it ends with '*'
  std::string upstream_host;
  std::string upstream_port;
  std::vector<std::shared_ptr<Filter>> filters;
};

struct GatewayConfig {
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 8080;
  std::vector<Route> routes;      // first match wins
  std::string audit_jsonl;        // hash-chained JSONL file
  std::string audit_log;          // transparency log database (instead of the JSONL file)
  uint64_t max_request_bytes = 4 << 20;
  uint64_t max_response_bytes = 64 << 20;
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds upstream_timeout{120000};
  unsigned threads = 0;           // 0: one per core
};

// Reads and checks a JSON configuration; errors name the key at fault.
Result<GatewayConfig> LoadGatewayConfig(const std::string& path);

// Serves until SIGINT/SIGTERM (or `stop` becomes true). `on_listening` gets the bound port (useful with port 0).
Status RunGateway(const GatewayConfig& config, const std::atomic<bool>* stop = nullptr,
                  const std::function<void(uint16_t)>& on_listening = {});

}  // namespace modelguard::gateway
