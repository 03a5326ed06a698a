#include "src/gateway/filters/token_budget/token_budget_filter.h"

#include <chrono>
#include <mutex>
#include <unordered_map>

namespace modelguard::gateway {
namespace {

using Clock = std::chrono::steady_clock;

class TokenBudgetFilter final : public Filter {
 public:
  TokenBudgetFilter(int64_t budget, std::chrono::seconds window, int64_t default_max_tokens)
      : budget_(budget), window_(window), default_max_tokens_(default_max_tokens) {}
  const char* name() const override { return "token_budget"; }

  std::optional<Answer> OnRequest(RequestContext& request) override {
    const auto body = nlohmann::json::parse(request.body, nullptr, false);
    int64_t max_tokens = default_max_tokens_;
    if (body.is_object()) {
      for (const char* field : {"max_tokens", "max_completion_tokens", "max_output_tokens"}) {
        if (body.contains(field) && body[field].is_number_integer() && body[field].get<int64_t>() > 0) max_tokens = body[field].get<int64_t>();
      }
    }
    const int64_t worst_case = (body.is_object() ? EstimatePromptTokens(body) : static_cast<int64_t>(request.body.size() / 4 + 1)) + max_tokens;
    const std::string account = request.key_id.empty() ? "route:" + request.route : request.key_id;
    {
      std::lock_guard lock(mutex_);
      Account& a = Current(account);
      if (a.used + a.reserved + worst_case > budget_) {
        request.verdicts["token_budget"] = "block:insufficient_quota";
        return Answer{429, "insufficient_quota", "the token budget of this key is spent for the current window (" +
                                                     std::to_string(budget_) + " tokens)", {}};
      }
      a.reserved += worst_case;
    }
    request.reservations["token_budget"] = worst_case;
    request.verdicts["token_budget"] = "allow";
    return std::nullopt;
  }

  void OnResponse(RequestContext& request, ResponseContext& response) override {
    auto it = request.reservations.find("token_budget");
    if (it == request.reservations.end()) return;
    const int64_t reserved = it->second;
    request.reservations.erase(it);
    int64_t used = 0;
    if (response.status < 300) {
      // Settle to what the upstream says it used; without a usage report the whole reservation counts.
      used = reserved;
      const auto body = nlohmann::json::parse(response.body, nullptr, false);
      if (body.is_object() && body.contains("usage") && body["usage"].is_object()) {
        const auto& usage = body["usage"];
        if (usage.contains("total_tokens") && usage["total_tokens"].is_number_integer()) used = usage["total_tokens"].get<int64_t>();
      }
    }
    const std::string account = request.key_id.empty() ? "route:" + request.route : request.key_id;
    std::lock_guard lock(mutex_);
    Account& a = Current(account);
    a.reserved = std::max<int64_t>(0, a.reserved - reserved);
    a.used += used;
  }

 private:
  struct Account {
    int64_t used = 0, reserved = 0;
    Clock::time_point window_start;
  };
  Account& Current(const std::string& account) {
    auto [it, fresh] = accounts_.try_emplace(account);
    const auto now = Clock::now();
    if (fresh) it->second.window_start = now;
    if (now - it->second.window_start >= window_) {
      it->second.used = 0;  // reservations in flight stay held: they belong to requests still running
      it->second.window_start = now;
    }
    return it->second;
  }
  const int64_t budget_;
  const std::chrono::seconds window_;
  const int64_t default_max_tokens_;
  std::mutex mutex_;
  std::unordered_map<std::string, Account> accounts_;
};

}  // namespace

int64_t EstimatePromptTokens(const nlohmann::json& request) {
  size_t bytes = 0;
  auto count = [&](const nlohmann::json& v) {
    if (v.is_string()) bytes += v.get_ref<const std::string&>().size();
  };
  if (request.contains("messages") && request["messages"].is_array()) {
    for (const auto& m : request["messages"]) {
      if (!m.is_object() || !m.contains("content")) continue;
      const auto& content = m["content"];
      if (content.is_array()) {
        for (const auto& part : content) {
          if (part.is_object() && part.contains("text")) count(part["text"]);
        }
      } else {
        count(content);
      }
      bytes += 4;  // role and separators
    }
  }
  if (request.contains("prompt")) count(request["prompt"]);
  if (request.contains("input")) count(request["input"]);
  return static_cast<int64_t>((bytes + 3) / 4);
}

Result<std::shared_ptr<Filter>> CreateTokenBudgetFilter(const nlohmann::json& settings) {
  const int64_t budget = settings.value("tokens", int64_t{0});
  const int64_t window = settings.value("window_seconds", int64_t{3600});
  const int64_t default_max = settings.value("default_max_tokens", int64_t{1024});
  if (budget <= 0) return MakeError(ErrorCode::kInvalidArgument, "token_budget.tokens must be positive");
  if (window <= 0) return MakeError(ErrorCode::kInvalidArgument, "token_budget.window_seconds must be positive");
  if (default_max <= 0) return MakeError(ErrorCode::kInvalidArgument, "token_budget.default_max_tokens must be positive");
  return std::shared_ptr<Filter>(std::make_shared<TokenBudgetFilter>(budget, std::chrono::seconds(window), default_max));
}

}  // namespace modelguard::gateway
