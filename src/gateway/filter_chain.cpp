#include "src/gateway/filter_chain.h"

#include <boost/asio/use_awaitable.hpp>

#include "src/gateway/log.h"
#include "src/gateway/openai.h"
#include "src/gateway/run_blocking.h"

namespace modelguard::gateway {
namespace {

// A filter that throws (a bug, an allocation failure) must not take the connection down with it: the
// request still gets one answer and one audit event, and every filter that ran still settles.
void LogFilterFailure(const Filter& filter, const char* stage, const char* what) {
  LogEvent("error", "filter failed", {{"filter", filter.name()}, {"stage", stage}, {"error", what}});
}

// The client's answer when a filter failed: a 500 naming the filter, never its exception's text.
Answer FilterFailedAnswer(const Filter& filter) {
  return Answer{500, "filter_failed", std::string("the ") + filter.name() + " filter failed", {}};
}

}  // namespace

boost::asio::awaitable<std::optional<Answer>> Filter::OnRequestAsync(RequestContext& request) {
  co_return OnRequest(request);
}

boost::asio::awaitable<void> Filter::OnResponseAsync(RequestContext& request, ResponseContext& response) {
  OnResponse(request, response);
  co_return;
}

boost::asio::awaitable<std::optional<Answer>> Filter::OnStreamEventAsync(RequestContext& request, StreamEvent& event) {
  co_return OnStreamEvent(request, event);
}

boost::asio::awaitable<RequestChainResult> RunRequestChain(const Route& route, RequestContext& context,
                                                           std::string_view body, bool build_document) {
  RequestChainResult result;
  ChainVerdict& verdict = result.verdict;
  // An empty body is no JSON: refused where a body is expected (it used to reach the upstream unexamined).
  const bool carries_body = context.method == "POST" || context.method == "PUT" || context.method == "PATCH";
  if (route.type != RouteType::kRaw && (!body.empty() || carries_body)) {
    // Strict JSON (including UTF-8) before anything else sees the body: filters and the upstream then
    // agree on what the request says. The document is built only when a filter reads it. The scan accepts exactly what
    // nlohmann::json::parse accepts, except a raw NUL byte: nlohmann takes it for the end of the text and ignores what
    // follows, the upstream would not, and no valid JSON text holds one.
    RequestBodyFacts facts = ScanRequestBody(body);
    if (facts.valid && build_document) {
      context.json = nlohmann::json::parse(body, nullptr, false);
      facts.valid = !context.json.is_discarded();
    }
    if (!facts.valid) {
      verdict.answer = Answer{400, "invalid_request_error", "the request body is not valid JSON (UTF-8)", {}};
    } else if (route.type == RouteType::kOpenAi) {
      if (!facts.object) {
        verdict.answer = Answer{400, "invalid_request_error", "the request body must be a JSON object", {}};
      } else {
        context.model = std::move(facts.model);
        context.stream = facts.stream;
      }
    }
    if (facts.valid && facts.object) {
      context.prompt_tokens = facts.prompt_tokens;
      context.max_tokens = facts.max_tokens;
      context.max_tokens_in_range = facts.max_tokens_in_range;
    }
    if (verdict.answer) {
      verdict.filter = kHttpVerdict;
      verdict.reason = verdict.answer->error_type;
      context.verdicts[kHttpVerdict] = FilterVerdict::Block(verdict.reason);
      co_return result;
    }
  }
  while (result.ran < route.filters.size()) {
    Filter& filter = *route.filters[result.ran++];
    std::optional<std::string> failure;
    try {
      verdict.answer = co_await filter.OnRequestAsync(context);
    } catch (const std::exception& e) {
      failure = e.what();
    }
    if (failure) {  // fail closed; the filter is counted as run, so its OnResponse releases what it holds
      LogFilterFailure(filter, "request", failure->c_str());
      context.verdicts[filter.name()] = FilterVerdict::Error("filter_failed");
      verdict.answer = FilterFailedAnswer(filter);
    }
    if (verdict.answer) {
      verdict.filter = filter.name();
      verdict.reason = verdict.answer->error_type;
      break;
    }
  }
  co_return result;
}

bool NeedsDocument(const Route& route) {
  for (const auto& filter : route.filters) {
    if (filter->reads_document()) return true;
  }
  return false;
}

namespace {

// `event` through filters[start...]. What a filter prepends (held events it has now judged) goes through the
// filters after it before the event itself does, so they see the stream in the client's order; never through
// the filter that produced it, which has judged it already. Each level of recursion starts past the filter
// that prepended, so the depth is bounded by the chain's length. On return, `event.prepend` holds every
// event to send before `event`, each through the whole chain; a refusal keeps those that passed before it.
boost::asio::awaitable<ChainVerdict> RunStreamChainFrom(const std::vector<std::shared_ptr<Filter>>& filters,
                                                        size_t start, RequestContext& context, StreamEvent& event) {
  ChainVerdict verdict;
  std::vector<std::string> ready = std::move(event.prepend);  // passed every filter; the client gets them first
  event.prepend.clear();
  for (size_t i = start; i < filters.size(); ++i) {
    Filter& filter = *filters[i];
    std::optional<std::string> failure;
    try {
      verdict.answer = co_await filter.OnStreamEventAsync(context, event);
    } catch (const std::exception& e) {
      failure = e.what();
    }
    if (failure) {
      LogFilterFailure(filter, "stream", failure->c_str());
      verdict.answer = FilterFailedAnswer(filter);
    }
    // Sent before the event, so judged before it, also when this filter ends the stream after them.
    std::vector<std::string> prepended = std::move(event.prepend);
    event.prepend.clear();
    for (auto& data : prepended) {
      StreamEvent earlier{std::move(data)};
      // Named, not a temporary inside co_await: GCC 12 destroys such temporaries twice.
      ChainVerdict stop = co_await RunStreamChainFrom(filters, i + 1, context, earlier);
      for (auto& passed : earlier.prepend) ready.push_back(std::move(passed));
      if (stop) {
        event.prepend = std::move(ready);
        co_return stop;
      }
      if (!earlier.data.empty()) ready.push_back(std::move(earlier.data));
    }
    if (verdict.answer) {
      verdict.filter = filter.name();
      verdict.reason = verdict.answer->error_type;
      context.verdicts["stream"] = FilterVerdict::Block(verdict.reason);
      break;
    }
    if (event.data.empty()) break;  // held back
  }
  event.prepend = std::move(ready);
  co_return verdict;
}

}  // namespace

boost::asio::awaitable<ChainVerdict> RunStreamChainAsync(const std::vector<std::shared_ptr<Filter>>& filters,
                                                         RequestContext& context, StreamEvent& event) {
  // Named, not a temporary inside co_await: GCC 12 destroys such temporaries twice.
  ChainVerdict verdict = co_await RunStreamChainFrom(filters, 0, context, event);
  co_return verdict;
}

ChainVerdict RunStreamChain(const std::vector<std::shared_ptr<Filter>>& filters, RequestContext& context,
                            StreamEvent& event) {
  boost::asio::io_context loop;
  return RunBlocking(loop, RunStreamChainAsync(filters, context, event));
}

boost::asio::awaitable<std::optional<std::string>> RunResponseChain(const std::vector<std::shared_ptr<Filter>>& filters,
                                                                    size_t count, RequestContext& context,
                                                                    ResponseContext& response) {
  std::optional<std::string> failed;
  for (size_t i = 0; i < count && i < filters.size(); ++i) {
    // One filter failing must not keep the others from settling their reservations.
    std::optional<std::string> failure;
    try {
      co_await filters[i]->OnResponseAsync(context, response);
    } catch (const std::exception& e) {
      failure = e.what();
    }
    if (failure) {
      LogFilterFailure(*filters[i], "response", failure->c_str());
      context.verdicts[filters[i]->name()] = FilterVerdict::Error("filter_failed");
      if (!failed) failed = filters[i]->name();
    }
  }
  co_return failed;
}

nlohmann::ordered_json VerdictsJson(const std::map<std::string, FilterVerdict>& verdicts) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& [name, verdict] : verdicts) out[name] = verdict.ToString();
  return out;
}

}  // namespace modelguard::gateway
