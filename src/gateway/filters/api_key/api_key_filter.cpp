#include "src/gateway/filters/api_key/api_key_filter.h"

#include <algorithm>
#include <ctime>
#include <fstream>

#include "modelguard/core/hash.h"
#include "modelguard/gateway/keys.h"

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
  bool reads_document() const override { return false; }

  std::optional<Answer> OnRequest(RequestContext& request) override {
    std::string_view presented;
    if (auto it = request.headers.find("authorization");
        it != request.headers.end() && it->second.rfind("Bearer ", 0) == 0) {
      presented = std::string_view(it->second).substr(7);
      request.gateway_credentials.push_back("authorization");
    } else if (auto key = request.headers.find("x-api-key"); key != request.headers.end()) {
      presented = key->second;
      request.gateway_credentials.push_back("x-api-key");
    }
    if (presented.empty())
      return Deny(request, 401, "missing_api_key", "an API key is required (Authorization: Bearer ...)");
    const auto hash = HashKeyBytes(presented);
    // A key in the store (admin API) wins over the configured one with the same hash; a configured key is
    // used in place, not copied.
    const ApiKeyRecord* match = FindKey(keys_, hash);
    std::optional<ApiKeyRecord> stored;
    if (store_) stored = store_->Find(hash);
    if (stored) match = &*stored;
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

namespace {

Result<std::shared_ptr<Filter>> Create(const Settings& settings, const FilterEnvironment& env) {
  std::vector<ApiKeyRecord> keys;
  for (const auto& k : settings.Objects("keys")) {
    ApiKeyRecord record;
    record.id = k.String("id");
    auto hash = ParseKeyHash(k.String("sha256"));
    if (!hash) return k.Invalid("sha256", "64 lower-case hex digits expected (modelguard gateway hash-key)");
    record.sha256 = *hash;
    record.routes = k.Strings("routes");
    record.models = k.Strings("models");
    record.expires = k.Integer("expires");
    record.revoked = k.Bool("revoked");
    record.owner = k.String("owner");
    record.tier = k.String("tier");
    record.created = k.Integer("created");
    keys.push_back(std::move(record));
  }
  if (settings.Has("keys_file")) {
    // The key store's file format, read by the key store's parser.
    const std::string path = settings.String("keys_file");
    std::ifstream in(path);
    if (!in) return settings.Invalid("keys_file", "cannot read '" + path + "'");
    auto doc = nlohmann::json::parse(in, nullptr, false);
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("keys") || !doc["keys"].is_array())
      return MakeError(ErrorCode::kParse, "api_key.keys_file: '" + path + "' is not {\"keys\": [...]}");
    keys.clear();  // the file replaces the inline list
    for (size_t i = 0; i < doc["keys"].size(); ++i) {
      auto key = ParseApiKeyRecord(doc["keys"][i], "api_key.keys_file: " + path + ": keys[" + std::to_string(i) + "]");
      if (!key) return key.error();
      keys.push_back(std::move(*key));
    }
  }
  if (keys.empty() && !env.keys)
    return settings.Invalid("keys", "at least one key is needed (or a key store: keys.file)");
  return std::shared_ptr<Filter>(std::make_shared<ApiKeyFilter>(std::move(keys), env.keys));
}

}  // namespace

const FilterDescriptor& ApiKeyFilterDescriptor() {
  static const FilterDescriptor descriptor{
      "api_key",
      "API keys checked against SHA-256 hashes in constant time, with per-key route and model scopes, expiry and "
      "revocation; clients send `Authorization: Bearer <key>` or `x-api-key`.",
      {
          {.key = "keys",
           .type = SettingType::kObjectList,
           .doc = "the accepted keys (`modelguard gateway hash-key` prints the hash)",
           .default_value = nlohmann::json::array(),
           .fields =
               {
                   {.key = "id",
                    .type = SettingType::kString,
                    .doc = "the key's name in audit events",
                    .required = true},
                   {.key = "sha256",
                    .type = SettingType::kString,
                    .doc = "64 lower-case hex digits: SHA-256 of the key",
                    .required = true},
                   {"routes", SettingType::kStringList, "route names the key may use; none: every route",
                    nlohmann::json::array()},
                   {"models", SettingType::kStringList, "models the key may ask for; none: every model",
                    nlohmann::json::array()},
                   {"expires", SettingType::kInteger, "expiry in seconds since the epoch; 0: never", 0},
                   {"revoked", SettingType::kBool, "refuse the key", false},
                   {"owner", SettingType::kString, "who holds the key (informational)", ""},
                   {"tier", SettingType::kString, "the key's tier (informational)", ""},
                   {"created", SettingType::kInteger, "creation time in seconds since the epoch (informational)", 0},
               }},
          {"keys_file", SettingType::kString,
           "a JSON file `{\"keys\": [...]}` of the same records, read instead of `keys`"},
      },
      Create};
  return descriptor;
}

}  // namespace modelguard::gateway
