// Gateway filters and the audit chain in isolation: what each filter decides for a request, reservations
// settling to usage, and which edits of an audit file the chain catches.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "modelguard/gateway/audit.h"
#include "modelguard/gateway/filter.h"
#include "modelguard/gateway/limits.h"
#include "src/gateway/filters/api_key/api_key_filter.h"
#include "src/gateway/openai.h"

namespace modelguard::gateway {
namespace {
namespace fs = std::filesystem;

RequestContext Request(const std::string& route, const std::string& body = "{}") {
  RequestContext r;
  r.route = route;
  r.body = body;
  r.json = nlohmann::json::parse(body, nullptr, false);
  // What the core reads from every JSON object body before the filters run (RunRequestChain).
  if (const auto facts = ScanRequestBody(body); facts.valid && facts.object) {
    r.prompt_tokens = facts.prompt_tokens;
    r.max_tokens = facts.max_tokens;
    r.max_tokens_in_range = facts.max_tokens_in_range;
  }
  return r;
}

FilterEnvironment Env() { return FilterEnvironment{MakeMemoryLimitStore(), nullptr, false}; }
Result<std::shared_ptr<Filter>> Make(const std::string& name, const nlohmann::json& settings,
                                     const FilterEnvironment& env = Env()) {
  return CreateFilter(name, settings, env);
}

TEST(ApiKeyFilter, ChecksHashScopeRevocationAndExpiry) {
  auto filter = Make("api_key", {{"keys",
                                  {{{"id", "a"}, {"sha256", HashApiKey("secret-a")}},
                                   {{"id", "b"}, {"sha256", HashApiKey("secret-b")}, {"routes", {"predict"}}},
                                   {{"id", "c"}, {"sha256", HashApiKey("secret-c")}, {"expires", 1}}}}});
  ASSERT_TRUE(filter.ok()) << filter.error().message;
  auto with = [](const std::string& header, const std::string& value, const std::string& route) {
    RequestContext r = Request(route);
    r.headers[header] = value;
    return r;
  };
  auto ok = with("authorization", "Bearer secret-a", "chat");
  EXPECT_FALSE((*filter)->OnRequest(ok).has_value());
  EXPECT_EQ(ok.key_id, "a");
  auto x_api_key = with("x-api-key", "secret-b", "predict");
  EXPECT_FALSE((*filter)->OnRequest(x_api_key).has_value());
  auto scoped = with("x-api-key", "secret-b", "chat");
  EXPECT_EQ((*filter)->OnRequest(scoped)->status, 403u);
  auto expired = with("x-api-key", "secret-c", "chat");
  EXPECT_EQ((*filter)->OnRequest(expired)->status, 401u);
  auto wrong = with("authorization", "Bearer secret-x", "chat");
  EXPECT_EQ((*filter)->OnRequest(wrong)->error_type, "invalid_api_key");
  auto none = Request("chat");
  EXPECT_EQ((*filter)->OnRequest(none)->error_type, "missing_api_key");
  // Configuration errors name what is wrong.
  auto bad = Make("api_key", {{"keys", {{{"id", "a"}, {"sha256", "XYZ"}}}}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("api_key.keys[0].sha256"), std::string::npos);
  EXPECT_FALSE(Make("no_such_filter", {}).ok());
}

TEST(RateLimitFilter, AllowsTheBurstThenRefusesWithRetryAfter) {
  auto filter = Make("rate_limit", {{"requests_per_second", 0.01}, {"burst", 2}});
  ASSERT_TRUE(filter.ok());
  for (int i = 0; i < 2; ++i) {
    auto r = Request("chat");
    EXPECT_FALSE((*filter)->OnRequest(r).has_value()) << i;
  }
  auto r = Request("chat");
  auto answer = (*filter)->OnRequest(r);
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->status, 429u);
  EXPECT_EQ(answer->headers.at("Retry-After"), "100");
  // Another key has its own bucket.
  auto other = Request("chat");
  other.key_id = "other";
  EXPECT_FALSE((*filter)->OnRequest(other).has_value());
}

TEST(TokenBudgetFilter, ReservesTheWorstCaseAndSettlesToUsage) {
  auto filter = Make("token_budget", {{"tokens", 30}, {"default_max_tokens", 10}});
  ASSERT_TRUE(filter.ok());
  const std::string body = R"({"max_tokens": 10, "messages": [{"role": "user", "content": "12345678"}]})";
  EXPECT_EQ(EstimatePromptTokens(nlohmann::json::parse(body)), 3);  // (8 + 4) / 4
  // Worst case 13 each: two fit (26), a third does not while both are in flight.
  auto first = Request("chat", body), second = Request("chat", body), third = Request("chat", body);
  EXPECT_FALSE((*filter)->OnRequest(first).has_value());
  EXPECT_FALSE((*filter)->OnRequest(second).has_value());
  EXPECT_EQ((*filter)->OnRequest(third)->error_type, "insufficient_quota");
  // The first used 5 tokens, the second failed upstream (nothing counts): 25 left, so a 13 fits again.
  ResponseContext used{200, "", false, 5};
  (*filter)->OnResponse(first, used);
  ResponseContext failed{502, "{}", false, std::nullopt};
  (*filter)->OnResponse(second, failed);
  auto fourth = Request("chat", body);
  EXPECT_FALSE((*filter)->OnRequest(fourth).has_value());
  auto fifth = Request("chat", body);
  EXPECT_EQ((*filter)->OnRequest(fifth)->error_type, "insufficient_quota");  // 5 used + 13 held + 13 = 31 > 30
}

// A limit store whose asynchronous settle and refund throw (as a store whose connection code fails might);
// everything else is the in-process store's.
class ThrowingOnRelease final : public LimitStore {
 public:
  explicit ThrowingOnRelease(std::shared_ptr<LimitStore> inner) : inner_(std::move(inner)) {}
  const char* kind() const override { return "throwing"; }
  Result<Admission> Take(const std::string& bucket, double rate, double burst, double cost) override {
    return inner_->Take(bucket, rate, burst, cost);
  }
  Status Refund(const std::string& bucket, double rate, double burst, double amount) override {
    return inner_->Refund(bucket, rate, burst, amount);
  }
  Result<bool> Reserve(const std::string& account, int64_t amount, int64_t budget, int64_t window) override {
    return inner_->Reserve(account, amount, budget, window);
  }
  Status Settle(const std::string& account, int64_t reserved, int64_t used, int64_t window) override {
    return inner_->Settle(account, reserved, used, window);
  }
  boost::asio::awaitable<Status> RefundAsync(std::string, double, double, double) override {
    throw std::runtime_error("injected refund failure");
    co_return Ok{};
  }
  boost::asio::awaitable<Status> SettleAsync(std::string, int64_t, int64_t, int64_t) override {
    throw std::runtime_error("injected settle failure");
    co_return Ok{};
  }

 private:
  std::shared_ptr<LimitStore> inner_;
};

// A limit filter whose own response hook throws before its reservation is settled still returns it: before,
// the hook forgot the reservation first, so the budget (and the token bucket) stayed consumed for good.
TEST(LimitFilters, AResponseHookThatThrowsStillReturnsTheReservation) {
  const std::string body = R"({"model":"m","max_tokens":10,"messages":[{"role":"user","content":"0123456789abcdef"}]})";
  {
    auto memory = MakeMemoryLimitStore();
    const FilterEnvironment env{std::make_shared<ThrowingOnRelease>(memory), nullptr, false};
    auto filter = Make("token_budget", {{"tokens", 40}, {"default_max_tokens", 10}}, env);
    ASSERT_TRUE(filter.ok());
    auto request = Request("chat", body);
    ASSERT_FALSE((*filter)->OnRequest(request).has_value());
    ASSERT_EQ(request.reservations.count("token_budget"), 1u);
    ResponseContext failed{502, "{}", false, std::nullopt};
    EXPECT_THROW((*filter)->OnResponse(request, failed), std::runtime_error);
    EXPECT_TRUE(request.reservations.empty());
    // The upstream failed, so nothing counts: the whole budget is free again.
    EXPECT_TRUE(*memory->Reserve("route:chat", 40, 40, 3600));
  }
  {
    auto memory = MakeMemoryLimitStore();
    const FilterEnvironment env{std::make_shared<ThrowingOnRelease>(memory), nullptr, false};
    // A refill so slow that the bucket holds exactly what was not taken.
    auto filter = Make("rate_limit", {{"tokens_per_minute", 0.0001}, {"token_burst", 100}, {"per", "route"}}, env);
    ASSERT_TRUE(filter.ok());
    auto request = Request("chat", body);
    ASSERT_FALSE((*filter)->OnRequest(request).has_value());
    ASSERT_GT(request.reservations.at("rate_limit"), 10);
    ResponseContext failed{502, "{}", false, std::nullopt};
    EXPECT_THROW((*filter)->OnResponse(request, failed), std::runtime_error);
    EXPECT_TRUE(memory->Take("tok:route:chat", 0.0001 / 60, 100, 99.5)->allowed);
  }
}

// Output caps that are not a whole number from 1 to 2^31-1 are refused (400) before anything is reserved;
// before, 1e30 and -5 fell back to the default and 2^64-1 wrapped to a negative count.
TEST(TokenBudgetFilter, OutOfRangeOutputCapsAreRefusedBeforeReserving) {
  auto store = MakeMemoryLimitStore();
  auto filter =
      Make("token_budget", {{"tokens", 100}, {"default_max_tokens", 10}}, FilterEnvironment{store, nullptr, false});
  ASSERT_TRUE(filter.ok());
  for (const char* cap : {"1e30", "18446744073709551615", "-5", "0", "\"ten\"", "2147483648", "2.5", "[]"}) {
    for (const char* field : {"max_tokens", "max_completion_tokens", "max_output_tokens"}) {
      const std::string body = std::string(R"({"model":"m",")") + field + "\":" + cap + "}";
      auto request = Request("chat", body);
      auto answer = (*filter)->OnRequest(request);
      ASSERT_TRUE(answer) << body;
      EXPECT_EQ(answer->status, 400u) << body;
      EXPECT_EQ(answer->error_type, "invalid_request_error") << body;
      EXPECT_EQ(request.verdicts["token_budget"], "block:invalid_max_tokens") << body;
      EXPECT_TRUE(request.reservations.empty());
    }
  }
  // Nothing was reserved: the whole budget is still there.
  EXPECT_TRUE(*store->Reserve("route:chat", 100, 100, 3600));
  ASSERT_TRUE(store->Settle("route:chat", 100, 0, 3600).ok());
  for (const char* body : {R"({"model":"m","max_tokens":null})", R"({"model":"m","max_tokens":7})"}) {
    auto request = Request("chat", body);
    EXPECT_FALSE((*filter)->OnRequest(request)) << body;
  }
  auto huge = Request("chat", R"({"model":"m","max_tokens":2147483647})");
  EXPECT_EQ((*filter)->OnRequest(huge)->error_type, "insufficient_quota");  // in range, but over the budget
}

class AuditChain : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (fs::temp_directory_path() / ("mg-audit-" + std::to_string(::getpid()) + ".jsonl")).string();
    fs::remove(path_);
    {
      auto sink = OpenJsonlAudit(path_);
      ASSERT_TRUE(sink.ok());
      for (int i = 0; i < 3; ++i) ASSERT_TRUE((*sink)->Write({{"status", 200}, {"n", i}}).ok());
    }
    // Reopening continues the chain.
    auto again = OpenJsonlAudit(path_);
    ASSERT_TRUE((*again)->Write({{"status", 200}, {"n", 3}}).ok());
  }
  void TearDown() override { fs::remove(path_); }
  std::vector<std::string> Lines() {
    std::ifstream in(path_);
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    return lines;
  }
  void Rewrite(const std::vector<std::string>& lines) {
    std::ofstream out(path_, std::ios::trunc);
    for (const auto& l : lines) out << l << "\n";
  }
  std::string path_;
};

TEST_F(AuditChain, IntactAcrossReopen) {
  auto check = VerifyAuditChain(path_);
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check->events, 4u);
  EXPECT_TRUE(check->problems.empty()) << check->problems[0];
}

TEST_F(AuditChain, EditRemovalAndReorderingAreCaught) {
  const auto lines = Lines();
  auto edited = lines;
  edited[1].replace(edited[1].find("\"status\":200"), 12, "\"status\":500");
  Rewrite(edited);
  EXPECT_FALSE(VerifyAuditChain(path_)->problems.empty());
  auto removed = lines;
  removed.erase(removed.begin() + 1);
  Rewrite(removed);
  EXPECT_FALSE(VerifyAuditChain(path_)->problems.empty());
  auto reordered = lines;
  std::swap(reordered[1], reordered[2]);
  Rewrite(reordered);
  EXPECT_FALSE(VerifyAuditChain(path_)->problems.empty());
}

}  // namespace
}  // namespace modelguard::gateway
