// The one list of gateway filters. Adding a filter: a folder under filters/ and a line here.
#include "modelguard/gateway/filter.h"
#include "src/gateway/filters/api_key/api_key_filter.h"
#include "src/gateway/filters/guard/guard_filter.h"
#include "src/gateway/filters/jwt/jwt_filter.h"
#include "src/gateway/filters/output_hardening/output_hardening_filter.h"
#include "src/gateway/filters/prada/prada_filter.h"
#include "src/gateway/filters/rate_limit/rate_limit_filter.h"
#include "src/gateway/filters/token_budget/token_budget_filter.h"

namespace modelguard::gateway {
namespace {

struct Entry {
  const char* name;
  Result<std::shared_ptr<Filter>> (*create)(const nlohmann::json&, const FilterEnvironment&);
};
constexpr Entry kFilters[] = {{"api_key", CreateApiKeyFilter},
                              {"guard", CreateGuardFilter},
                              {"jwt", CreateJwtFilter},
                              {"output_hardening", CreateOutputHardeningFilter},
                              {"prada", CreatePradaFilter},
                              {"rate_limit", CreateRateLimitFilter},
                              {"token_budget", CreateTokenBudgetFilter}};

}  // namespace

Result<std::shared_ptr<Filter>> CreateFilter(const std::string& name, const nlohmann::json& settings,
                                             const FilterEnvironment& env) {
  if (!settings.is_object()) return MakeError(ErrorCode::kInvalidArgument, name + ": settings must be a mapping");
  for (const auto& f : kFilters) {
    if (name == f.name) {
      try {
        return f.create(settings, env);
      } catch (const nlohmann::json::exception& e) {
        return MakeError(ErrorCode::kInvalidArgument, name + ": " + e.what());
      }
    }
  }
  std::string known;
  for (const auto& f : kFilters) known += std::string(known.empty() ? "" : ", ") + f.name;
  return MakeError(ErrorCode::kInvalidArgument, "unknown filter '" + name + "' (known: " + known + ")");
}

std::vector<std::string> FilterNames() {
  std::vector<std::string> names;
  for (const auto& f : kFilters) names.emplace_back(f.name);
  return names;
}

}  // namespace modelguard::gateway
