#pragma once
// The gateway's filter interface: every request passes the route's filters in order; a filter can let it
// continue (possibly modified) or answer it itself. Streamed responses (server-sent events) pass each event
// through the same filters as it arrives, so a response filter is never skipped on streams. Filters live in
// src/gateway/filters/<name>/, describe themselves (name, summary, settings schema, factory) and are listed
// in one registry (src/gateway/filters/registry.cpp); docs/extending.md has the checklist.
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "modelguard/core/result.h"
#include "modelguard/gateway/settings.h"

namespace modelguard::gateway {

class LimitStore;
class KeyStore;

struct RequestContext {
  std::string method;
  std::string target;                          // path and query
  std::string route;                           // the matched route's name
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  nlohmann::json json;  // the body parsed once by the core (discarded when the body is not JSON)
  std::string model;    // "model" of an OpenAI-style body
  bool stream = false;  // "stream": true
  // Filled by filters as the request goes; ends up in the audit event.
  std::string key_id;
  std::map<std::string, std::string> verdicts;  // filter name -> "allow" / "block:<reason>" / ...
  std::map<std::string, int64_t> reservations;  // filter name -> amount held until the response settles it
  // Per-request state a filter keeps from OnRequest to its response hooks (filter name -> its own type).
  std::map<std::string, std::shared_ptr<void>> filter_state;
  // Set by a filter that rewrote `body` (redaction, canary): the upstream then gets the new body.
  bool body_changed = false;
};

struct ResponseContext {
  unsigned status = 0;
  std::string body;  // empty for streamed responses
  bool streamed = false;
  std::optional<int64_t> total_tokens;  // from the upstream's usage, or counted from the stream
};

// One server-sent event's data (the "data:" lines joined by '\n'); "[DONE]" ends OpenAI streams.
struct StreamEvent {
  std::string data;
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
  // Each event of a streamed response, in order, before the client sees it. A filter may rewrite
  // `event.data`; an Answer ends the stream with an error event instead.
  virtual std::optional<Answer> OnStreamEvent(RequestContext&, StreamEvent&) { return std::nullopt; }
  // Called once per request that passed this filter, however it ended (upstream answer, later filter's
  // refusal, upstream failure: status 502, client gone), so reservations are always settled.
  virtual void OnResponse(RequestContext&, ResponseContext&) {}
};

// What filters may share across routes and gateway replicas.
struct FilterEnvironment {
  std::shared_ptr<LimitStore> limits;  // never null: in-process unless Redis is configured
  std::shared_ptr<KeyStore> keys;      // the admin API's key store, when configured
  bool limits_fail_open = false;       // limit store unreachable: admit (true) or refuse with 503 (false)
};

// What a filter says about itself: the registry lists one per filter, and the configuration loader, the
// settings reader and the generated reference in docs/gateway.md all read it.
struct FilterDescriptor {
  std::string name;
  std::string summary;  // one line
  SettingsSchema settings;
  // Called with settings the reader has already checked against `settings`.
  Result<std::shared_ptr<Filter>> (*create)(const Settings& settings, const FilterEnvironment& env) = nullptr;
};

// The registry, in reference order (plus any filter a test registered).
std::vector<const FilterDescriptor*> FilterDescriptors();
const FilterDescriptor* FindFilter(std::string_view name);
// Checks `settings` against the filter's schema; errors start with the key path ("jwt.keys[0].alg: ...").
Result<Settings> ReadFilterSettings(const std::string& name, const nlohmann::json& settings);
// Creates a configured filter by name; Err for unknown names or bad settings (with the key at fault).
Result<std::shared_ptr<Filter>> CreateFilter(const std::string& name, const nlohmann::json& settings,
                                             const FilterEnvironment& env);
std::vector<std::string> FilterNames();
// The filter reference of docs/gateway.md (between its "filter-reference" markers), from the descriptors.
std::string FilterReferenceMarkdown();

// Adds a filter to the registry while it lives: lets a test follow docs/extending.md without shipping the
// filter. Not for production code; not thread-safe against concurrent configuration loads.
class ScopedTestFilter {
 public:
  explicit ScopedTestFilter(const FilterDescriptor* descriptor);
  ~ScopedTestFilter();
  ScopedTestFilter(const ScopedTestFilter&) = delete;
  ScopedTestFilter& operator=(const ScopedTestFilter&) = delete;

 private:
  const FilterDescriptor* descriptor_;
};

}  // namespace modelguard::gateway
