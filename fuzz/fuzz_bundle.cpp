// Model-signing verification on a hostile Sigstore bundle (v0.3 JSON, DSSE envelope, in-toto statement)
// against a one-file model, with each signer check: a public key, a certificate chain from a private CA,
// and keyless Sigstore with a trusted_root.json. The first byte picks the method; for Sigstore, text after
// the first NUL byte is the trusted root (JSON never holds a raw NUL), else no trusted root is given.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "modelguard/integrity/verify.h"

namespace fs = std::filesystem;

namespace {

void Write(const fs::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

std::string Pem(int (*write)(BIO*, void*), void* object) {
  BIO* bio = BIO_new(BIO_s_mem());
  write(bio, object);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

struct Setup {
  fs::path dir, model, bundle, key, ca, root;
};

const Setup& Files() {
  static const Setup setup = [] {
    Setup s;
    s.dir = fs::temp_directory_path() / ("mg-fuzz-bundle-" + std::to_string(getpid()));
    s.model = s.dir / "model";
    fs::create_directories(s.model);
    Write(s.model / "weights.bin", "weights");
    s.bundle = s.dir / "model.sig";
    s.key = s.dir / "key.pub";
    s.ca = s.dir / "ca.pem";
    s.root = s.dir / "trusted_root.json";
    EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    Write(s.key, Pem([](BIO* b, void* k) { return PEM_write_bio_PUBKEY(b, static_cast<EVP_PKEY*>(k)); }, key));
    // A self-signed CA for the certificate method.
    X509* cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("fuzz CA"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509_sign(cert, key, EVP_sha256());
    Write(s.ca, Pem([](BIO* b, void* c) { return PEM_write_bio_X509(b, static_cast<X509*>(c)); }, cert));
    X509_free(cert);
    EVP_PKEY_free(key);
    return s;
  }();
  return setup;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  using namespace modelguard::integrity;
  const Setup& files = Files();
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  VerifyOptions options;
  options.model_path = files.model.string();
  options.bundle_path = files.bundle.string();
  options.ignore_unsigned_files = data[0] & 8;
  switch (data[0] % 3) {
    case 0:
      options.method = VerifyMethod::kKey;
      options.public_key_path = files.key.string();
      break;
    case 1:
      options.method = VerifyMethod::kCertificate;
      options.certificate_chain_paths = {files.ca.string()};
      break;
    default: {
      options.method = VerifyMethod::kSigstore;
      options.identity = "signer@example.com";
      options.identity_provider = "https://accounts.example.com";
      const size_t nul = input.find('\0');
      if (nul != std::string_view::npos) {
        Write(files.root, input.substr(nul + 1));
        options.trust_root_path = files.root.string();
        input = input.substr(0, nul);
      }
      break;
    }
  }
  Write(files.bundle, input);
  (void)Verify(options);
  return 0;
}
