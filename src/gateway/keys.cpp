#include "modelguard/gateway/keys.h"

#include <openssl/rand.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "modelguard/core/bytes.h"
#include "modelguard/core/hash.h"

namespace modelguard::gateway {
namespace {

std::vector<std::string> StringList(const nlohmann::json& entry, const char* field, const std::string& where) {
  if (!entry.contains(field)) return {};
  const auto& v = entry[field];
  if (!v.is_array()) throw std::invalid_argument(where + "." + field + ": a list of names is expected");
  std::vector<std::string> out;
  for (const auto& s : v) {
    if (!s.is_string()) throw std::invalid_argument(where + "." + field + ": a list of names is expected");
    out.push_back(s.get<std::string>());
  }
  return out;
}

}  // namespace

std::optional<std::array<unsigned char, 32>> ParseKeyHash(const std::string& hex) {
  return HexDecodeFixed<32>(hex, HexCase::kLowerOnly);
}

std::array<unsigned char, 32> HashKeyBytes(std::string_view key) { return Sha256(key); }

const ApiKeyRecord* FindKey(const std::vector<ApiKeyRecord>& records, const std::array<unsigned char, 32>& hash) {
  const ApiKeyRecord* match = nullptr;
  for (const auto& k : records) {
    if (ConstantTimeEqual(k.sha256, hash)) match = &k;
  }
  return match;
}

Result<ApiKeyRecord> ParseApiKeyRecord(const nlohmann::json& k, const std::string& where) {
  if (!k.is_object() || !k.contains("id") || !k["id"].is_string() || !k.contains("sha256") ||
      !k["sha256"].is_string()) {
    return MakeError(ErrorCode::kInvalidArgument, where + ": needs id and sha256 (strings)");
  }
  ApiKeyRecord key;
  key.id = k["id"].get<std::string>();
  auto hash = ParseKeyHash(k["sha256"].get<std::string>());
  if (!hash)
    return MakeError(ErrorCode::kInvalidArgument,
                     where + ".sha256: 64 lower-case hex digits expected (modelguard gateway hash-key)");
  key.sha256 = *hash;
  try {
    key.routes = StringList(k, "routes", where);
    key.models = StringList(k, "models", where);
    key.expires = k.value("expires", int64_t{0});
    key.revoked = k.value("revoked", false);
    key.owner = k.value("owner", "");
    key.tier = k.value("tier", "");
    key.created = k.value("created", int64_t{0});
  } catch (const std::invalid_argument& e) {
    return MakeError(ErrorCode::kInvalidArgument, e.what());
  } catch (const nlohmann::json::exception& e) {
    return MakeError(ErrorCode::kInvalidArgument, where + ": " + e.what());
  }
  return key;
}

nlohmann::json ApiKeyRecordJson(const ApiKeyRecord& r) {
  nlohmann::json out = {{"id", r.id},           {"sha256", HexEncode(r.sha256)},
                        {"owner", r.owner},     {"tier", r.tier},
                        {"routes", r.routes},   {"models", r.models},
                        {"expires", r.expires}, {"revoked", r.revoked},
                        {"created", r.created}};
  return out;
}

Result<std::shared_ptr<KeyStore>> KeyStore::Open(const std::string& path) {
  auto store = std::make_shared<KeyStore>();
  store->path_ = path;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return store;
  std::ifstream in(path);
  if (!in) return MakeError(ErrorCode::kIo, "keys.file: cannot read '" + path + "'");
  auto doc = nlohmann::json::parse(in, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("keys") || !doc["keys"].is_array()) {
    return MakeError(ErrorCode::kParse, "keys.file: '" + path + "' is not {\"keys\": [...]}");
  }
  for (size_t i = 0; i < doc["keys"].size(); ++i) {
    MG_ASSIGN_OR_RETURN(auto record, ParseApiKeyRecord(doc["keys"][i], path + ": keys[" + std::to_string(i) + "]"));
    store->records_.push_back(std::move(record));
  }
  if (auto revocations = doc.find("revocations"); revocations != doc.end()) {
    if (!revocations->is_array())
      return MakeError(ErrorCode::kParse, "keys.file: '" + path + "': revocations must be a list");
    for (size_t i = 0; i < revocations->size(); ++i) {
      const auto& entry = (*revocations)[i];
      const std::string where = path + ": revocations[" + std::to_string(i) + "]";
      if (!entry.is_object() || !entry.contains("id") || !entry["id"].is_string() || !entry.contains("sha256") ||
          !entry["sha256"].is_string())
        return MakeError(ErrorCode::kParse, where + ": needs id and sha256 (strings)");
      auto hash = ParseKeyHash(entry["sha256"].get<std::string>());
      if (!hash) return MakeError(ErrorCode::kParse, where + ".sha256: 64 lower-case hex digits expected");
      const auto when = entry.find("revoked");
      store->revocations_.push_back(
          Revocation{entry["id"].get<std::string>(), *hash,
                     when != entry.end() && when->is_number_integer() ? when->get<int64_t>() : 0});
    }
  }
  return store;
}

std::optional<ApiKeyRecord> KeyStore::Find(const std::array<unsigned char, 32>& hash) const {
  std::shared_lock lock(mutex_);
  if (const ApiKeyRecord* match = FindKey(records_, hash)) return *match;
  // A revoked configured key: reported as a revoked record, which callers refuse.
  bool revoked = false;
  std::string id;
  for (const auto& r : revocations_) {
    if (ConstantTimeEqual(r.sha256, hash)) revoked = true, id = r.id;
  }
  if (!revoked) return std::nullopt;
  ApiKeyRecord record;
  record.id = id;
  record.sha256 = hash;
  record.revoked = true;
  return record;
}

std::vector<ApiKeyRecord> KeyStore::List() const {
  std::shared_lock lock(mutex_);
  return records_;
}

Result<KeyStore::Created> KeyStore::Create(const nlohmann::json& request, bool* conflict) {
  if (!request.is_object()) return MakeError(ErrorCode::kInvalidArgument, "the request body must be a JSON object");
  Created created;
  ApiKeyRecord& r = created.record;
  try {
    r.owner = request.value("owner", "");
    r.tier = request.value("tier", "");
    r.routes = StringList(request, "routes", "request");
    r.models = StringList(request, "models", "request");
    int64_t ttl = 0;
    if (auto given = request.find("expires_in_seconds"); given != request.end() && !given->is_null()) {
      // Checked before any conversion: 1e30 or 2^64-1 would overflow the expiry, a fraction or a string
      // would be truncated or thrown.
      const bool whole = given->is_number_integer();
      const bool in_range = whole && (given->is_number_unsigned()
                                          ? given->get<uint64_t>() <= static_cast<uint64_t>(kMaxLifetimeSeconds)
                                          : given->get<int64_t>() >= 1 && given->get<int64_t>() <= kMaxLifetimeSeconds);
      if (!in_range || given->get<int64_t>() < 1)
        return MakeError(ErrorCode::kInvalidArgument,
                         "expires_in_seconds must be a whole number of seconds from 1 to " +
                             std::to_string(kMaxLifetimeSeconds) +
                             " (100 years); omit it for a key that never expires");
      ttl = given->get<int64_t>();
    }
    r.created = static_cast<int64_t>(std::time(nullptr));
    r.expires = ttl ? r.created + ttl : 0;
    r.id = request.value("id", "");
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInvalidArgument, e.what());
  }
  unsigned char random[32];
  if (RAND_bytes(random, sizeof random) != 1) return MakeError(ErrorCode::kIo, "no randomness for a new key");
  created.secret = "mg-" + Base64Encode(std::span<const uint8_t>(random), Base64Alphabet::kUrl, false);
  r.sha256 = HashKeyBytes(created.secret);
  if (r.id.empty()) r.id = "key-" + HexEncode(r.sha256).substr(0, 12);
  std::unique_lock lock(mutex_);
  const bool taken =
      std::any_of(records_.begin(), records_.end(), [&](const auto& k) { return k.id == r.id; }) ||
      std::any_of(configured_.begin(), configured_.end(), [&](const auto& k) { return k.first == r.id; });
  if (taken) {
    if (conflict) *conflict = true;
    return MakeError(ErrorCode::kInvalidArgument, "a key with id '" + r.id + "' exists");
  }
  records_.push_back(r);
  if (auto saved = SaveLocked(); !saved) {
    records_.pop_back();
    return saved.error();
  }
  return created;
}

Status KeyStore::Revoke(const std::string& id) {
  std::unique_lock lock(mutex_);
  for (auto& r : records_) {
    if (r.id == id) {
      const bool was = r.revoked;
      r.revoked = true;
      if (auto saved = SaveLocked(); !saved) {
        r.revoked = was;
        return saved.error();
      }
      return Ok{};
    }
  }
  for (const auto& entry : configured_) {
    // Not a structured binding: clang 14 (the fuzz build) cannot capture one in the lambda below.
    const auto& [configured_id, key_hash] = entry;
    if (configured_id != id) continue;
    const auto& hash = key_hash;
    const bool known = std::any_of(revocations_.begin(), revocations_.end(),
                                   [&](const Revocation& r) { return ConstantTimeEqual(r.sha256, hash); });
    if (known) return Ok{};
    revocations_.push_back(Revocation{id, hash, static_cast<int64_t>(std::time(nullptr))});
    if (auto saved = SaveLocked(); !saved) {
      revocations_.pop_back();
      return saved.error();
    }
    return Ok{};
  }
  return MakeError(ErrorCode::kInvalidArgument, "no key with id '" + id + "'");
}

void KeyStore::SetConfiguredKeys(std::vector<std::pair<std::string, std::array<unsigned char, 32>>> keys) {
  std::unique_lock lock(mutex_);
  configured_ = std::move(keys);
}

Status KeyStore::SaveLocked() const {
  if (path_.empty()) return Ok{};
  nlohmann::json doc = {{"keys", nlohmann::json::array()}};
  for (const auto& r : records_) doc["keys"].push_back(ApiKeyRecordJson(r));
  if (!revocations_.empty()) {
    doc["revocations"] = nlohmann::json::array();
    for (const auto& r : revocations_)
      doc["revocations"].push_back({{"id", r.id}, {"sha256", HexEncode(r.sha256)}, {"revoked", r.revoked}});
  }
  const std::string temporary = path_ + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << doc.dump(2) << "\n";
    out.flush();
    if (!out) return MakeError(ErrorCode::kIo, "cannot write '" + temporary + "'");
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path_, ec);
  if (ec) return MakeError(ErrorCode::kIo, "cannot replace '" + path_ + "': " + ec.message());
  return Ok{};
}

}  // namespace modelguard::gateway
