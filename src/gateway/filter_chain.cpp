#include "src/gateway/filter_chain.h"

#include "src/gateway/openai.h"

namespace modelguard::gateway {

RequestChainResult RunRequestChain(const Route& route, RequestContext& context, std::string_view body, bool parsed) {
  RequestChainResult result;
  ChainVerdict& verdict = result.verdict;
  if (route.type != RouteType::kRaw && !body.empty()) {
    // Strict JSON (including UTF-8) before anything else sees the body: filters and the upstream then
    // agree on what the request says. A route without filters only needs it checked, not built.
    RequestBodyFacts facts;
    if (!parsed) {
      facts = ScanRequestBody(body);
    } else {
      context.json = nlohmann::json::parse(body, nullptr, false);
      // nlohmann takes a NUL byte for the end of the text and ignores what follows; the upstream would
      // not. No valid JSON text holds a raw NUL (not in strings, not as whitespace), so it is refused.
      facts.valid = !context.json.is_discarded() && body.find('\0') == std::string_view::npos;
      facts.object = context.json.is_object();
      if (facts.object) {
        if (auto m = context.json.find("model"); m != context.json.end() && m->is_string())
          facts.model = m->get<std::string>();
        if (auto s = context.json.find("stream"); s != context.json.end() && s->is_boolean())
          facts.stream = s->get<bool>();
      }
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
    if (verdict.answer) {
      verdict.filter = kHttpVerdict;
      verdict.reason = verdict.answer->error_type;
      context.verdicts[kHttpVerdict] = FilterVerdict::Block(verdict.reason);
      return result;
    }
  }
  while (result.ran < route.filters.size()) {
    Filter& filter = *route.filters[result.ran++];
    if ((verdict.answer = filter.OnRequest(context))) {
      verdict.filter = filter.name();
      verdict.reason = verdict.answer->error_type;
      break;
    }
  }
  return result;
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

void RunResponseChain(const std::vector<std::shared_ptr<Filter>>& filters, size_t count, RequestContext& context,
                      ResponseContext& response) {
  for (size_t i = 0; i < count && i < filters.size(); ++i) filters[i]->OnResponse(context, response);
}

nlohmann::ordered_json VerdictsJson(const std::map<std::string, FilterVerdict>& verdicts) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& [name, verdict] : verdicts) out[name] = verdict.ToString();
  return out;
}

}  // namespace modelguard::gateway
