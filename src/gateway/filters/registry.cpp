// The one list of gateway filters. Adding a filter: a folder under filters/ and a line here.
#include "modelguard/gateway/filter.h"
#include "src/gateway/filters/api_key/api_key_filter.h"
#include "src/gateway/filters/rate_limit/rate_limit_filter.h"
#include "src/gateway/filters/token_budget/token_budget_filter.h"

namespace modelguard::gateway {
namespace {

struct Entry {
  const char* name;
  Result<std::shared_ptr<Filter>> (*create)(const nlohmann::json&);
};
constexpr Entry kFilters[] = {{"api_key", CreateApiKeyFilter},
                              {"rate_limit", CreateRateLimitFilter},
                              {"token_budget", CreateTokenBudgetFilter}};

}  // namespace

Result<std::shared_ptr<Filter>> CreateFilter(const std::string& name, const nlohmann::json& settings) {
  for (const auto& f : kFilters) {
    if (name == f.name) {
      try {
        return f.create(settings);
      } catch (const nlohmann::json::exception& e) {
        return MakeError(ErrorCode::kInvalidArgument, name + ": " + e.what());
      }
    }
  }
  return MakeError(ErrorCode::kInvalidArgument, "unknown filter '" + name + "'");
}

std::vector<std::string> FilterNames() {
  std::vector<std::string> names;
  for (const auto& f : kFilters) names.emplace_back(f.name);
  return names;
}

}  // namespace modelguard::gateway
