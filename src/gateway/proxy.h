#pragma once
// What every client connection of one gateway shares: the configuration snapshot (swapped atomically on
// reload, so a request runs start to end on the configuration it started with), the upstream states, the
// metrics, the audit sink, and the drain/stop flags. The request path itself lives in session.cpp
// (read, built-in endpoints, chain), forward.cpp (upstream) and relay.cpp (answer back to the client).
#include "src/gateway/wire.h"  // first: Boost 1.74 needs <utility> before asio

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "modelguard/gateway/audit.h"
#include "modelguard/gateway/gateway.h"
#include "src/gateway/metrics.h"
#include "src/gateway/signals.h"

namespace modelguard::gateway {

using Clock = std::chrono::steady_clock;

struct Runtime {
  GatewayConfig config;
  std::map<std::string, std::shared_ptr<UpstreamState>> upstreams;
  std::vector<RouteMetrics*> route_metrics;  // parallel to config.routes: no lookup on the request path
};

Result<std::shared_ptr<const Runtime>> MakeRuntime(const GatewayConfig& config, Metrics& metrics);

// The first route whose path matches the target's path (exact, or a prefix for paths ending in '*').
const Route* MatchRoute(const std::vector<Route>& routes, std::string_view target);

// What happened to one proxied request, for metrics and the audit event.
struct Outcome {
  unsigned status = 0;
  std::string response_sha256;
  std::optional<int64_t> tokens;
  std::optional<double> first_byte_ms;
  std::string target;  // the upstream target that answered
  bool streamed = false;
  bool client_gone = false;
  Signals signals;  // gathered only when the route records signals and the request is audited
};

class Gateway {
 public:
  Gateway(std::shared_ptr<const Runtime> runtime, std::unique_ptr<AuditSink> audit, std::unique_ptr<Metrics> metrics)
      : runtime_(std::move(runtime)), audit_(std::move(audit)), metrics_(std::move(metrics)) {}

  // A plain mutex: libstdc++ 12's atomic<shared_ptr> wakes waiters through the kernel on every store/load.
  std::shared_ptr<const Runtime> Snapshot() const {
    std::lock_guard lock(runtime_mutex_);
    return runtime_;
  }
  void Replace(std::shared_ptr<const Runtime> runtime) {
    std::lock_guard lock(runtime_mutex_);
    runtime_.swap(runtime);
  }
  Metrics& metrics() { return *metrics_; }
  const Metrics& metrics() const { return *metrics_; }
  bool draining() const { return draining_.load(); }
  void StartDrain() { draining_ = true; }
  bool stopping() const { return stopping_.load(); }
  void Stop() { stopping_ = true; }

  // Response digests are only for audit events: nothing else pays for them.
  bool Audited(const GatewayConfig& config) const { return audit_ != nullptr || config.access_log; }

  // A target's health after a proxied request or a health check: only a change takes a lock (the
  // metrics') or logs.
  void Record(UpstreamState& upstream, TargetState& target, bool ok, const std::string& why);

  // Counts flag verdicts, then writes the audit event (and the access log line) when configured.
  void Audit(const GatewayConfig& config, const RequestContext& context, const std::string& target,
             const Outcome& outcome, Clock::time_point started);

 private:
  mutable std::mutex runtime_mutex_;
  std::shared_ptr<const Runtime> runtime_;
  std::unique_ptr<AuditSink> audit_;
  std::unique_ptr<Metrics> metrics_;  // outlives snapshots: they point at its route entries
  std::atomic<bool> draining_{false}, stopping_{false};
};

}  // namespace modelguard::gateway
