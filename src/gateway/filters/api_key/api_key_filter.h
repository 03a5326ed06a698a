#pragma once
// API keys stored only as SHA-256 hashes, compared in constant time, with per-key route and model scopes,
// expiry and revocation. Keys come from the filter's settings (`keys`, `keys_file`) and from the admin
// API's key store when one is configured. Clients send "Authorization: Bearer <key>" (OpenAI style) or
// "x-api-key: <key>".
#include <memory>
#include <nlohmann/json.hpp>

#include "modelguard/gateway/filter.h"

namespace modelguard::gateway {

const FilterDescriptor& ApiKeyFilterDescriptor();
// The stored form of a key: lower-case hex SHA-256.
std::string HashApiKey(std::string_view key);

}  // namespace modelguard::gateway
