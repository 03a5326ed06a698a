#pragma once
// OpenSSL 3 glue shared by signing, verification and the transparency log: PEM/DER loading and signatures whose hash
// follows the key (ECDSA P-256/SHA-256, P-384/SHA-384, P-521/SHA-512; Ed25519 signs the message itself). Internal to
// modelguard_integrity.
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "modelguard/core/bytes.h"
#include "modelguard/core/hash.h"
#include "modelguard/core/result.h"

namespace modelguard::integrity::crypto {

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertFree {
  void operator()(X509* c) const { X509_free(c); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

Result<std::string> ReadFile(const std::string& path);
Status WriteFile(const std::string& path, std::string_view bytes);

// PEM text may be preceded by anything (upstream's key files start with a human-readable dump).
Result<Key> LoadPublicKeyPem(std::string_view pem);
Result<Key> LoadPrivateKeyPem(std::string_view pem);
Result<std::vector<Cert>> LoadCertificatesPem(std::string_view pem);
Result<Cert> LoadCertificateDer(std::string_view der);
std::string CertificateDer(X509* cert);
std::string CertificatePem(X509* cert);
std::string PublicKeyPem(EVP_PKEY* key);  // SubjectPublicKeyInfo PEM, as upstream hashes for the key hint
std::string PublicKeyDer(EVP_PKEY* key);
Result<Key> LoadPublicKeyDer(std::string_view der);
bool SamePublicKey(EVP_PKEY* a, EVP_PKEY* b);

const EVP_MD* HashForKey(EVP_PKEY* key);  // nullptr for Ed25519
Result<std::string> Sign(EVP_PKEY* key, std::string_view message);
bool Verify(EVP_PKEY* key, std::string_view signature, std::string_view message, const EVP_MD* md);
inline bool Verify(EVP_PKEY* key, std::string_view signature, std::string_view message) {
  return Verify(key, signature, message, HashForKey(key));
}
std::string KeyDescription(EVP_PKEY* key);  // "ECDSA P-384", "Ed25519"

}  // namespace modelguard::integrity::crypto
