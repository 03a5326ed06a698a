#pragma once
// The gateway's own endpoints, answered before any route: /healthz (the process serves), /readyz (not
// while draining or while an upstream has no healthy target) and /metrics (Prometheus text).
#include "src/gateway/proxy.h"  // first: Boost 1.74 needs <utility> before asio

#include <optional>
#include <string>

namespace modelguard::gateway {

// The answer when `target` names a built-in endpoint; nullopt sends the request on to the routes.
std::optional<http::response<http::string_body>> BuiltinEndpoint(const std::string& target, unsigned version,
                                                                 const Runtime& runtime, const Metrics& metrics,
                                                                 bool draining);

}  // namespace modelguard::gateway
