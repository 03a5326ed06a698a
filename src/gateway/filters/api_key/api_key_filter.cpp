#include "src/gateway/filters/api_key/api_key_filter.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <ctime>
#include <fstream>

#include "src/gateway/digest.h"

namespace modelguard::gateway {
namespace {

struct StoredKey {
  std::string id;
  std::array<unsigned char, SHA256_DIGEST_LENGTH> hash{};
  std::vector<std::string> routes;  // empty: every route
  int64_t expires = 0;              // seconds since the epoch; 0: never
  bool revoked = false;
  std::string owner, tier;
};

std::array<unsigned char, SHA256_DIGEST_LENGTH> Sha256(std::string_view text) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> out{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), out.data());
  return out;
}

std::optional<std::array<unsigned char, SHA256_DIGEST_LENGTH>> FromHex(const std::string& hex) {
  if (hex.size() != 64) return std::nullopt;
  std::array<unsigned char, SHA256_DIGEST_LENGTH> out{};
  for (size_t i = 0; i < 32; ++i) {
    unsigned value = 0;
    for (int k = 0; k < 2; ++k) {
      const char c = hex[2 * i + static_cast<size_t>(k)];
      value <<= 4;
      if (c >= '0' && c <= '9') value |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f') value |= static_cast<unsigned>(c - 'a' + 10);
      else return std::nullopt;
    }
    out[i] = static_cast<unsigned char>(value);
  }
  return out;
}

class ApiKeyFilter final : public Filter {
 public:
  explicit ApiKeyFilter(std::vector<StoredKey> keys) : keys_(std::move(keys)) {}
  const char* name() const override { return "api_key"; }

  std::optional<Answer> OnRequest(RequestContext& request) override {
    std::string presented;
    if (auto it = request.headers.find("authorization"); it != request.headers.end() && it->second.rfind("Bearer ", 0) == 0) {
      presented = it->second.substr(7);
    } else if (auto key = request.headers.find("x-api-key"); key != request.headers.end()) {
      presented = key->second;
    }
    if (presented.empty()) return Deny(request, 401, "missing_api_key", "an API key is required (Authorization: Bearer ...)");
    const auto hash = Sha256(presented);
    // Every stored hash is compared, match or not, so timing says nothing about which keys exist.
    const StoredKey* match = nullptr;
    for (const auto& k : keys_) {
      if (CRYPTO_memcmp(k.hash.data(), hash.data(), hash.size()) == 0) match = &k;
    }
    if (!match) return Deny(request, 401, "invalid_api_key", "the API key is not valid");
    request.key_id = match->id;
    if (match->revoked) return Deny(request, 401, "invalid_api_key", "the API key was revoked");
    if (match->expires && std::time(nullptr) >= match->expires) return Deny(request, 401, "invalid_api_key", "the API key has expired");
    if (!match->routes.empty() && std::find(match->routes.begin(), match->routes.end(), request.route) == match->routes.end()) {
      return Deny(request, 403, "permission_denied", "the API key may not use route '" + request.route + "'");
    }
    request.verdicts["api_key"] = "allow";
    return std::nullopt;
  }

 private:
  static std::optional<Answer> Deny(RequestContext& request, unsigned status, const std::string& type, const std::string& message) {
    request.verdicts["api_key"] = "block:" + type;
    return Answer{status, type, message, {}};
  }
  std::vector<StoredKey> keys_;
};

}  // namespace

std::string HashApiKey(std::string_view key) { return Sha256Hex(key); }

Result<std::shared_ptr<Filter>> CreateApiKeyFilter(const nlohmann::json& settings) {
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
  if (!list.is_array() || list.empty()) return MakeError(ErrorCode::kInvalidArgument, "api_key.keys: at least one key is needed");
  std::vector<StoredKey> keys;
  for (size_t i = 0; i < list.size(); ++i) {
    const auto& k = list[i];
    const std::string where = "api_key.keys[" + std::to_string(i) + "]";
    if (!k.is_object() || !k.contains("id") || !k.contains("sha256")) return MakeError(ErrorCode::kInvalidArgument, where + ": needs id and sha256");
    StoredKey key;
    key.id = k["id"].get<std::string>();
    auto hash = FromHex(k["sha256"].get<std::string>());
    if (!hash) return MakeError(ErrorCode::kInvalidArgument, where + ".sha256: 64 lower-case hex digits expected (modelguard gateway hash-key)");
    key.hash = *hash;
    if (k.contains("routes")) key.routes = k["routes"].get<std::vector<std::string>>();
    key.expires = k.value("expires", int64_t{0});
    key.revoked = k.value("revoked", false);
    key.owner = k.value("owner", "");
    key.tier = k.value("tier", "");
    keys.push_back(std::move(key));
  }
  return std::shared_ptr<Filter>(std::make_shared<ApiKeyFilter>(std::move(keys)));
}

}  // namespace modelguard::gateway
