#pragma once
// Prometheus metrics of the gateway, kept with relaxed atomics on the request path; label sets (routes,
// filters and their reasons, upstream targets) are created on first use under a mutex and never removed.
#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace modelguard::gateway {

class Histogram {
 public:
  // Upper bounds in seconds: sub-millisecond resolution for gateway overhead, up to minutes for generation.
  static constexpr std::array<double, 16> kBounds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                     0.05,   0.1,     0.25,   0.5,   1,      2.5,   10,   60};
  void Observe(double seconds);
  void Render(std::string& out, const std::string& name, const std::string& labels) const;

 private:
  std::array<std::atomic<uint64_t>, kBounds.size() + 1> counts_{};
  std::atomic<uint64_t> sum_micros_{0};
};

struct RouteMetrics {
  std::atomic<uint64_t> status_2xx{0}, status_4xx{0}, status_5xx{0}, tokens{0}, streams{0};
  Histogram latency;             // whole request, as the client sees it
  Histogram time_to_first_byte;  // until the first body byte went to the client (first token on streams)
};

class Metrics {
 public:
  RouteMetrics& Route(const std::string& route);
  void CountBlock(const std::string& filter, const std::string& reason);
  // Verdicts "flag:<reason>": the request went on, but a filter raised an alarm (prada, guard).
  void CountFlag(const std::string& filter, const std::string& reason);
  void CountUpstreamError(const std::string& upstream, const std::string& kind);
  void SetTargetHealth(const std::string& upstream, const std::string& target, bool healthy);
  std::atomic<uint64_t> in_flight{0}, reloads{0}, reload_failures{0};
  std::string Prometheus() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<RouteMetrics>> routes_;
  std::map<std::pair<std::string, std::string>, uint64_t> blocks_;
  std::map<std::pair<std::string, std::string>, uint64_t> flags_;
  std::map<std::pair<std::string, std::string>, uint64_t> upstream_errors_;
  std::map<std::pair<std::string, std::string>, bool> target_health_;
};

}  // namespace modelguard::gateway
