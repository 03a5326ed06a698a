#pragma once
// SHA-256 as lower-case hex: stored API keys, audit chain links and the body digests in audit events.
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <string>
#include <string_view>

#include "modelguard/core/bytes.h"

namespace modelguard::gateway {

// SHA-256 fetched once. OpenSSL 3 looks an algorithm up again on every implicit fetch (SHA256(), or
// EVP_sha256() in a fresh context), which costs more than hashing a small body; this runs on every audited
// request, up to three times.
inline const EVP_MD* Sha256Algorithm() {
  static EVP_MD* const algorithm = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return algorithm;
}

inline void Sha256(std::string_view text, unsigned char (&digest)[SHA256_DIGEST_LENGTH]) {
  struct Context {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Context() { EVP_MD_CTX_free(ctx); }
  };
  thread_local Context context;
  unsigned int size = 0;
  EVP_DigestInit_ex2(context.ctx, Sha256Algorithm(), nullptr);
  EVP_DigestUpdate(context.ctx, text.data(), text.size());
  EVP_DigestFinal_ex(context.ctx, digest, &size);
}

inline std::string Sha256Hex(std::string_view text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  Sha256(text, digest);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

}  // namespace modelguard::gateway

namespace modelguard::gateway {

// SHA-256 over data that arrives in pieces (a streamed response as the client received it).
class Sha256Stream {
 public:
  Sha256Stream() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex2(ctx_, Sha256Algorithm(), nullptr); }
  ~Sha256Stream() { EVP_MD_CTX_free(ctx_); }
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;
  void Update(std::string_view bytes) { EVP_DigestUpdate(ctx_, bytes.data(), bytes.size()); }
  std::string HexDigest() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_DigestFinal_ex(ctx_, digest, &size);
    return HexEncode(std::string_view(reinterpret_cast<const char*>(digest), size));
  }

 private:
  EVP_MD_CTX* ctx_;
};

}  // namespace modelguard::gateway
