// The filter chain on its own: typed refusals (who refused, why), the core's body checks as the "http"
// verdict, stream and response hooks (events a filter prepends pass the filters after it), and the audit
// event's verdicts object, spelled as it always was.
#include "src/gateway/filter_chain.h"
#include "modelguard/gateway/limits.h"
#include "src/gateway/run_blocking.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace modelguard::gateway {
namespace {

// A filter that records its calls and refuses (on request or on stream events) when told to.
class Scripted final : public Filter {
 public:
  Scripted(std::string name, std::optional<Answer> on_request, std::optional<Answer> on_event = std::nullopt)
      : name_(std::move(name)), on_request_(std::move(on_request)), on_event_(std::move(on_event)) {}
  const char* name() const override { return name_.c_str(); }
  std::optional<Answer> OnRequest(RequestContext& request) override {
    ++requests;
    request.verdicts[name_] = on_request_ ? FilterVerdict::Block(on_request_->error_type) : FilterVerdict::Allow();
    return on_request_;
  }
  std::optional<Answer> OnStreamEvent(RequestContext&, StreamEvent& event) override {
    ++events;
    if (!on_event_) event.data += "+" + name_;
    return on_event_;
  }
  void OnResponse(RequestContext&, ResponseContext&) override { ++responses; }
  int requests = 0, events = 0, responses = 0;

 private:
  std::string name_;
  std::optional<Answer> on_request_, on_event_;
};

Route MakeRoute(RouteType type, std::vector<std::shared_ptr<Filter>> filters) {
  Route route;
  route.name = "r";
  route.path = "/v1/*";
  route.type = type;
  route.filters = std::move(filters);
  return route;
}

// A filter that throws at one stage, as a buggy filter would.
class Throwing final : public Filter {
 public:
  explicit Throwing(std::string stage) : stage_(std::move(stage)) {}
  const char* name() const override { return "throwing"; }
  std::optional<Answer> OnRequest(RequestContext&) override { return Maybe("request"); }
  std::optional<Answer> OnStreamEvent(RequestContext&, StreamEvent&) override { return Maybe("stream"); }
  void OnResponse(RequestContext&, ResponseContext&) override { (void)Maybe("response"); }

 private:
  std::optional<Answer> Maybe(const char* stage) {
    if (stage_ == stage) throw std::runtime_error(std::string("injected failure at ") + stage);
    return std::nullopt;
  }
  std::string stage_;
};

// Whatever stage a filter fails at, the request gets an answer (a typed 500 when it is the request stage),
// and the budget the filter before it reserved is released: a second request of the same size fits.
TEST(FilterChain, AFailingFilterStillAnswersAndEveryReservationIsReleased) {
  for (const std::string stage : {"request", "stream", "response"}) {
    SCOPED_TRACE(stage);
    auto store = MakeMemoryLimitStore();
    auto budget = CreateFilter("token_budget", {{"tokens", 20}, {"default_max_tokens", 10}},
                               FilterEnvironment{store, nullptr, false});
    ASSERT_TRUE(budget.ok());
    const Route route = MakeRoute(RouteType::kOpenAi, {*budget, std::make_shared<Throwing>(stage),
                                                       std::make_shared<Scripted>("after", std::nullopt)});
    const std::string body =
        R"({"model":"m","max_tokens":10,"messages":[{"role":"user","content":"0123456789abcdef"}]})";
    RequestContext context;
    context.route = "r";
    context.body = body;
    RequestChainResult result;
    ASSERT_NO_THROW(result = RunBlocking(RunRequestChain(route, context, body, false)));
    ResponseContext response{200, "{}", false, 15};
    if (stage == "request") {
      ASSERT_TRUE(result.verdict);
      EXPECT_EQ(result.verdict.answer->status, 500u);
      EXPECT_EQ(result.verdict.filter, "throwing");
      EXPECT_EQ(result.verdict.reason, "filter_failed");
      EXPECT_EQ(context.verdicts["throwing"], "error:filter_failed");
      EXPECT_EQ(result.ran, 2u);  // the failed filter counts as run: it gets OnResponse too
      response.status = 500;
      response.total_tokens = std::nullopt;
    } else {
      ASSERT_FALSE(result.verdict);
    }
    if (stage == "stream") {
      StreamEvent event{"{}"};
      const ChainVerdict ended = RunStreamChain(route.filters, context, event);
      ASSERT_TRUE(ended);
      EXPECT_EQ(ended.filter, "throwing");
      EXPECT_EQ(ended.reason, "filter_failed");
    }
    ASSERT_NO_THROW(RunBlocking(RunResponseChain(route.filters, result.ran, context, response)));
    EXPECT_TRUE(context.reservations.empty());
    // 20 tokens of budget: the 15 reserved are settled (to 15 used when the answer was a success, else 0),
    // so what is left is exact.
    const int64_t left = response.status < 300 ? 5 : 20;
    EXPECT_TRUE(*store->Reserve("route:r", left, 20, 3600));  // token_budget's default window
    EXPECT_FALSE(*store->Reserve("route:r", 1, 20, 3600));
  }
}

TEST(FilterChain, AnEmptyBodyIsRefusedWhereABodyIsExpected) {
  auto filter = std::make_shared<Scripted>("f", std::nullopt);
  for (const RouteType type : {RouteType::kOpenAi, RouteType::kJson}) {
    for (const char* method : {"POST", "PUT", "PATCH"}) {
      RequestContext context;
      context.method = method;
      const auto result = RunBlocking(RunRequestChain(MakeRoute(type, {filter}), context, "", true));
      ASSERT_TRUE(result.verdict) << method;
      EXPECT_EQ(result.verdict.answer->status, 400u);
      EXPECT_EQ(result.verdict.filter, kHttpVerdict);
    }
    RequestContext get;  // GET /v1/models and the like carry no body
    get.method = "GET";
    EXPECT_FALSE(RunBlocking(RunRequestChain(MakeRoute(type, {filter}), get, "", true)).verdict);
  }
  RequestContext raw;
  raw.method = "POST";
  EXPECT_FALSE(RunBlocking(RunRequestChain(MakeRoute(RouteType::kRaw, {filter}), raw, "", true)).verdict);
  EXPECT_EQ(filter->requests, 3);  // the two GETs and the raw route's POST reached the filter
}

TEST(FilterChain, RefusalNamesTheFilterAndReasonAndStopsTheChain) {
  auto first = std::make_shared<Scripted>("first", std::nullopt);
  auto refuses = std::make_shared<Scripted>("refuses", Answer{429, "rate_limit_exceeded", "slow down", {}});
  auto never = std::make_shared<Scripted>("never", std::nullopt);
  const Route route = MakeRoute(RouteType::kJson, {first, refuses, never});
  RequestContext context;
  const std::string body = R"({"model":"m"})";
  const auto result = RunBlocking(RunRequestChain(route, context, body, true));
  ASSERT_TRUE(result.verdict);
  EXPECT_EQ(result.verdict.filter, "refuses");
  EXPECT_EQ(result.verdict.reason, "rate_limit_exceeded");
  EXPECT_EQ(result.verdict.answer->status, 429u);
  EXPECT_EQ(result.ran, 2u);
  EXPECT_EQ(never->requests, 0);
  EXPECT_EQ(context.verdicts["first"], "allow");
  EXPECT_EQ(context.verdicts["refuses"], FilterVerdict::Block("rate_limit_exceeded"));
  EXPECT_EQ(context.json["model"], "m");  // parsed for the filters
  // Only the filters that saw the request settle it.
  ResponseContext refused{429, "", false, std::nullopt};
  RunBlocking(RunResponseChain(route.filters, result.ran, context, refused));
  EXPECT_EQ(first->responses, 1);
  EXPECT_EQ(refuses->responses, 1);
  EXPECT_EQ(never->responses, 0);
}

TEST(FilterChain, TwoFiltersRefusingForTheSameReasonAreToldApart) {
  // The old core found the refusing filter by searching the verdict strings for "block:<reason>"; with
  // two filters giving the same reason, the typed verdict still names the one that answered.
  auto a = std::make_shared<Scripted>("a_budget", std::nullopt);
  auto b = std::make_shared<Scripted>("b_limit", Answer{503, "limits_unavailable", "down", {}});
  RequestContext context;
  context.verdicts["z_other"] = FilterVerdict::Block("limits_unavailable");
  const auto result = RunBlocking(RunRequestChain(MakeRoute(RouteType::kRaw, {a, b}), context, "", false));
  ASSERT_TRUE(result.verdict);
  EXPECT_EQ(result.verdict.filter, "b_limit");
}

TEST(FilterChain, BodyChecksRefuseAsHttpBeforeAnyFilter) {
  auto filter = std::make_shared<Scripted>("f", std::nullopt);
  for (const bool parsed : {false, true}) {
    RequestContext context;
    const auto bad_json =
        RunBlocking(RunRequestChain(MakeRoute(RouteType::kJson, {filter}), context, "{\"a\":", parsed));
    ASSERT_TRUE(bad_json.verdict);
    EXPECT_EQ(bad_json.verdict.filter, "http");
    EXPECT_EQ(bad_json.verdict.reason, "invalid_request_error");
    EXPECT_EQ(bad_json.verdict.answer->status, 400u);
    EXPECT_EQ(bad_json.ran, 0u);
    EXPECT_EQ(context.verdicts["http"], "block:invalid_request_error");
  }
  EXPECT_EQ(filter->requests, 0);
  // A NUL byte ends the text for nlohmann but not for the upstream: refused either way.
  RequestContext nul;
  EXPECT_TRUE(
      RunBlocking(RunRequestChain(MakeRoute(RouteType::kJson, {filter}), nul, std::string("{}\0{}", 5), true)).verdict);
  // OpenAI routes need an object; its model and stream reach the context.
  RequestContext array;
  const auto not_object = RunBlocking(RunRequestChain(MakeRoute(RouteType::kOpenAi, {}), array, "[1]", false));
  ASSERT_TRUE(not_object.verdict);
  EXPECT_EQ(not_object.verdict.answer->message, "the request body must be a JSON object");
  RequestContext chat;
  EXPECT_FALSE(
      RunBlocking(RunRequestChain(MakeRoute(RouteType::kOpenAi, {}), chat, R"({"model":"m","stream":true})", false))
          .verdict);
  EXPECT_EQ(chat.model, "m");
  EXPECT_TRUE(chat.stream);
  EXPECT_TRUE(chat.verdicts.empty());
  // Raw routes pass any bytes to their filters.
  RequestContext raw;
  EXPECT_FALSE(RunBlocking(RunRequestChain(MakeRoute(RouteType::kRaw, {filter}), raw, "\xff not json", true)).verdict);
  EXPECT_EQ(filter->requests, 1);
}

TEST(FilterChain, StreamEventStopsAtTheFirstRefusalAndRecordsTheStreamVerdict) {
  auto rewrites = std::make_shared<Scripted>("rewrites", std::nullopt);
  auto stops = std::make_shared<Scripted>("stops", std::nullopt, Answer{403, "canary_leak", "leak", {}});
  auto after = std::make_shared<Scripted>("after", std::nullopt);
  RequestContext context;
  StreamEvent event{"x"};
  std::vector<std::shared_ptr<Filter>> filters{rewrites, stops, after};
  const ChainVerdict stop = RunStreamChain(filters, context, event);
  ASSERT_TRUE(stop);
  EXPECT_EQ(stop.filter, "stops");
  EXPECT_EQ(stop.reason, "canary_leak");
  EXPECT_EQ(event.data, "x+rewrites");
  EXPECT_EQ(after->events, 0);
  EXPECT_EQ(context.verdicts["stream"], "block:canary_leak");
  StreamEvent clean{"y"};
  std::vector<std::shared_ptr<Filter>> passing{rewrites, after};
  EXPECT_FALSE(RunStreamChain(passing, context, clean));
  EXPECT_EQ(clean.data, "y+rewrites+after");
}

// Holds back every event it is sent and, at "[DONE]" (as rewritten by the filters before it), prepends what
// it held, marked as judged by it: as the tools filter sends the calls it held. With `always`: holds nothing
// and prepends a note before every event.
class Holding final : public Filter {
 public:
  explicit Holding(std::string name, bool always = false) : name_(std::move(name)), always_(always) {}
  const char* name() const override { return name_.c_str(); }
  std::optional<Answer> OnRequest(RequestContext&) override { return std::nullopt; }
  std::optional<Answer> OnStreamEvent(RequestContext&, StreamEvent& event) override {
    seen.push_back(event.data);
    if (always_) {
      event.prepend.push_back("(" + name_ + " before " + event.data + ")");
      return std::nullopt;
    }
    if (event.data.rfind("[DONE]", 0) != 0) {
      held_.push_back(event.data);
      event.data.clear();
      return std::nullopt;
    }
    for (auto& data : held_) event.prepend.push_back(data + "+" + name_);
    held_.clear();
    return std::nullopt;
  }
  std::vector<std::string> seen;

 private:
  std::string name_;
  bool always_;
  std::vector<std::string> held_;
};

TEST(FilterChain, PrependedEventsPassTheFiltersAfterTheOneThatPrependedThem) {
  auto before = std::make_shared<Scripted>("before", std::nullopt);
  auto holding = std::make_shared<Holding>("tools");
  auto after = std::make_shared<Scripted>("after", std::nullopt);
  std::vector<std::shared_ptr<Filter>> filters{before, holding, after};
  RequestContext context;
  StreamEvent call{"call"};
  EXPECT_FALSE(RunStreamChain(filters, context, call));
  EXPECT_TRUE(call.data.empty());
  EXPECT_TRUE(call.prepend.empty());
  EXPECT_EQ(after->events, 0);  // held back: the filters after it do not see it yet
  StreamEvent done{"[DONE]"};
  EXPECT_FALSE(RunStreamChain(filters, context, done));
  // The held event went through `after` (once, before [DONE]), not again through `before` or `tools`.
  EXPECT_EQ(done.prepend, std::vector<std::string>{"call+before+tools+after"});
  EXPECT_EQ(done.data, "[DONE]+before+after");
  EXPECT_EQ(before->events, 2);
  EXPECT_EQ(holding->seen, (std::vector<std::string>{"call+before", "[DONE]+before"}));
  EXPECT_EQ(after->events, 2);

  // A filter after it refuses a prepended event: the stream ends there, the refused event is not sent, the
  // event it came before goes no further.
  auto leak = std::make_shared<Holding>("tools");
  auto stops = std::make_shared<Scripted>("guard", std::nullopt, Answer{403, "canary_leak", "leak", {}});
  std::vector<std::shared_ptr<Filter>> guarded{leak, stops};
  RequestContext leaking;
  StreamEvent secret{"secret"};
  EXPECT_FALSE(RunStreamChain(guarded, leaking, secret));
  EXPECT_EQ(stops->events, 0);
  StreamEvent end{"[DONE]"};
  const ChainVerdict stop = RunStreamChain(guarded, leaking, end);
  ASSERT_TRUE(stop);
  EXPECT_EQ(stop.filter, "guard");
  EXPECT_EQ(stop.reason, "canary_leak");
  EXPECT_TRUE(end.prepend.empty());
  EXPECT_EQ(stops->events, 1);  // the prepended event only: [DONE] never reached it
  EXPECT_EQ(leaking.verdicts["stream"], "block:canary_leak");

  // Filters that prepend on every event, twice in a chain: each prepended event passes only the filters after
  // the one that made it (no filter sees its own again, so no endless loop), in the client's order.
  auto first = std::make_shared<Holding>("a", true);
  auto second = std::make_shared<Holding>("b", true);
  std::vector<std::shared_ptr<Filter>> chatty{first, second};
  RequestContext context2;
  StreamEvent event{"e"};
  EXPECT_FALSE(RunStreamChain(chatty, context2, event));
  EXPECT_EQ(event.prepend, (std::vector<std::string>{"(b before (a before e))", "(a before e)", "(b before e)"}));
  EXPECT_EQ(event.data, "e");
  EXPECT_EQ(first->seen, std::vector<std::string>{"e"});
  EXPECT_EQ(second->seen, (std::vector<std::string>{"(a before e)", "e"}));
}

TEST(FilterVerdictText, SpellsEveryKindAsTheAuditEventAlwaysDid) {
  EXPECT_EQ(FilterVerdict::Allow().ToString(), "allow");
  EXPECT_EQ(FilterVerdict::Block("rate_limit_exceeded").ToString(), "block:rate_limit_exceeded");
  EXPECT_EQ(FilterVerdict::Flag("pii.email,pii.iban").ToString(), "flag:pii.email,pii.iban");
  EXPECT_EQ(FilterVerdict::Modify("top_logprobs_capped").ToString(), "modify:top_logprobs_capped");
  EXPECT_EQ(FilterVerdict::Error("stream_timeout").ToString(), "error:stream_timeout");
  EXPECT_EQ(FilterVerdict::Gone().ToString(), "gone");
  EXPECT_EQ(FilterVerdict::Block("").ToString(), "block:");
  EXPECT_FALSE(FilterVerdict::Block("a") == FilterVerdict::Flag("a"));
}

TEST(FilterVerdictText, VerdictsJsonIsByteIdenticalToTheStringMap) {
  std::map<std::string, FilterVerdict> typed{{"rate_limit", FilterVerdict::Allow()},
                                             {"guard", FilterVerdict::Flag("pii.email")},
                                             {"api_key", FilterVerdict::Block("invalid_api_key")},
                                             {"upstream", FilterVerdict::Error("stream_broken")},
                                             {"client", FilterVerdict::Gone()},
                                             {"output_hardening", FilterVerdict::Modify("label")}};
  std::map<std::string, std::string> strings;
  for (const auto& [name, verdict] : typed) strings[name] = verdict.ToString();
  nlohmann::ordered_json old_event, new_event;
  old_event["verdicts"] = strings;  // what the audit event held before verdicts were typed
  new_event["verdicts"] = VerdictsJson(typed);
  EXPECT_EQ(new_event.dump(), old_event.dump());
  EXPECT_EQ(new_event.dump(),
            R"({"verdicts":{"api_key":"block:invalid_api_key","client":"gone","guard":"flag:pii.email",)"
            R"("output_hardening":"modify:label","rate_limit":"allow","upstream":"error:stream_broken"}})");
  nlohmann::ordered_json old_empty, new_empty;
  old_empty["verdicts"] = std::map<std::string, std::string>{};
  new_empty["verdicts"] = VerdictsJson({});
  EXPECT_EQ(new_empty.dump(), old_empty.dump());
}

}  // namespace
}  // namespace modelguard::gateway
