#include "src/gateway/filters/token_budget/token_budget_filter.h"

#include "modelguard/gateway/limits.h"
#include "src/gateway/openai.h"
#include "src/gateway/run_blocking.h"

namespace modelguard::gateway {
namespace {

// Settles a reservation when the response hook ends by an exception (the asynchronous settle threw, or
// anything before it did), so a failing hook cannot keep the budget held for good. A destructor cannot
// await, so it uses the store's synchronous form; a store that throws there too is left as it is (the
// hook's own exception is what the chain reports).
class Settlement {
 public:
  Settlement(LimitStore& store, std::string account, int64_t reserved, int64_t used, int64_t window)
      : store_(store), account_(std::move(account)), reserved_(reserved), used_(used), window_(window) {}
  Settlement(const Settlement&) = delete;
  Settlement& operator=(const Settlement&) = delete;
  ~Settlement() {
    if (done_) return;
    try {
      (void)store_.Settle(account_, reserved_, used_, window_);
    } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor must not throw; see above
    }
  }
  const std::string& account() const { return account_; }
  void Done() { done_ = true; }

 private:
  LimitStore& store_;
  const std::string account_;
  const int64_t reserved_, used_, window_;
  bool done_ = false;
};

class TokenBudgetFilter final : public Filter {
 public:
  TokenBudgetFilter(std::shared_ptr<LimitStore> store, bool fail_open, int64_t budget, int64_t window_seconds,
                    int64_t default_max_tokens)
      : store_(std::move(store)),
        fail_open_(fail_open),
        budget_(budget),
        window_(window_seconds),
        default_max_tokens_(default_max_tokens) {}
  const char* name() const override { return "token_budget"; }
  bool reads_document() const override { return false; }

  std::optional<Answer> OnRequest(RequestContext& request) override { return RunBlocking(OnRequestAsync(request)); }
  void OnResponse(RequestContext& request, ResponseContext& response) override {
    RunBlocking(OnResponseAsync(request, response));
  }

  boost::asio::awaitable<std::optional<Answer>> OnRequestAsync(RequestContext& request) override {
    if (auto refused = RefuseOutOfRangeOutputCap(request, "token_budget")) co_return refused;
    // A body that is not a JSON object (raw routes) is charged at 4 bytes per token.
    const int64_t prompt = request.prompt_tokens.value_or(static_cast<int64_t>(request.body.size() / 4 + 1));
    const int64_t worst_case = prompt + request.max_tokens.value_or(default_max_tokens_);
    auto reserved = co_await store_->ReserveAsync(Account(request), worst_case, budget_, window_);
    if (!reserved) {
      if (fail_open_) co_return std::nullopt;
      request.verdicts["token_budget"] = FilterVerdict::Block("limits_unavailable");
      co_return Answer{
          503, "limits_unavailable", "admission control is unavailable (" + reserved.error().message + ")", {}};
    }
    if (!*reserved) {
      request.verdicts["token_budget"] = FilterVerdict::Block("insufficient_quota");
      co_return Answer{
          429,
          "insufficient_quota",
          "the token budget of this key is spent for the current window (" + std::to_string(budget_) + " tokens)",
          {}};
    }
    // Held from here: until the request records it (and the response hook owns it), a throw releases it.
    Settlement undo(*store_, Account(request), worst_case, 0, window_);
    request.reservations["token_budget"] = worst_case;
    request.verdicts["token_budget"] = FilterVerdict::Allow();
    undo.Done();
    co_return std::nullopt;
  }

  boost::asio::awaitable<void> OnResponseAsync(RequestContext& request, ResponseContext& response) override {
    auto it = request.reservations.find("token_budget");
    if (it == request.reservations.end()) co_return;
    const int64_t reserved = it->second;
    request.reservations.erase(it);
    // Settle to what the upstream says it used; without a usage report the whole reservation counts.
    const int64_t used = response.status < 300 ? response.total_tokens.value_or(reserved) : 0;
    // From here the reservation is this hook's alone (nobody else can settle it): should anything below
    // throw, the guard settles it on the way out.
    Settlement settlement(*store_, Account(request), reserved, used, window_);
    (void)co_await store_->SettleAsync(settlement.account(), reserved, used, window_);
    settlement.Done();
  }

 private:
  static std::string Account(const RequestContext& request) {
    return request.key_id.empty() ? "route:" + request.route : "key:" + request.key_id;
  }
  const std::shared_ptr<LimitStore> store_;
  const bool fail_open_;
  const int64_t budget_, window_, default_max_tokens_;
};

Result<std::shared_ptr<Filter>> Create(const Settings& settings, const FilterEnvironment& env) {
  return std::shared_ptr<Filter>(
      std::make_shared<TokenBudgetFilter>(env.limits, env.limits_fail_open, settings.Integer("tokens"),
                                          settings.Integer("window_seconds"), settings.Integer("default_max_tokens")));
}

}  // namespace

const FilterDescriptor& TokenBudgetFilterDescriptor() {
  static const FilterDescriptor descriptor{
      "token_budget",
      "A token budget per API key (or per route without a key) and window; each request's worst case is reserved "
      "before it is forwarded and settled to the upstream's usage, so concurrent requests cannot overshoot.",
      {
          {.key = "tokens",
           .type = SettingType::kInteger,
           .doc = "the budget per key and window",
           .min = 1,
           .required = true},
          {.key = "window_seconds",
           .type = SettingType::kInteger,
           .doc = "window length; windows are aligned to the epoch",
           .default_value = 3600,
           .min = 1},
          {.key = "default_max_tokens",
           .type = SettingType::kInteger,
           .doc = "tokens reserved for the answer when the request names no max_tokens",
           .default_value = 1024,
           .min = 1},
      },
      Create};
  return descriptor;
}

}  // namespace modelguard::gateway
