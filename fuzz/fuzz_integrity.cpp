// The integrity parsers that read untrusted text: checkpoint notes, dataset manifests, JSONL/CSV records and
// DSSE bundles. The first byte picks the parser; none may crash, hang or leak whatever the rest holds.
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdint>
#include <string>

#include "modelguard/integrity/dataset.h"
#include "modelguard/integrity/log.h"
#include "modelguard/integrity/signing.h"

namespace {

std::string PublicKeyPem() {
  static const std::string pem = [] {
    EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, key);
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<size_t>(n));
    BIO_free(bio);
    EVP_PKEY_free(key);
    return out;
  }();
  return pem;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  using namespace modelguard::integrity;
  switch (data[0] % 4) {
    case 0:
      (void)VerifyCheckpointNote(text, PublicKeyPem());
      break;
    case 1:
      (void)ParseDatasetManifest(text);
      break;
    case 2:
      (void)SplitRecords(text, data[0] & 4);
      break;
    case 3:
      (void)VerifyPayloadBundle(text, kInTotoPayloadType, PublicKeyPem());
      break;
  }
  return 0;
}
