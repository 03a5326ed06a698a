#pragma once
// A route's filter chain as the core runs it: the core's own body checks, then each filter's OnRequest in
// order; each stream event through the filters' OnStreamEvent; every response through the OnResponse of
// the filters that saw the request. A refusal comes back typed (who refused and why), so the metrics
// and the audit event never read it back out of a verdict string.
#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "modelguard/gateway/filter.h"
#include "modelguard/gateway/gateway.h"

namespace modelguard::gateway {

// The verdict key of the core's own checks on the request (framing, method, body), as in the audit event.
inline constexpr const char* kHttpVerdict = "http";

struct ChainVerdict {
  std::optional<Answer> answer;  // set: the request stops here and the client gets this answer
  std::string filter;            // who answered: a filter's name, or kHttpVerdict for the body checks
  std::string reason;            // the answer's error type: the metrics' and the audit verdict's reason
  explicit operator bool() const { return answer.has_value(); }
};

struct RequestChainResult {
  ChainVerdict verdict;
  size_t ran = 0;  // filters whose OnRequest ran: they, and only they, get OnResponse
};

// Body checks, then the route's filters. Non-raw routes need a body that is strict JSON (UTF-8, no NUL);
// OpenAI routes a JSON object, whose "model" and "stream" land in the context; a JSON object's prompt
// estimate and output cap land there on every non-raw route. `build_document`: a filter reads
// `context.json` (NeedsDocument). Awaits the filters that wait on I/O (see Filter::OnRequestAsync); `body`
// must stay alive until it ends.
boost::asio::awaitable<RequestChainResult> RunRequestChain(const Route& route, RequestContext& context,
                                                           std::string_view body, bool build_document);
// Whether any of the route's filters reads the request document.
bool NeedsDocument(const Route& route);

// One stream event through the filters, in order, until one ends the stream; that one's refusal is
// recorded as the "stream" verdict. A filter that holds the event back (empties its data) ends its trip.
// What a filter sends in StreamEvent::prepend passes the filters after it (not itself), each able to hold,
// rewrite or refuse it, before the event goes on; on return `event.prepend` lists what to send before
// `event`, each through the whole chain (those that passed before a refusal included).
boost::asio::awaitable<ChainVerdict> RunStreamChainAsync(const std::vector<std::shared_ptr<Filter>>& filters,
                                                         RequestContext& context, StreamEvent& event);
// The same for callers without an event loop (tests), on a loop of its own.
ChainVerdict RunStreamChain(const std::vector<std::shared_ptr<Filter>>& filters, RequestContext& context,
                            StreamEvent& event);

// The response through the first `count` filters' OnResponse (each may replace the answer). A filter that
// fails does not keep the others from settling; the name of the first that failed is returned, so a whole
// answer it could not examine is replaced rather than passed on unchecked.
boost::asio::awaitable<std::optional<std::string>> RunResponseChain(const std::vector<std::shared_ptr<Filter>>& filters,
                                                                    size_t count, RequestContext& context,
                                                                    ResponseContext& response);

// The audit event's "verdicts" object: filter name -> verdict string, in name order.
nlohmann::ordered_json VerdictsJson(const std::map<std::string, FilterVerdict>& verdicts);

}  // namespace modelguard::gateway
