#include "modelguard/core/hash.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

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
  // The one-shot digest of a small input is mostly call overhead, and OpenSSL 3's EVP layer (provider
  // dispatch, context reset) costs about as much as compressing two blocks: the gateway takes up to four
  // digests per request (API key, request, response, audit chain). The low-level functions run the same
  // assembly (SHA-NI where the CPU has it) without that layer. They are deprecated in OpenSSL 3 in favour
  // of EVP, not removed; DigestStream below keeps EVP for everything streamed.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  SHA256_CTX context;
  SHA256_Init(&context);
  SHA256_Update(&context, bytes.data(), bytes.size());
  Sha256Digest digest{};
  SHA256_Final(digest.data(), &context);
#pragma GCC diagnostic pop
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
