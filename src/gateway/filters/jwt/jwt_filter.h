#pragma once
// JSON Web Tokens (RFC 7519) as an alternative to API keys: HS256, RS256 and ES256 signatures checked with
// configured keys (never the token's own choice: the algorithm must match the key, "none" is refused),
// exp/nbf with leeway, iss and aud, and optional "routes"/"models" claims as scopes. The key id in audit
// events is "jwt:<sub>".
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "modelguard/gateway/filter.h"

namespace modelguard::gateway {

const FilterDescriptor& JwtFilterDescriptor();

// The three parts of a compact JWS, base64url-decoded; nullopt when the text is not one.
struct JwtParts {
  nlohmann::json header, claims;
  std::string signing_input;  // "<header>.<payload>" as received
  std::string signature;
};
std::optional<JwtParts> SplitJwt(std::string_view token);

}  // namespace modelguard::gateway
