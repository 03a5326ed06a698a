#pragma once
// API keys the admin API manages: stored as SHA-256 hashes only (the secret is shown once, at creation),
// with owner, tier, route and model scopes, expiry and revocation. Persisted to a JSON file written
// atomically (temporary file + rename) so a crash never leaves half a key list. Keys listed in the
// configuration file (the api_key filter's settings) are revoked through the same store: their hashes go
// to the file's "revocations" list, which Find reports as revoked keys across restarts and reloads.
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
  // `request`: {"id"?, "owner"?, "tier"?, "routes"?, "models"?, "expires_in_seconds"?}. `conflict` is set
  // when the id is taken (by a stored key or a configured one), which the admin API answers 409.
  Result<Created> Create(const nlohmann::json& request, bool* conflict = nullptr);
  // A stored key is marked revoked; a configured key's hash is added to the revocation list.
  Status Revoke(const std::string& id);
  // The keys of the configuration file (id and hash), so they can be revoked and their ids are not reused;
  // replaced at every load.
  void SetConfiguredKeys(std::vector<std::pair<std::string, std::array<unsigned char, 32>>> keys);

  // Keys may live 100 years at most; a creation request asking for more (or for 0, or a negative or
  // fractional value) is refused.
  static constexpr int64_t kMaxLifetimeSeconds = int64_t{100} * 365 * 86400;

 private:
  Status SaveLocked() const;
  struct Revocation {
    std::string id;
    std::array<unsigned char, 32> sha256{};
    int64_t revoked = 0;  // when, seconds since the epoch
  };
  std::string path_;
  mutable std::shared_mutex mutex_;
  std::vector<ApiKeyRecord> records_;
  std::vector<Revocation> revocations_;
  std::vector<std::pair<std::string, std::array<unsigned char, 32>>> configured_;
};

}  // namespace modelguard::gateway
