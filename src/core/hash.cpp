#include "modelguard/core/hash.h"

#include <openssl/evp.h>

#include "modelguard/core/bytes.h"

namespace modelguard {
namespace {

const EVP_MD* Algorithm(DigestKind kind) {
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  static EVP_MD* const blake2b = EVP_MD_fetch(nullptr, "BLAKE2B-512", nullptr);
  return kind == DigestKind::kSha256 ? sha256 : blake2b;
}

struct ContextFree {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};
using Context = std::unique_ptr<EVP_MD_CTX, ContextFree>;

}  // namespace

Sha256Digest Sha256(std::string_view bytes) {
  thread_local Context context(EVP_MD_CTX_new());
  Sha256Digest digest{};
  unsigned int size = 0;
  EVP_DigestInit_ex2(context.get(), Algorithm(DigestKind::kSha256), nullptr);
  EVP_DigestUpdate(context.get(), bytes.data(), bytes.size());
  EVP_DigestFinal_ex(context.get(), digest.data(), &size);
  return digest;
}

std::string Sha256Hex(std::string_view bytes) { return HexEncode(Sha256(bytes)); }

std::string Sha256Bytes(std::string_view bytes) {
  const Sha256Digest digest = Sha256(bytes);
  return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

struct DigestStream::State {
  Context context{EVP_MD_CTX_new()};
};

DigestStream::DigestStream(DigestKind kind) : state_(std::make_unique<State>()) {
  EVP_DigestInit_ex2(state_->context.get(), Algorithm(kind), nullptr);
}
DigestStream::~DigestStream() = default;

void DigestStream::Update(std::string_view bytes) {
  EVP_DigestUpdate(state_->context.get(), bytes.data(), bytes.size());
}

std::string DigestStream::Finish() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_DigestFinal_ex(state_->context.get(), digest, &size);
  return std::string(reinterpret_cast<const char*>(digest), size);
}

std::string DigestStream::HexDigest() { return HexEncode(Finish()); }

}  // namespace modelguard
