#pragma once
// The gateway's filter interface: every request passes the route's filters in order; a filter can let it
// continue (possibly modified) or answer it itself. Filters live in src/gateway/filters/<name>/ and are
// created by name from one registry, configured per route.
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "modelguard/core/result.h"

namespace modelguard::gateway {

struct RequestContext {
  std::string method;
  std::string target;  // path and query
  std::string route;   // the matched route's name
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  // Filled by filters as the request goes; ends up in the audit event.
  std::string key_id;
  std::map<std::string, std::string> verdicts;  // filter name -> "allow" / "block:<reason>" / ...
  std::map<std::string, int64_t> reservations;  // filter name -> amount held until the response settles it
};

struct ResponseContext {
  unsigned status = 0;
  std::string body;
};

struct Answer {  // what a filter says instead of the upstream
  unsigned status = 403;
  std::string error_type;  // OpenAI-style error.type
  std::string message;
  std::map<std::string, std::string> headers;  // e.g. Retry-After
};

class Filter {
 public:
  virtual ~Filter() = default;
  virtual const char* name() const = 0;
  // nullopt: continue; an Answer: stop and send it.
  virtual std::optional<Answer> OnRequest(RequestContext& request) = 0;
  // Called once per request that reached the upstream (or failed trying: status 502), so reservations are
  // always settled.
  virtual void OnResponse(RequestContext&, ResponseContext&) {}
};

// Creates a configured filter by name; Err for unknown names or bad settings (with the key at fault).
Result<std::shared_ptr<Filter>> CreateFilter(const std::string& name, const nlohmann::json& settings);
std::vector<std::string> FilterNames();

}  // namespace modelguard::gateway
