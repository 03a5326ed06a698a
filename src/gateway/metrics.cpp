#include "src/gateway/metrics.h"

#include <cmath>

namespace modelguard::gateway {
namespace {

// Prometheus text format: label values escape backslash, quote and newline.
std::string Escape(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string Number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

}  // namespace

void Histogram::Observe(double seconds) {
  size_t i = 0;
  while (i < kBounds.size() && seconds > kBounds[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_micros_.fetch_add(static_cast<uint64_t>(std::llround(std::max(0.0, seconds) * 1e6)), std::memory_order_relaxed);
}

void Histogram::Render(std::string& out, const std::string& name, const std::string& labels) const {
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= kBounds.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    const std::string le = i < kBounds.size() ? Number(kBounds[i]) : "+Inf";
    out += name + "_bucket{" + labels + ",le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
  }
  out += name + "_sum{" + labels + "} " +
         Number(static_cast<double>(sum_micros_.load(std::memory_order_relaxed)) / 1e6) + "\n";
  out += name + "_count{" + labels + "} " + std::to_string(cumulative) + "\n";
}

RouteMetrics& Metrics::Route(const std::string& route) {
  std::lock_guard lock(mutex_);
  auto& slot = routes_[route];
  if (!slot) slot = std::make_unique<RouteMetrics>();
  return *slot;
}

void Metrics::CountBlock(const std::string& filter, const std::string& reason) {
  std::lock_guard lock(mutex_);
  ++blocks_[{filter, reason}];
}

void Metrics::CountFlag(const std::string& filter, const std::string& reason) {
  std::lock_guard lock(mutex_);
  ++flags_[{filter, reason}];
}

void Metrics::CountUpstreamError(const std::string& upstream, const std::string& kind) {
  std::lock_guard lock(mutex_);
  ++upstream_errors_[{upstream, kind}];
}

void Metrics::SetTargetHealth(const std::string& upstream, const std::string& target, bool healthy) {
  std::lock_guard lock(mutex_);
  target_health_[{upstream, target}] = healthy;
}

std::string Metrics::Prometheus() const {
  std::lock_guard lock(mutex_);
  std::string out;
  out += "# HELP modelguard_gateway_requests_total Proxied requests by route and status class.\n";
  out += "# TYPE modelguard_gateway_requests_total counter\n";
  for (const auto& [route, m] : routes_) {
    const std::string r = "route=\"" + Escape(route) + "\"";
    out += "modelguard_gateway_requests_total{" + r + ",code=\"2xx\"} " + std::to_string(m->status_2xx.load()) + "\n";
    out += "modelguard_gateway_requests_total{" + r + ",code=\"4xx\"} " + std::to_string(m->status_4xx.load()) + "\n";
    out += "modelguard_gateway_requests_total{" + r + ",code=\"5xx\"} " + std::to_string(m->status_5xx.load()) + "\n";
  }
  out += "# HELP modelguard_gateway_tokens_total Tokens used, from upstream usage reports or counted streams.\n";
  out += "# TYPE modelguard_gateway_tokens_total counter\n";
  for (const auto& [route, m] : routes_)
    out +=
        "modelguard_gateway_tokens_total{route=\"" + Escape(route) + "\"} " + std::to_string(m->tokens.load()) + "\n";
  out += "# TYPE modelguard_gateway_streams_total counter\n";
  for (const auto& [route, m] : routes_)
    out +=
        "modelguard_gateway_streams_total{route=\"" + Escape(route) + "\"} " + std::to_string(m->streams.load()) + "\n";
  out += "# HELP modelguard_gateway_request_duration_seconds Time from request to the end of the response.\n";
  out += "# TYPE modelguard_gateway_request_duration_seconds histogram\n";
  for (const auto& [route, m] : routes_)
    m->latency.Render(out, "modelguard_gateway_request_duration_seconds", "route=\"" + Escape(route) + "\"");
  out +=
      "# HELP modelguard_gateway_time_to_first_byte_seconds Time from request to the first body byte sent (first token "
      "on streams).\n";
  out += "# TYPE modelguard_gateway_time_to_first_byte_seconds histogram\n";
  for (const auto& [route, m] : routes_)
    m->time_to_first_byte.Render(out, "modelguard_gateway_time_to_first_byte_seconds",
                                 "route=\"" + Escape(route) + "\"");
  uint64_t blocked = 0;
  out += "# HELP modelguard_gateway_blocks_total Requests and streams stopped by a filter, by reason.\n";
  out += "# TYPE modelguard_gateway_blocks_total counter\n";
  for (const auto& [key, n] : blocks_) {
    out += "modelguard_gateway_blocks_total{filter=\"" + Escape(key.first) + "\",reason=\"" + Escape(key.second) +
           "\"} " + std::to_string(n) + "\n";
    blocked += n;
  }
  out +=
      "# HELP modelguard_gateway_flags_total Requests a filter let through with an alarm (flag verdicts), by reason.\n";
  out += "# TYPE modelguard_gateway_flags_total counter\n";
  for (const auto& [key, n] : flags_) {
    out += "modelguard_gateway_flags_total{filter=\"" + Escape(key.first) + "\",reason=\"" + Escape(key.second) +
           "\"} " + std::to_string(n) + "\n";
  }
  out += "# TYPE modelguard_gateway_blocked_total counter\nmodelguard_gateway_blocked_total " +
         std::to_string(blocked) + "\n";
  out += "# TYPE modelguard_gateway_upstream_errors_total counter\n";
  uint64_t upstream_errors = 0;
  for (const auto& [key, n] : upstream_errors_) {
    out += "modelguard_gateway_upstream_errors_total{upstream=\"" + Escape(key.first) + "\",kind=\"" +
           Escape(key.second) + "\"} " + std::to_string(n) + "\n";
    upstream_errors += n;
  }
  out += "# TYPE modelguard_gateway_upstream_target_healthy gauge\n";
  for (const auto& [key, healthy] : target_health_) {
    out += "modelguard_gateway_upstream_target_healthy{upstream=\"" + Escape(key.first) + "\",target=\"" +
           Escape(key.second) + "\"} " + (healthy ? "1" : "0") + "\n";
  }
  out += "# TYPE modelguard_gateway_in_flight gauge\nmodelguard_gateway_in_flight " + std::to_string(in_flight.load()) +
         "\n";
  out +=
      "# TYPE modelguard_gateway_config_reloads_total "
      "counter\nmodelguard_gateway_config_reloads_total{result=\"ok\"} " +
      std::to_string(reloads.load()) + "\nmodelguard_gateway_config_reloads_total{result=\"failed\"} " +
      std::to_string(reload_failures.load()) + "\n";
  return out;
}

}  // namespace modelguard::gateway
