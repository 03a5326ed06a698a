#pragma once
// The gateway's filter interface: every request passes the route's filters in order; a filter can let it
// continue (possibly modified) or answer it itself. Streamed responses (server-sent events) pass each event
// through the same filters as it arrives, so a response filter is never skipped on streams. Filters live in
// src/gateway/filters/<name>/, describe themselves (name, summary, settings schema, factory) and are listed
// in one registry (src/gateway/filters/registry.cpp); docs/extending.md has the checklist.
#include <utility>  // first: Boost 1.74's Asio uses std::exchange without including it

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "modelguard/core/result.h"
#include "modelguard/gateway/settings.h"

namespace modelguard::gateway {

class LimitStore;
class KeyStore;

// What one filter (or the core: "http", "stream", "upstream", "client") decided about a request. Typed, so
// the core never parses its own strings back; ToString() is the audit event's and the metrics' spelling:
// "allow", "gone", or "<kind>:<reason>".
struct FilterVerdict {
  enum class Kind { kAllow, kBlock, kFlag, kModify, kError, kGone };
  Kind kind = Kind::kAllow;
  std::string reason;  // the error type (block), the alarm (flag), what changed (modify), what failed (error)

  static FilterVerdict Allow() { return {}; }
  static FilterVerdict Block(std::string reason) { return {Kind::kBlock, std::move(reason)}; }
  static FilterVerdict Flag(std::string reason) { return {Kind::kFlag, std::move(reason)}; }
  static FilterVerdict Modify(std::string reason) { return {Kind::kModify, std::move(reason)}; }
  static FilterVerdict Error(std::string reason) { return {Kind::kError, std::move(reason)}; }
  static FilterVerdict Gone() { return {Kind::kGone, {}}; }

  std::string ToString() const {
    switch (kind) {
      case Kind::kAllow:
        return "allow";
      case Kind::kGone:
        return "gone";
      case Kind::kBlock:
        return "block:" + reason;
      case Kind::kFlag:
        return "flag:" + reason;
      case Kind::kModify:
        return "modify:" + reason;
      case Kind::kError:
        return "error:" + reason;
    }
    return "allow";
  }
  friend bool operator==(const FilterVerdict&, const FilterVerdict&) = default;
  // Tests and logs compare with the audit spelling.
  friend bool operator==(const FilterVerdict& verdict, std::string_view text) { return verdict.ToString() == text; }
  friend std::ostream& operator<<(std::ostream& out, const FilterVerdict& verdict) { return out << verdict.ToString(); }
};

// One judged tool call (the tools filter), for the audit event's "tools" member: never the arguments
// themselves, which may hold what the call would leak; their SHA-256 joins the event to a copy kept elsewhere.
struct ToolDecision {
  std::string tool;
  std::string arguments_sha256;  // hex, of the arguments text as the model wrote it
  std::string decision;          // "allow", "deny", "approved", "denied", "timeout", "block_output", "warn_output"
  std::string rule;              // what decided: "tools.read_file.arguments[0]", "declared", "approval"...
};

// The watermark filter's score of an answer (Kirchenbauer et al. green lists), for the audit event's
// "watermark" member: numbers only, never the text.
struct WatermarkScore {
  uint64_t scored = 0;  // tokens scored
  uint64_t green = 0;   // of them on their green list
  double z = 0;
  double p_value = 1;
  bool detected = false;  // z at or above the filter's threshold
  bool complete = true;   // false: the answer was longer than the filter reads; the score covers its start
};

struct RequestContext {
  std::string method;
  std::string target;  // path and query
  std::string route;   // the matched route's name
  // 32 random hex digits, fresh for every request: sent upstream and to the client as X-Request-Id and
  // recorded as the audit event's request_id, so a label that arrives later (monitor label) finds its event.
  std::string request_id;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  // The body parsed once by the core, when a filter of the route reads it (Filter::reads_document);
  // discarded when the body is not JSON.
  nlohmann::json json;
  std::string model;    // "model" of an OpenAI-style body
  bool stream = false;  // "stream": true
  // Read by the core from a JSON object body (JSON and OpenAI routes), document or not: the prompt's
  // estimated tokens and the output cap the request sets (max_tokens and its aliases), see openai.h.
  std::optional<int64_t> prompt_tokens;
  std::optional<int64_t> max_tokens;
  bool max_tokens_in_range = true;  // false: a cap field is not null or a whole number from 1 to 2^31-1
  // Filled by filters as the request goes; ends up in the audit event.
  std::string key_id;
  std::map<std::string, FilterVerdict> verdicts;  // filter name -> its verdict
  // The guard's assessment for the audit event's signals (numbers only): the highest attack score and the
  // highest score per category over the messages it classified. Unset/empty when the guard classified none.
  std::optional<double> guard_score;
  std::map<std::string, double> guard_scores;
  std::map<std::string, int64_t> reservations;  // filter name -> amount held until the response settles it
  // Every tool call and tool output the tools filter judged, in order.
  std::vector<ToolDecision> tool_decisions;
  // The watermark filter's score of the answer, when it scored one.
  std::optional<WatermarkScore> watermark;
  // Per-request state a filter keeps from OnRequest to its response hooks (filter name -> its own type).
  std::map<std::string, std::shared_ptr<void>> filter_state;
  // Set by a filter that rewrote `body` (redaction, canary): the upstream then gets the new body.
  bool body_changed = false;
  // Header fields (lower-case) that carried the client's credential for the gateway itself: the core never
  // forwards them upstream, where they would leak the gateway key to the model provider.
  std::vector<std::string> gateway_credentials;
};

struct ResponseContext {
  unsigned status = 0;
  std::string body;  // empty for streamed responses
  bool streamed = false;
  std::optional<int64_t> total_tokens;  // from the upstream's usage, or counted from the stream
  // Header fields a response filter adds to a whole answer (a stream's head is sent before its body).
  std::map<std::string, std::string> headers = {};
};

// One server-sent event's data (the "data:" lines joined by '\n'); "[DONE]" ends OpenAI streams.
struct StreamEvent {
  std::string data;  // a filter that empties it holds the event back: the client gets nothing for it
  // Events a filter sends before this one (data of each): what it held back and has now judged. They pass
  // the filters after it in the chain (not the filter itself), in order and before this event, each of
  // which may hold, rewrite or refuse them as any event; filters before it never see them.
  std::vector<std::string> prepend = {};
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
  // Whether OnRequest reads RequestContext::json. Building the document costs more than the rest of a
  // small request's trip through the proxy, so filters that only need the facts the core reads anyway
  // (model, stream, prompt_tokens, max_tokens) say no.
  virtual bool reads_document() const { return true; }
  // nullopt: continue; an Answer: stop and send it.
  virtual std::optional<Answer> OnRequest(RequestContext& request) = 0;
  // Each event of a streamed response, in order, before the client sees it. A filter may rewrite
  // `event.data`; an Answer ends the stream with an error event instead.
  virtual std::optional<Answer> OnStreamEvent(RequestContext&, StreamEvent&) { return std::nullopt; }
  // Called once per request that passed this filter, however it ended (upstream answer, later filter's
  // refusal, upstream failure: status 502, client gone), so reservations are always settled.
  virtual void OnResponse(RequestContext&, ResponseContext&) {}

  // What the gateway calls, on the event loop of the client's connection. A filter that waits for
  // something outside the process (a limit store shared through Redis) overrides these, so the loop
  // serves other connections meanwhile; its synchronous forms then run these to completion on a loop of
  // their own (RunBlocking), for callers that have none. The defaults run the synchronous forms.
  virtual boost::asio::awaitable<std::optional<Answer>> OnRequestAsync(RequestContext& request);
  virtual boost::asio::awaitable<void> OnResponseAsync(RequestContext& request, ResponseContext& response);
  // A stream event, for a filter that waits while judging it (a tool call held for a person's approval).
  virtual boost::asio::awaitable<std::optional<Answer>> OnStreamEventAsync(RequestContext& request, StreamEvent& event);
};

class ApprovalBoard;

// What filters may share across routes and gateway replicas.
struct FilterEnvironment {
  std::shared_ptr<LimitStore> limits;  // never null: in-process unless Redis is configured
  std::shared_ptr<KeyStore> keys;      // the admin API's key store, when configured
  bool limits_fail_open = false;       // limit store unreachable: admit (true) or refuse with 503 (false)
  // Tool calls waiting for a person (the admin API's /admin/pending); null: each filter keeps its own.
  std::shared_ptr<ApprovalBoard> approvals = nullptr;
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
