// The one list of gateway filters. Adding a filter: a folder under filters/ whose header declares its
// descriptor, and a line here (docs/extending.md, "Adding a gateway filter").
#include <algorithm>
#include <mutex>

#include "modelguard/gateway/filter.h"
#include "src/gateway/filters/api_key/api_key_filter.h"
#include "src/gateway/filters/guard/guard_filter.h"
#include "src/gateway/filters/jwt/jwt_filter.h"
#include "src/gateway/filters/output_hardening/output_hardening_filter.h"
#include "src/gateway/filters/prada/prada_filter.h"
#include "src/gateway/filters/rate_limit/rate_limit_filter.h"
#include "src/gateway/filters/token_budget/token_budget_filter.h"
#include "src/gateway/filters/tools/tools_filter.h"
#include "src/gateway/filters/watermark/watermark_filter.h"

namespace modelguard::gateway {
namespace {

// One line per filter, in the order of the generated reference (docs/gateway.md).
// clang-format off
constexpr const FilterDescriptor& (*kFilters[])() = {
    ApiKeyFilterDescriptor,
    JwtFilterDescriptor,
    RateLimitFilterDescriptor,
    TokenBudgetFilterDescriptor,
    GuardFilterDescriptor,
    ToolsFilterDescriptor,
    PradaFilterDescriptor,
    OutputHardeningFilterDescriptor,
    WatermarkFilterDescriptor,
};
// clang-format on

std::mutex& TestFiltersMutex() {
  static std::mutex mutex;
  return mutex;
}
std::vector<const FilterDescriptor*>& TestFilters() {
  static std::vector<const FilterDescriptor*> filters;
  return filters;
}

}  // namespace

std::vector<const FilterDescriptor*> FilterDescriptors() {
  std::vector<const FilterDescriptor*> out;
  for (const auto descriptor : kFilters) out.push_back(&descriptor());
  std::lock_guard lock(TestFiltersMutex());
  out.insert(out.end(), TestFilters().begin(), TestFilters().end());
  return out;
}

const FilterDescriptor* FindFilter(std::string_view name) {
  for (const auto* d : FilterDescriptors()) {
    if (d->name == name) return d;
  }
  return nullptr;
}

Result<Settings> ReadFilterSettings(const std::string& name, const nlohmann::json& settings) {
  const FilterDescriptor* descriptor = FindFilter(name);
  if (!descriptor) {
    std::string known;
    for (const auto& n : FilterNames()) known += (known.empty() ? "" : ", ") + n;
    return MakeError(ErrorCode::kInvalidArgument, name + ": unknown filter (known: " + known + ")");
  }
  return Settings::Read(descriptor->settings, settings, name);
}

Result<std::shared_ptr<Filter>> CreateFilter(const std::string& name, const nlohmann::json& settings,
                                             const FilterEnvironment& env) {
  MG_ASSIGN_OR_RETURN(const Settings checked, ReadFilterSettings(name, settings));
  return FindFilter(name)->create(checked, env);
}

std::vector<std::string> FilterNames() {
  std::vector<std::string> names;
  for (const auto* d : FilterDescriptors()) names.push_back(d->name);
  return names;
}

std::string FilterReferenceMarkdown() {
  std::string out =
      "Every filter also takes `enabled` (true or false, default true): `enabled: false` is the only way to "
      "switch a configured filter off. Limits (`max_input_bytes`, rates, budgets, windows) must be positive: 0 or less "
      "is a configuration error naming the file, line and key, never \"no limit\"; the few settings where a value "
      "means \"none\" say so in their row.\n\n";
  for (const auto* d : FilterDescriptors()) {
    out += "#### `" + d->name + "`\n\n" + d->summary + "\n\n";
    out += d->settings.empty() ? "No settings.\n" : SettingsTableMarkdown(d->settings);
    out += "\n";
  }
  return out;
}

ScopedTestFilter::ScopedTestFilter(const FilterDescriptor* descriptor) : descriptor_(descriptor) {
  std::lock_guard lock(TestFiltersMutex());
  TestFilters().push_back(descriptor_);
}

ScopedTestFilter::~ScopedTestFilter() {
  std::lock_guard lock(TestFiltersMutex());
  auto& filters = TestFilters();
  filters.erase(std::remove(filters.begin(), filters.end(), descriptor_), filters.end());
}

}  // namespace modelguard::gateway
