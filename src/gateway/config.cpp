#include <fstream>
#include <nlohmann/json.hpp>

#include "modelguard/gateway/gateway.h"

namespace modelguard::gateway {
namespace {

// "host:port" with both parts present; port 0-65535.
bool SplitHostPort(const std::string& text, std::string& host, std::string& port) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) return false;
  host = text.substr(0, colon);
  port = text.substr(colon + 1);
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos || std::stoul(port) > 65535) return false;
  return true;
}

}  // namespace

Result<GatewayConfig> LoadGatewayConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return MakeError(ErrorCode::kIo, "cannot read gateway configuration '" + path + "'");
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    return MakeError(ErrorCode::kParse, path + ": " + e.what());
  }
  if (!doc.is_object()) return MakeError(ErrorCode::kParse, path + ": the configuration must be a JSON object");
  GatewayConfig config;
  try {
    std::string port;
    if (!SplitHostPort(doc.value("listen", "127.0.0.1:8080"), config.listen_host, port)) {
      return MakeError(ErrorCode::kInvalidArgument, path + ": listen: expected host:port");
    }
    config.listen_port = static_cast<uint16_t>(std::stoul(port));
    const auto upstreams = doc.value("upstreams", nlohmann::json::object());
    const auto filters = doc.value("filters", nlohmann::json::object());
    if (!doc.contains("routes") || !doc["routes"].is_array() || doc["routes"].empty()) {
      return MakeError(ErrorCode::kInvalidArgument, path + ": routes: at least one route is needed");
    }
    for (size_t i = 0; i < doc["routes"].size(); ++i) {
      const auto& r = doc["routes"][i];
      const std::string where = path + ": routes[" + std::to_string(i) + "]";
      Route route;
      route.path = r.at("path").get<std::string>();
      route.name = r.value("name", route.path);
      const std::string upstream = r.at("upstream").get<std::string>();
      if (!upstreams.contains(upstream)) return MakeError(ErrorCode::kInvalidArgument, where + ".upstream: no upstream named '" + upstream + "'");
      if (!SplitHostPort(upstreams[upstream].get<std::string>(), route.upstream_host, route.upstream_port)) {
        return MakeError(ErrorCode::kInvalidArgument, path + ": upstreams." + upstream + ": expected host:port");
      }
      for (const auto& name : r.value("filters", std::vector<std::string>{})) {
        auto filter = CreateFilter(name, filters.value(name, nlohmann::json::object()));
        if (!filter) return MakeError(filter.error().code, where + ".filters: " + filter.error().message);
        route.filters.push_back(std::move(*filter));
      }
      config.routes.push_back(std::move(route));
    }
    const auto audit = doc.value("audit", nlohmann::json::object());
    config.audit_jsonl = audit.value("jsonl", "");
    config.audit_log = audit.value("log", "");
    const auto limits = doc.value("limits", nlohmann::json::object());
    config.max_request_bytes = limits.value("max_request_bytes", config.max_request_bytes);
    config.max_response_bytes = limits.value("max_response_bytes", config.max_response_bytes);
    config.header_timeout = std::chrono::milliseconds(limits.value("header_timeout_ms", int64_t{10000}));
    config.upstream_timeout = std::chrono::milliseconds(limits.value("upstream_timeout_ms", int64_t{120000}));
    config.threads = doc.value("threads", 0u);
  } catch (const nlohmann::json::exception& e) {
    return MakeError(ErrorCode::kInvalidArgument, path + ": " + e.what());
  }
  return config;
}

}  // namespace modelguard::gateway
