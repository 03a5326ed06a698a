#include "src/gateway/filters/jwt/jwt_filter.h"

#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <algorithm>
#include <ctime>
#include <fstream>
#include <sstream>

#include "modelguard/core/bytes.h"

namespace modelguard::gateway {
namespace {

struct KeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

struct VerificationKey {
  std::string kid;
  std::string alg;                       // HS256, RS256, ES256
  std::string secret;                    // HS256
  std::shared_ptr<EVP_PKEY> public_key;  // RS256, ES256
};

// RFC 7518 §3.4: an ES256 signature is R || S, 32 bytes each; OpenSSL verifies DER.
std::optional<std::string> RawEcdsaToDer(const std::string& raw) {
  if (raw.size() != 64) return std::nullopt;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  const int size = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (size <= 0) return std::nullopt;
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(size));
  OPENSSL_free(der);
  return out;
}

bool VerifySignature(const VerificationKey& key, const JwtParts& token) {
  if (key.alg == "HS256") {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (!HMAC(EVP_sha256(), key.secret.data(), static_cast<int>(key.secret.size()),
              reinterpret_cast<const unsigned char*>(token.signing_input.data()), token.signing_input.size(), mac,
              &size)) {
      return false;
    }
    return ConstantTimeEqual(std::string_view(reinterpret_cast<const char*>(mac), size), token.signature);
  }
  std::string signature = token.signature;
  if (key.alg == "ES256") {
    auto der = RawEcdsaToDer(token.signature);
    if (!der) return false;
    signature = std::move(*der);
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (!ctx) return false;
  const bool ok = EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key.public_key.get()) == 1 &&
                  EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                                   reinterpret_cast<const unsigned char*>(token.signing_input.data()),
                                   token.signing_input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

bool ClaimListAllows(const nlohmann::json& claims, const char* name, const std::string& value) {
  auto it = claims.find(name);
  if (it == claims.end()) return true;
  if (!it->is_array()) return false;
  return std::any_of(it->begin(), it->end(),
                     [&](const nlohmann::json& v) { return v.is_string() && v.get<std::string>() == value; });
}

class JwtFilter final : public Filter {
 public:
  JwtFilter(std::vector<VerificationKey> keys, std::string issuer, std::string audience, int64_t leeway,
            bool require_exp)
      : keys_(std::move(keys)),
        issuer_(std::move(issuer)),
        audience_(std::move(audience)),
        leeway_(leeway),
        require_exp_(require_exp) {}
  const char* name() const override { return "jwt"; }
  bool reads_document() const override { return false; }

  std::optional<Answer> OnRequest(RequestContext& request) override {
    auto auth = request.headers.find("authorization");
    if (auth != request.headers.end()) request.gateway_credentials.push_back("authorization");
    if (auth == request.headers.end() || auth->second.rfind("Bearer ", 0) != 0) {
      return Deny(request, 401, "missing_token", "a bearer token is required");
    }
    auto token = SplitJwt(std::string_view(auth->second).substr(7));
    if (!token) return Deny(request, 401, "invalid_token", "the bearer token is not a well-formed JWT");
    const auto alg = token->header.find("alg");
    if (alg == token->header.end() || !alg->is_string())
      return Deny(request, 401, "invalid_token", "the token names no algorithm");
    const std::string kid = token->header.value("kid", "");
    bool verified = false;
    for (const auto& key : keys_) {
      // The configured key decides the algorithm; a token asking for another one (e.g. HS256 signed with an
      // RSA public key, or "none") is refused.
      if (key.alg != alg->get<std::string>() || (!kid.empty() && !key.kid.empty() && key.kid != kid)) continue;
      if (VerifySignature(key, *token)) {
        verified = true;
        break;
      }
    }
    if (!verified)
      return Deny(request, 401, "invalid_token", "the token's signature does not verify with any configured key");
    const auto& claims = token->claims;
    const int64_t now = static_cast<int64_t>(std::time(nullptr));
    auto number = [&](const char* name) -> std::optional<int64_t> {
      auto it = claims.find(name);
      if (it == claims.end() || !it->is_number()) return std::nullopt;
      return it->is_number_integer() ? it->get<int64_t>() : static_cast<int64_t>(it->get<double>());
    };
    const auto exp = number("exp");
    if (!exp && (require_exp_ || claims.contains("exp")))
      return Deny(request, 401, "invalid_token", "the token has no valid exp claim");
    if (exp && now > *exp + leeway_) return Deny(request, 401, "invalid_token", "the token has expired");
    if (auto nbf = number("nbf"); nbf && now + leeway_ < *nbf)
      return Deny(request, 401, "invalid_token", "the token is not valid yet");
    if (!issuer_.empty() && claims.value("iss", nlohmann::json()) != issuer_)
      return Deny(request, 401, "invalid_token", "the token's issuer is not accepted");
    if (!audience_.empty()) {
      const auto aud = claims.value("aud", nlohmann::json());
      const bool ok = aud.is_string()
                          ? aud.get<std::string>() == audience_
                          : aud.is_array() && std::find(aud.begin(), aud.end(), nlohmann::json(audience_)) != aud.end();
      if (!ok) return Deny(request, 401, "invalid_token", "the token is not meant for this audience");
    }
    const auto sub = claims.value("sub", nlohmann::json());
    request.key_id = "jwt:" + (sub.is_string() ? sub.get<std::string>() : std::string("?"));
    if (!ClaimListAllows(claims, "routes", request.route)) {
      return Deny(request, 403, "permission_denied", "the token may not use route '" + request.route + "'");
    }
    if (!ClaimListAllows(claims, "models", request.model)) {
      return Deny(request, 403, "permission_denied", "the token may not use model '" + request.model + "'");
    }
    request.verdicts["jwt"] = FilterVerdict::Allow();
    return std::nullopt;
  }

 private:
  static std::optional<Answer> Deny(RequestContext& request, unsigned status, const std::string& type,
                                    const std::string& message) {
    request.verdicts["jwt"] = FilterVerdict::Block(type);
    return Answer{status, type, message, {}};
  }
  std::vector<VerificationKey> keys_;
  std::string issuer_, audience_;
  int64_t leeway_;
  bool require_exp_;
};

Result<std::shared_ptr<EVP_PKEY>> ReadPublicKey(const std::string& path, const std::string& alg,
                                                const std::string& where) {
  std::ifstream in(path);
  if (!in) return MakeError(ErrorCode::kIo, where + ".public_key: cannot read '" + path + "'");
  std::stringstream text;
  text << in.rdbuf();
  const std::string pem = text.str();
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = bio ? PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (!key) return MakeError(ErrorCode::kParse, where + ".public_key: '" + path + "' is not a PEM public key");
  std::shared_ptr<EVP_PKEY> owned(key, KeyDeleter{});
  if (alg == "RS256" && EVP_PKEY_base_id(key) != EVP_PKEY_RSA)
    return MakeError(ErrorCode::kInvalidArgument, where + ": RS256 needs an RSA key");
  if (alg == "ES256" && !(EVP_PKEY_base_id(key) == EVP_PKEY_EC && EVP_PKEY_bits(key) == 256)) {
    return MakeError(ErrorCode::kInvalidArgument, where + ": ES256 needs a P-256 key");
  }
  return owned;
}

}  // namespace

std::optional<JwtParts> SplitJwt(std::string_view token) {
  if (token.size() > 16384) return std::nullopt;
  const auto first = token.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  const auto second = token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) return std::nullopt;
  // base64url without padding (RFC 7515 §2): '=' and the standard alphabet are refused.
  auto decode = [](std::string_view part) {
    return Base64Decode(part, Base64Alphabet::kUrl, Base64Padding::kForbidden);
  };
  auto header = decode(token.substr(0, first));
  auto claims = decode(token.substr(first + 1, second - first - 1));
  auto signature = decode(token.substr(second + 1));
  if (!header || !claims || !signature) return std::nullopt;
  JwtParts parts;
  parts.header = nlohmann::json::parse(*header, nullptr, false);
  parts.claims = nlohmann::json::parse(*claims, nullptr, false);
  if (!parts.header.is_object() || !parts.claims.is_object()) return std::nullopt;
  parts.signing_input = std::string(token.substr(0, second));
  parts.signature = std::move(*signature);
  return parts;
}

namespace {

Result<std::shared_ptr<Filter>> Create(const Settings& settings, const FilterEnvironment&) {
  std::vector<VerificationKey> keys;
  for (const auto& k : settings.Objects("keys")) {
    VerificationKey key;
    key.alg = k.String("alg");
    key.kid = k.String("kid");
    // A key with the other kind's material is a configuration mistake, not something to ignore.
    if (key.alg == "HS256" && k.Has("public_key")) return k.Invalid("public_key", "HS256 keys take a secret");
    if (key.alg != "HS256" && k.Has("secret")) return k.Invalid("secret", key.alg + " keys take a public_key");
    if (key.alg == "HS256") {
      key.secret = k.String("secret");
      // RFC 7518 §3.2: the HMAC key must be at least as long as the hash output.
      if (key.secret.size() < 32) return k.Invalid("secret", "HS256 needs a secret of at least 32 bytes");
    } else {
      auto pk = ReadPublicKey(k.String("public_key"), key.alg, k.Path());
      if (!pk) return pk.error();
      key.public_key = std::move(*pk);
    }
    keys.push_back(std::move(key));
  }
  return std::shared_ptr<Filter>(
      std::make_shared<JwtFilter>(std::move(keys), settings.String("issuer"), settings.String("audience"),
                                  settings.Integer("leeway_seconds"), settings.Bool("require_exp")));
}

}  // namespace

const FilterDescriptor& JwtFilterDescriptor() {
  static const FilterDescriptor descriptor{
      "jwt",
      "JSON Web Tokens instead of API keys: HS256, RS256 and ES256 signatures checked with configured keys (the key "
      "decides the algorithm; `none` is refused), exp/nbf with leeway, iss, aud, and `routes`/`models` claims as "
      "scopes.",
      {
          {.key = "keys",
           .type = SettingType::kObjectList,
           .doc = "verification keys",
           .min = 1,
           .required = true,
           .fields =
               {
                   {.key = "alg",
                    .type = SettingType::kString,
                    .doc = "the algorithm this key verifies",
                    .allowed = {"HS256", "RS256", "ES256"},
                    .required = true},
                   {"secret", SettingType::kString, "HS256: the shared secret, at least 32 bytes", ""},
                   {"public_key", SettingType::kString, "RS256/ES256: a PEM public key file (ES256: P-256)", ""},
                   {"kid", SettingType::kString, "only tokens naming this key id (or none) are tried with it", ""},
               }},
          {"issuer", SettingType::kString, "the required `iss` claim; empty: not checked", ""},
          {"audience", SettingType::kString, "the required `aud` claim (or one of its items); empty: not checked", ""},
          {.key = "leeway_seconds",
           .type = SettingType::kInteger,
           .doc = "clock skew allowed for `exp` and `nbf`",
           .default_value = 30,
           .min = 0},
          {"require_exp", SettingType::kBool, "refuse tokens without an `exp` claim", true},
      },
      Create};
  return descriptor;
}

}  // namespace modelguard::gateway
