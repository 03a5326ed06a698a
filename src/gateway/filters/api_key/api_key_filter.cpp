#include "src/gateway/filters/api_key/api_key_filter.h"

#include <algorithm>
#include <ctime>
#include <fstream>

#include "modelguard/gateway/keys.h"
#include "src/gateway/digest.h"

namespace modelguard::gateway {
namespace {

bool Allowed(const std::vector<std::string>& scope, const std::string& value) {
  return scope.empty() || std::find(scope.begin(), scope.end(), value) != scope.end();
}

class ApiKeyFilter final : public Filter {
 public:
  ApiKeyFilter(std::vector<ApiKeyRecord> keys, std::shared_ptr<KeyStore> store)
      : keys_(std::move(keys)), store_(std::move(store)) {}
  const char* name() const override { return "api_key"; }

  std::optional<Answer> OnRequest(RequestContext& request) override {
    std::string_view presented;
    if (auto it = request.headers.find("authorization");
        it != request.headers.end() && it->second.rfind("Bearer ", 0) == 0) {
      presented = std::string_view(it->second).substr(7);
    } else if (auto key = request.headers.find("x-api-key"); key != request.headers.end()) {
      presented = key->second;
    }
    if (presented.empty())
      return Deny(request, 401, "missing_api_key", "an API key is required (Authorization: Bearer ...)");
    const auto hash = HashKeyBytes(presented);
    std::optional<ApiKeyRecord> match;
    if (const ApiKeyRecord* configured = FindKey(keys_, hash)) match = *configured;
    if (store_) {
      if (auto stored = store_->Find(hash)) match = std::move(stored);
    }
    if (!match) return Deny(request, 401, "invalid_api_key", "the API key is not valid");
    request.key_id = match->id;
    if (match->revoked) return Deny(request, 401, "invalid_api_key", "the API key was revoked");
    if (match->expires && std::time(nullptr) >= match->expires)
      return Deny(request, 401, "invalid_api_key", "the API key has expired");
    if (!Allowed(match->routes, request.route)) {
      return Deny(request, 403, "permission_denied", "the API key may not use route '" + request.route + "'");
    }
    if (!match->models.empty() && !Allowed(match->models, request.model)) {
      return Deny(request, 403, "permission_denied", "the API key may not use model '" + request.model + "'");
    }
    request.verdicts["api_key"] = FilterVerdict::Allow();
    return std::nullopt;
  }

 private:
  static std::optional<Answer> Deny(RequestContext& request, unsigned status, const std::string& type,
                                    const std::string& message) {
    request.verdicts["api_key"] = FilterVerdict::Block(type);
    return Answer{status, type, message, {}};
  }
  std::vector<ApiKeyRecord> keys_;
  std::shared_ptr<KeyStore> store_;
};

}  // namespace

std::string HashApiKey(std::string_view key) { return Sha256Hex(key); }

Result<std::shared_ptr<Filter>> CreateApiKeyFilter(const nlohmann::json& settings, const FilterEnvironment& env) {
  nlohmann::json list = settings.value("keys", nlohmann::json::array());
  if (settings.contains("keys_file")) {
    const std::string path = settings["keys_file"].get<std::string>();
    std::ifstream in(path);
    if (!in) return MakeError(ErrorCode::kIo, "api_key.keys_file: cannot read '" + path + "'");
    auto doc = nlohmann::json::parse(in, nullptr, false);
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("keys")) {
      return MakeError(ErrorCode::kParse, "api_key.keys_file: '" + path + "' is not {\"keys\": [...]}");
    }
    list = doc["keys"];
  }
  if (!list.is_array()) return MakeError(ErrorCode::kInvalidArgument, "api_key.keys: a list is expected");
  if (list.empty() && !env.keys) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "api_key.keys: at least one key is needed (or a key store: keys.file)");
  }
  std::vector<ApiKeyRecord> keys;
  for (size_t i = 0; i < list.size(); ++i) {
    auto key = ParseApiKeyRecord(list[i], "api_key.keys[" + std::to_string(i) + "]");
    if (!key) return key.error();
    keys.push_back(std::move(*key));
  }
  return std::shared_ptr<Filter>(std::make_shared<ApiKeyFilter>(std::move(keys), env.keys));
}

}  // namespace modelguard::gateway
