// Every golden bundle written by model_signing v0.2 through v1.1 verifies (key, certificate and keyless
// Sigstore, the latter fully against the Sigstore trusted root that @sigstore/tuf ships); tampered copies
// fail with the right diff or the right reason (../shared/interop/model-signing).
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "modelguard/integrity/verify.h"
#include "src/integrity/crypto/crypto.h"
#include "test_support.h"

namespace modelguard::integrity {
namespace {
namespace fs = std::filesystem;

std::string Golden(const std::string& rel) { return testing::SharedDir() + "/interop/model-signing/" + rel; }
const std::string kKey = "keys/certificate/signing-key-pub.pem";

struct Case {
  std::string dir, model, ignore;
};
const Case kCases[] = {{"v0.3.1-elliptic-key", "signme-1", ""},
                       {"v1.0.0-elliptic-key", "signme-1", ""},
                       {"v1.0.1-elliptic-key", "", "ignore-me"},
                       {"v1.1.0-elliptic-key", "", "ignore-me"}};

VerifyOptions Options(const fs::path& model, const fs::path& bundle, const std::string& ignore) {
  VerifyOptions o;
  o.model_path = model.string();
  o.bundle_path = bundle.string();
  o.public_key_path = Golden(kKey);
  if (!ignore.empty()) o.extra_ignores.push_back(ignore);
  return o;
}

class VerifyGoldens : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_ = fs::temp_directory_path() / ("mg-verify-" + std::to_string(::getpid()));
    fs::remove_all(tmp_);
    fs::create_directories(tmp_);
  }
  void TearDown() override { fs::remove_all(tmp_); }
  // A writable copy of a golden model directory.
  fs::path Copy(const Case& c) {
    fs::copy(Golden(c.dir), tmp_ / c.dir, fs::copy_options::recursive);
    for (const auto& e : fs::recursive_directory_iterator(tmp_ / c.dir)) {
      fs::permissions(e.path(), fs::perms::owner_write, fs::perm_options::add);
    }
    fs::permissions(tmp_ / c.dir, fs::perms::owner_all, fs::perm_options::add);
    return tmp_ / c.dir;
  }
  fs::path tmp_;
};

TEST_F(VerifyGoldens, EveryKeyBundleVerifies) {
  for (const auto& c : kCases) {
    const fs::path dir = Golden(c.dir);
    auto report = Verify(Options(c.model.empty() ? dir : dir / c.model, dir / "model.sig", c.ignore));
    ASSERT_TRUE(report.ok()) << report.error().message;
    EXPECT_TRUE(report->ok()) << c.dir << (report->problems.empty() ? "" : ": " + report->problems[0]);
    EXPECT_EQ(report->subject_digest, report->computed_digest) << c.dir;
  }
}

TEST_F(VerifyGoldens, TamperedModelsFailWithADiff) {
  const Case c = kCases[3];
  const fs::path dir = Copy(c);
  {
    std::fstream f(dir / "signme-1", std::ios::in | std::ios::out | std::ios::binary);
    char b = 0;
    f.read(&b, 1);
    f.seekp(0);
    b = static_cast<char>(b ^ 1);
    f.write(&b, 1);
  }
  auto flipped = Verify(Options(dir, dir / "model.sig", c.ignore));
  ASSERT_TRUE(flipped.ok());
  EXPECT_FALSE(flipped->ok());
  ASSERT_EQ(flipped->differences.size(), 1u);
  EXPECT_EQ(flipped->differences[0].kind, FileDifference::kModified);
  EXPECT_EQ(flipped->differences[0].name, "signme-1");
  EXPECT_TRUE(flipped->signature_valid);  // the bundle is fine; the model is not

  fs::remove_all(dir);
  Copy(c);
  std::ofstream(dir / "extra.bin") << "smuggled";
  auto extra = Verify(Options(dir, dir / "model.sig", c.ignore));
  ASSERT_TRUE(extra.ok());
  EXPECT_FALSE(extra->ok());
  ASSERT_EQ(extra->differences.size(), 1u);
  EXPECT_EQ(extra->differences[0].kind, FileDifference::kExtra);
  auto tolerant_options = Options(dir, dir / "model.sig", c.ignore);
  tolerant_options.ignore_unsigned_files = true;
  EXPECT_TRUE(Verify(tolerant_options)->ok());

  fs::remove(dir / "extra.bin");
  fs::remove(dir / "signme-2");
  auto missing = Verify(Options(dir, dir / "model.sig", c.ignore));
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->ok());
  ASSERT_EQ(missing->differences.size(), 1u);
  EXPECT_EQ(missing->differences[0].kind, FileDifference::kMissing);
}

TEST_F(VerifyGoldens, WrongKeyAndAlteredPayloadFail) {
  const Case c = kCases[3];
  const fs::path dir = Golden(c.dir);
  // A fresh P-384 key.
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
  ASSERT_NE(key, nullptr);
  const fs::path pem = tmp_ / "other.pem";
  FILE* f = std::fopen(pem.c_str(), "w");
  PEM_write_PUBKEY(f, key);
  std::fclose(f);
  EVP_PKEY_free(key);
  auto options = Options(dir, dir / "model.sig", c.ignore);
  options.public_key_path = pem.string();
  auto wrong = Verify(options);
  ASSERT_TRUE(wrong.ok());
  EXPECT_FALSE(wrong->signature_valid);
  EXPECT_FALSE(wrong->ok());

  // Change one character of the base64 payload: the statement no longer matches its signature.
  std::ifstream in(dir / "model.sig");
  auto bundle = nlohmann::json::parse(in);
  std::string payload = bundle["dsseEnvelope"]["payload"];
  payload[20] = payload[20] == 'A' ? 'B' : 'A';
  bundle["dsseEnvelope"]["payload"] = payload;
  std::ofstream(tmp_ / "altered.sig") << bundle.dump();
  auto altered = Verify(Options(dir, tmp_ / "altered.sig", c.ignore));
  ASSERT_TRUE(altered.ok());
  EXPECT_FALSE(altered->signature_valid);
}

const char* kCertificateDirs[] = {"v0.2.0-certificate", "v0.3.1-certificate", "v1.0.0-certificate",
                                  "v1.0.1-certificate", "v1.1.0-certificate"};
const char* kSigstoreDirs[] = {"v0.3.1-sigstore", "v1.0.0-sigstore", "v1.0.1-sigstore", "v1.1.0-sigstore"};

std::string IgnoreFor(const std::string& dir) {
  return dir.rfind("v1.0.1", 0) == 0 || dir.rfind("v1.1.0", 0) == 0 ? "ignore-me" : "";
}

VerifyOptions CertificateOptions(const fs::path& model, const fs::path& bundle) {
  VerifyOptions o;
  o.method = VerifyMethod::kCertificate;
  o.model_path = model.string();
  o.bundle_path = bundle.string();
  o.certificate_chain_paths = {Golden("keys/certificate/ca-cert.pem")};
  const std::string ignore = IgnoreFor(model.filename().string());
  if (!ignore.empty()) o.extra_ignores.push_back(ignore);
  return o;
}

// The public-good trusted root, as @sigstore/tuf (installed by scripts/npm-tools) embeds it.
std::string TrustRootFile(const fs::path& tmp) {
  std::ifstream in(std::string(MODELGUARD_SOURCE_DIR) + "/build-npm/node_modules/@sigstore/tuf/seeds.json");
  if (!in) return {};
  const auto seeds = nlohmann::json::parse(in);
  const auto root =
      Base64Decode(seeds["https://tuf-repo-cdn.sigstore.dev"]["targets"]["trusted_root.json"].get<std::string>());
  if (!root) return {};
  const fs::path out = tmp / "trusted_root.json";
  std::ofstream(out) << *root;
  return out.string();
}

VerifyOptions SigstoreOptions(const fs::path& model, const fs::path& bundle, const std::string& trust_root) {
  VerifyOptions o;
  o.method = VerifyMethod::kSigstore;
  o.model_path = model.string();
  o.bundle_path = bundle.string();
  o.identity = "stefanb@us.ibm.com";
  o.identity_provider = "https://sigstore.verify.ibm.com/oauth2";
  o.trust_root_path = trust_root;
  const std::string ignore = IgnoreFor(model.filename().string());
  if (!ignore.empty()) o.extra_ignores.push_back(ignore);
  return o;
}

TEST_F(VerifyGoldens, EveryCertificateBundleVerifiesIncludingV02) {
  for (const char* d : kCertificateDirs) {
    auto report = Verify(CertificateOptions(Golden(d), fs::path(Golden(d)) / "model.sig"));
    ASSERT_TRUE(report.ok()) << report.error().message;
    EXPECT_TRUE(report->ok()) << d << (report->problems.empty() ? "" : ": " + report->problems[0]);
  }
  // v0.2 signed a malformed PAE with SHA-256 under a P-384 key; only the compatibility path accepts it.
  auto legacy =
      Verify(CertificateOptions(Golden("v0.2.0-certificate"), fs::path(Golden("v0.2.0-certificate")) / "model.sig"));
  EXPECT_EQ(legacy->predicate_type, "https://model_signing/Digests/v0.1");
}

TEST_F(VerifyGoldens, CertificateBundlesFailOnAnUntrustedCaOrChangedModel) {
  const fs::path dir = Golden("v1.1.0-certificate");
  auto options = CertificateOptions(dir, dir / "model.sig");
  // Trusting only an unrelated self-signed CA.
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  X509* ca = X509_new();
  X509_set_version(ca, 2);
  X509_gmtime_adj(X509_getm_notBefore(ca), -86400L * 3650);
  X509_gmtime_adj(X509_getm_notAfter(ca), 86400L * 3650);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(ca), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("other-ca"), -1, -1, 0);
  X509_set_issuer_name(ca, X509_get_subject_name(ca));
  X509_set_pubkey(ca, key);
  X509_sign(ca, key, EVP_sha256());
  const fs::path other = tmp_ / "other-ca.pem";
  std::ofstream(other) << crypto::CertificatePem(ca);
  X509_free(ca);
  EVP_PKEY_free(key);
  options.certificate_chain_paths = {other.string()};
  auto untrusted = Verify(options);
  ASSERT_TRUE(untrusted.ok());
  EXPECT_FALSE(untrusted->ok());
  EXPECT_FALSE(untrusted->signature_valid);
  ASSERT_FALSE(untrusted->problems.empty());
  EXPECT_NE(untrusted->problems[0].find("does not chain"), std::string::npos) << untrusted->problems[0];

  const fs::path copy = Copy({"v0.2.0-certificate", "", ""});
  std::ofstream(copy / "signme-2", std::ios::app) << "x";
  auto changed = Verify(CertificateOptions(copy, copy / "model.sig"));
  ASSERT_TRUE(changed.ok());
  EXPECT_TRUE(changed->signature_valid);
  ASSERT_EQ(changed->differences.size(), 1u);
  EXPECT_EQ(changed->differences[0].kind, FileDifference::kModified);
  EXPECT_EQ(changed->differences[0].name, "signme-2");
}

TEST_F(VerifyGoldens, EverySigstoreBundleVerifiesFullyAgainstTheTrustedRoot) {
  const std::string trust_root = TrustRootFile(tmp_);
  ASSERT_FALSE(trust_root.empty()) << "scripts/npm-tools installs @sigstore/tuf into build-npm/";
  for (const char* d : kSigstoreDirs) {
    auto report = Verify(SigstoreOptions(Golden(d), fs::path(Golden(d)) / "model.sig", trust_root));
    ASSERT_TRUE(report.ok()) << report.error().message;
    EXPECT_TRUE(report->ok()) << d << (report->problems.empty() ? "" : ": " + report->problems[0]);
    EXPECT_TRUE(report->warnings.empty()) << d;
    EXPECT_EQ(report->checks.size(), 5u) << d;  // identity, inclusion, checkpoint, SET, Fulcio chain
  }
  // Without the trusted root the offline checks still hold, and the report says what was not checked.
  auto partial =
      Verify(SigstoreOptions(Golden(kSigstoreDirs[3]), fs::path(Golden(kSigstoreDirs[3])) / "model.sig", ""));
  EXPECT_TRUE(partial->ok());
  EXPECT_EQ(partial->warnings.size(), 1u);
}

TEST_F(VerifyGoldens, SigstoreBundlesFailOnWrongIdentityOrTamperedLogEntry) {
  const std::string trust_root = TrustRootFile(tmp_);
  const fs::path dir = Golden("v1.1.0-sigstore");
  auto options = SigstoreOptions(dir, dir / "model.sig", trust_root);
  options.identity = "attacker@example.com";
  auto wrong_identity = Verify(options);
  ASSERT_TRUE(wrong_identity.ok());
  EXPECT_FALSE(wrong_identity->ok());

  std::ifstream in(dir / "model.sig");
  const auto bundle = nlohmann::json::parse(in);
  auto& entry = const_cast<nlohmann::json&>(bundle)["verificationMaterial"]["tlogEntries"][0];
  // A sibling hash of the inclusion proof changed: the proof no longer reaches the checkpoint's root.
  auto tampered_proof = bundle;
  std::string h = entry["inclusionProof"]["hashes"][0];
  h[0] = h[0] == 'A' ? 'B' : 'A';
  tampered_proof["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["hashes"][0] = h;
  std::ofstream(tmp_ / "proof.sig") << tampered_proof.dump();
  auto bad_proof = Verify(SigstoreOptions(dir, tmp_ / "proof.sig", trust_root));
  EXPECT_FALSE(bad_proof->ok());
  // Another integration time: the signed entry timestamp no longer verifies.
  auto tampered_time = bundle;
  tampered_time["verificationMaterial"]["tlogEntries"][0]["integratedTime"] = "1760062341";
  std::ofstream(tmp_ / "time.sig") << tampered_time.dump();
  auto bad_time = Verify(SigstoreOptions(dir, tmp_ / "time.sig", trust_root));
  EXPECT_FALSE(bad_time->ok());
  bool named = false;
  for (const auto& p : bad_time->problems) named |= p.find("signed entry timestamp") != std::string::npos;
  EXPECT_TRUE(named);
}

}  // namespace
}  // namespace modelguard::integrity
