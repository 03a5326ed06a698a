#include "src/gateway/filter_chain.h"

#include <boost/asio/use_awaitable.hpp>

#include "src/gateway/openai.h"

namespace modelguard::gateway {

boost::asio::awaitable<std::optional<Answer>> Filter::OnRequestAsync(RequestContext& request) {
  co_return OnRequest(request);
}

boost::asio::awaitable<void> Filter::OnResponseAsync(RequestContext& request, ResponseContext& response) {
  OnResponse(request, response);
  co_return;
}

boost::asio::awaitable<RequestChainResult> RunRequestChain(const Route& route, RequestContext& context,
                                                           std::string_view body, bool build_document) {
  RequestChainResult result;
  ChainVerdict& verdict = result.verdict;
  if (route.type != RouteType::kRaw && !body.empty()) {
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
    if ((verdict.answer = co_await filter.OnRequestAsync(context))) {
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

ChainVerdict RunStreamChain(const std::vector<std::shared_ptr<Filter>>& filters, RequestContext& context,
                            StreamEvent& event) {
  ChainVerdict verdict;
  for (const auto& filter : filters) {
    if ((verdict.answer = filter->OnStreamEvent(context, event))) {
      verdict.filter = filter->name();
      verdict.reason = verdict.answer->error_type;
      context.verdicts["stream"] = FilterVerdict::Block(verdict.reason);
      break;
    }
  }
  return verdict;
}

boost::asio::awaitable<void> RunResponseChain(const std::vector<std::shared_ptr<Filter>>& filters, size_t count,
                                              RequestContext& context, ResponseContext& response) {
  for (size_t i = 0; i < count && i < filters.size(); ++i) co_await filters[i]->OnResponseAsync(context, response);
}

nlohmann::ordered_json VerdictsJson(const std::map<std::string, FilterVerdict>& verdicts) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& [name, verdict] : verdicts) out[name] = verdict.ToString();
  return out;
}

}  // namespace modelguard::gateway
