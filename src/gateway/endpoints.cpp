#include "src/gateway/endpoints.h"

namespace modelguard::gateway {

std::optional<http::response<http::string_body>> BuiltinEndpoint(const std::string& target, unsigned version,
                                                                 const Runtime& runtime, const Metrics& metrics,
                                                                 bool draining) {
  if (target == "/healthz") return JsonResponse(200, "{\"status\":\"ok\"}", version);
  if (target == "/readyz") {
    std::string problem = draining ? "draining" : "";
    for (const auto& [name, upstream] : runtime.upstreams) {
      if (problem.empty() && !upstream->AnyHealthy()) problem = "upstream '" + name + "' has no healthy target";
    }
    return problem.empty()
               ? JsonResponse(200, "{\"status\":\"ready\"}", version)
               : JsonResponse(503, nlohmann::json{{"status", "not ready"}, {"reason", problem}}.dump(), version);
  }
  if (target == "/metrics") {
    http::response<http::string_body> res{http::status::ok, version};
    res.set(http::field::content_type, "text/plain; version=0.0.4");
    res.body() = metrics.Prometheus();
    res.prepare_payload();
    return res;
  }
  return std::nullopt;
}

}  // namespace modelguard::gateway
