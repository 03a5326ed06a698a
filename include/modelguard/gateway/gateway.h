#pragma once
// modelguard gateway: a reverse proxy in front of model endpoints that runs each route's filters, forwards
// to one of the route's upstream targets (health-checked, with failover), streams server-sent events chunk
// by chunk through the filters, and writes one audit event per request. HTTP/1.1 keep-alive on both sides,
// TLS on both sides (Boost.Beast, C++20 coroutines on Boost.Asio, OpenSSL).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "modelguard/core/result.h"
#include "modelguard/gateway/filter.h"
#include "modelguard/gateway/keys.h"
#include "modelguard/gateway/limits.h"

namespace modelguard::gateway {

struct UpstreamTarget {
  std::string host, port;
};

struct Upstream {
  std::string name;
  std::vector<UpstreamTarget> targets;  // tried in round-robin order, healthy ones first
  bool tls = false;
  std::string tls_ca_file;  // empty: the system's trust store
  bool tls_verify = true;
  std::string tls_server_name;  // empty: the target's host
  std::string health_path;      // empty: passive checks only (connection failures)
  std::chrono::milliseconds health_interval{5000};
  std::chrono::milliseconds health_timeout{2000};
  unsigned unhealthy_after = 2;  // consecutive failures
  // Fields set on every request forwarded to this upstream, replacing any the client sent under those
  // names: the upstream's own credential (`headers:`, or `api_key_env:` as Authorization: Bearer). The
  // client's gateway credential is removed first, so the upstream sees exactly these.
  std::vector<std::pair<std::string, std::string>> headers;
};

enum class RouteType { kOpenAi, kJson, kRaw };  // body checks: OpenAI request shape / any JSON / none

// What the audit event records about a route's traffic for monitoring (`signals:`, docs/gateway.md "Audit").
struct SignalSettings {
  bool enabled = true;  // the scalar signals (tokens, refusal, answer length, classes, ...)
  // Classifier input features to record: names (rows that are objects) or decimal indices (rows that are
  // lists); none by default. `all_features`: every feature, the first `max_features` of each row.
  std::vector<std::string> features;
  bool all_features = false;
  size_t max_features = 64;
  std::string input_field = "inputs";          // the request's rows
  std::string output_field = "probabilities";  // the answer's scores
};

struct Route {
  std::string name;
  std::string path;  // exact match, or a prefix when it ends with '*'
  RouteType type = RouteType::kJson;
  std::string upstream;  // an Upstream's name
  std::vector<std::shared_ptr<Filter>> filters;
  SignalSettings signals;
};

struct GatewayConfig {
  std::string source;  // the file it came from
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 8080;
  std::string tls_certificate, tls_private_key;  // both set: HTTPS only
  std::map<std::string, Upstream> upstreams;
  std::vector<Route> routes;  // first match wins
  std::string audit_jsonl;    // hash-chained JSONL file
  std::string audit_log;      // transparency log database (instead of the JSONL file)
  uint64_t max_request_bytes = 4 << 20;
  uint64_t max_response_bytes = 64 << 20;
  uint64_t max_stream_event_bytes = 1 << 20;
  std::chrono::milliseconds header_timeout{10000};     // whole request head + body from a client
  std::chrono::milliseconds idle_timeout{60000};       // keep-alive connection with no request
  std::chrono::milliseconds upstream_timeout{120000};  // connect, and each read of an upstream answer
  std::chrono::milliseconds drain_timeout{30000};      // SIGTERM: how long in-flight requests may finish
  unsigned threads = 0;                                // 0: one per core
  // Admin API (create/list/revoke keys, reload) on its own listener, guarded by its own key.
  std::string admin_host;
  uint16_t admin_port = 0;
  std::array<unsigned char, 32> admin_key_sha256{};
  bool access_log = false;  // one JSON line per request on stderr (the audit event has the same fields)
  FilterEnvironment environment;
};

// Loads YAML (.yaml/.yml), TOML (.toml) or JSON configurations; errors say file:line (YAML, TOML) and the key at fault.
// Filters whose settings did not change keep their state (buckets, budgets) across loads by the same
// loader, so a reload cannot hand out a fresh budget.
class ConfigLoader {
 public:
  Result<GatewayConfig> Load(const std::string& path);

 private:
  std::map<std::string, std::shared_ptr<Filter>> filters_;  // route + filter + settings -> instance
  std::map<std::string, std::shared_ptr<LimitStore>> limit_stores_;
  std::map<std::string, std::shared_ptr<KeyStore>> key_stores_;
  std::shared_ptr<ApprovalBoard> approvals_;  // one for the process: calls waiting survive a reload
};
Result<GatewayConfig> LoadGatewayConfig(const std::string& path);

struct RunOptions {
  const std::atomic<bool>* stop = nullptr;  // polled; true: drain and stop
  std::function<void(uint16_t port, uint16_t admin_port)> on_listening;
  std::function<Result<GatewayConfig>()> reload;  // SIGHUP and POST /admin/reload
};

// Serves until SIGINT/SIGTERM (then drains in-flight requests) or `stop`.
Status RunGateway(const GatewayConfig& config, const RunOptions& options = {});

}  // namespace modelguard::gateway
