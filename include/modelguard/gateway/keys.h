#pragma once
// API keys the admin API manages: stored as SHA-256 hashes only (the secret is shown once, at creation),
// with owner, tier, route and model scopes, expiry and revocation. Persisted to a JSON file written
// atomically (temporary file + rename) so a crash never leaves half a key list.
#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "modelguard/core/result.h"

namespace modelguard::gateway {

struct ApiKeyRecord {
  std::string id;
  std::array<unsigned char, 32> sha256{};
  std::vector<std::string> routes;  // empty: every route
  std::vector<std::string> models;  // empty: every model
  int64_t expires = 0;              // seconds since the epoch; 0: never
  bool revoked = false;
  std::string owner, tier;
  int64_t created = 0;
};

// Parses one {"id", "sha256", ...} entry; `where` prefixes error messages.
Result<ApiKeyRecord> ParseApiKeyRecord(const nlohmann::json& entry, const std::string& where);
nlohmann::json ApiKeyRecordJson(const ApiKeyRecord& record);  // without the hash's secret: it has none

// Constant-time search: every record is compared, so timing tells nothing about which keys exist.
const ApiKeyRecord* FindKey(const std::vector<ApiKeyRecord>& records, const std::array<unsigned char, 32>& hash);
std::array<unsigned char, 32> HashKeyBytes(std::string_view key);
// The stored form of a key hash: 64 lower-case hex digits (what `modelguard gateway hash-key` prints).
std::optional<std::array<unsigned char, 32>> ParseKeyHash(const std::string& hex);

class KeyStore {
 public:
  // Loads `path` ({"keys": [...]}), or starts empty when it does not exist yet.
  static Result<std::shared_ptr<KeyStore>> Open(const std::string& path);

  std::optional<ApiKeyRecord> Find(const std::array<unsigned char, 32>& hash) const;
  std::vector<ApiKeyRecord> List() const;
  struct Created {
    ApiKeyRecord record;
    std::string secret;  // "mg-" + 43 base64url characters (256 random bits)
  };
  // `request`: {"id"?, "owner"?, "tier"?, "routes"?, "models"?, "expires_in_seconds"?}
  Result<Created> Create(const nlohmann::json& request);
  Status Revoke(const std::string& id);

 private:
  Status SaveLocked() const;
  std::string path_;
  mutable std::shared_mutex mutex_;
  std::vector<ApiKeyRecord> records_;
};

}  // namespace modelguard::gateway
