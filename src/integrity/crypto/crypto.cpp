#include "src/integrity/crypto/crypto.h"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>

#include "modelguard/core/io.h"

namespace modelguard::integrity::crypto {
namespace {

using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;

Bio MemoryBio(std::string_view text) {
  return Bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())), BIO_free);
}

std::string_view FromPemStart(std::string_view text) {
  const auto begin = text.find("-----BEGIN");
  return begin == std::string_view::npos ? std::string_view{} : text.substr(begin);
}

std::string DrainBio(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

}  // namespace

// Core's reader and writer: directories and oversized inputs are errors, and a signature is replaced
// atomically, so a full disk never leaves half a bundle behind.
Result<std::string> ReadFile(const std::string& path) { return modelguard::ReadFile(path); }

Status WriteFile(const std::string& path, std::string_view bytes) { return WriteFileAtomic(path, bytes); }

Result<Key> LoadPublicKeyPem(std::string_view text) {
  const auto pem = FromPemStart(text);
  if (pem.empty()) return MakeError(ErrorCode::kInvalidArgument, "no PEM block found");
  auto bio = MemoryBio(pem);
  Key key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    // A certificate is an acceptable way to hand over a public key.
    auto again = MemoryBio(pem);
    Cert cert(PEM_read_bio_X509(again.get(), nullptr, nullptr, nullptr));
    if (cert) key.reset(X509_get_pubkey(cert.get()));
  }
  if (!key) return MakeError(ErrorCode::kInvalidArgument, "the PEM block is not a public key OpenSSL can read");
  return key;
}

Result<Key> LoadPrivateKeyPem(std::string_view text) {
  const auto pem = FromPemStart(text);
  if (pem.empty()) return MakeError(ErrorCode::kInvalidArgument, "no PEM block found");
  auto bio = MemoryBio(pem);
  Key key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key)
    return MakeError(ErrorCode::kInvalidArgument, "the PEM block is not an unencrypted private key OpenSSL can read");
  return key;
}

Result<std::vector<Cert>> LoadCertificatesPem(std::string_view text) {
  std::vector<Cert> certs;
  const auto pem = FromPemStart(text);
  auto bio = MemoryBio(pem);
  while (Cert cert{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)}) certs.push_back(std::move(cert));
  if (certs.empty()) return MakeError(ErrorCode::kInvalidArgument, "no PEM certificate found");
  return certs;
}

Result<Cert> LoadCertificateDer(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  Cert cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert || p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    return MakeError(ErrorCode::kParse, "not a DER X.509 certificate");
  }
  return cert;
}

std::string CertificateDer(X509* cert) {
  unsigned char* out = nullptr;
  const int n = i2d_X509(cert, &out);
  if (n <= 0) return {};
  std::string der(reinterpret_cast<char*>(out), static_cast<size_t>(n));
  OPENSSL_free(out);
  return der;
}

std::string CertificatePem(X509* cert) {
  Bio bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_X509(bio.get(), cert);
  return DrainBio(bio.get());
}

std::string PublicKeyPem(EVP_PKEY* key) {
  Bio bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PUBKEY(bio.get(), key);
  return DrainBio(bio.get());
}

std::string PublicKeyDer(EVP_PKEY* key) {
  unsigned char* out = nullptr;
  const int n = i2d_PUBKEY(key, &out);
  if (n <= 0) return {};
  std::string der(reinterpret_cast<char*>(out), static_cast<size_t>(n));
  OPENSSL_free(out);
  return der;
}

Result<Key> LoadPublicKeyDer(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  Key key(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (!key) return MakeError(ErrorCode::kParse, "not a DER SubjectPublicKeyInfo");
  return key;
}

bool SamePublicKey(EVP_PKEY* a, EVP_PKEY* b) { return EVP_PKEY_eq(a, b) == 1; }

const EVP_MD* HashForKey(EVP_PKEY* key) {
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519) return nullptr;
  switch (EVP_PKEY_get_bits(key)) {
    case 384:
      return EVP_sha384();
    case 521:
      return EVP_sha512();
    default:
      return EVP_sha256();
  }
}

Result<std::string> Sign(EVP_PKEY* key, std::string_view message) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  size_t size = 0;
  if (EVP_DigestSignInit(ctx.get(), nullptr, HashForKey(key), nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &size, reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1) {
    return MakeError(ErrorCode::kInvalidArgument, "this key cannot sign (ECDSA P-256/P-384/P-521 or Ed25519 expected)");
  }
  std::string signature(size, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1) {
    return MakeError(ErrorCode::kInvalidArgument, "signing failed");
  }
  signature.resize(size);
  return signature;
}

bool Verify(EVP_PKEY* key, std::string_view signature, std::string_view message, const EVP_MD* md) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  return EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, key) == 1 &&
         EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                          reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
}

std::string KeyDescription(EVP_PKEY* key) {
  const int id = EVP_PKEY_get_base_id(key);
  if (id == EVP_PKEY_ED25519) return "Ed25519";
  if (id == EVP_PKEY_EC) {
    char group[64] = {0};
    size_t len = 0;
    EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &len);
    return std::string("ECDSA ") + group;
  }
  if (id == EVP_PKEY_RSA) return "RSA " + std::to_string(EVP_PKEY_get_bits(key));
  return "unknown key type";
}

}  // namespace modelguard::integrity::crypto
