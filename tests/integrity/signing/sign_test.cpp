// Signing: statements reproduce upstream's payload goldens byte for byte; every key type signs bundles that
// our verifier accepts and that the openssl command line verifies independently over the DSSE PAE.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "modelguard/integrity/signing.h"
#include "modelguard/integrity/verify.h"
#include "src/integrity/crypto/crypto.h"
#include "test_support.h"

namespace modelguard::integrity {
namespace {
namespace fs = std::filesystem;

void Write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class Signing : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_ = fs::temp_directory_path() / ("mg-sign-" + std::to_string(::getpid()));
    fs::remove_all(tmp_);
    Write(tmp_ / "model" / "weights.bin", std::string(100000, 'w'));
    Write(tmp_ / "model" / "config" / "config.json", "{\"architectures\": [\"Demo\"]}");
  }
  void TearDown() override { fs::remove_all(tmp_); }

  // A fresh key pair written as PEM files; returns {private, public}.
  std::pair<std::string, std::string> NewKey(const char* type, const char* curve) {
    EVP_PKEY* key =
        curve ? EVP_PKEY_Q_keygen(nullptr, nullptr, type, curve) : EVP_PKEY_Q_keygen(nullptr, nullptr, type);
    EXPECT_NE(key, nullptr);
    const std::string name = std::string(type) + (curve ? curve : "");
    const fs::path priv = tmp_ / (name + ".pem"), pub = tmp_ / (name + ".pub");
    FILE* f = std::fopen(priv.c_str(), "w");
    PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
    f = std::fopen(pub.c_str(), "w");
    PEM_write_PUBKEY(f, key);
    std::fclose(f);
    EVP_PKEY_free(key);
    return {priv.string(), pub.string()};
  }

  fs::path tmp_;
};

TEST_F(Signing, EveryKeyTypeRoundTripsAndOpensslAgrees) {
  struct KeyType {
    const char* type;
    const char* curve;
    const char* openssl_digest;  // nullptr: Ed25519 signs the message itself
  };
  for (const KeyType& k : {KeyType{"EC", "P-256", "-sha256"}, KeyType{"EC", "P-384", "-sha384"},
                           KeyType{"EC", "P-521", "-sha512"}, KeyType{"ED25519", nullptr, nullptr}}) {
    const auto [priv, pub] = NewKey(k.type, k.curve);
    SignOptions options;
    options.model_path = (tmp_ / "model").string();
    options.private_key_path = priv;
    options.signature_path = (tmp_ / "model" / "model.sig").string();
    auto signed_model = SignModel(options);
    ASSERT_TRUE(signed_model.ok()) << signed_model.error().message;
    EXPECT_EQ(signed_model->resource_count, 2u);

    VerifyOptions verify;
    verify.model_path = options.model_path;
    verify.bundle_path = options.signature_path;
    verify.public_key_path = pub;
    auto report = Verify(verify);
    ASSERT_TRUE(report.ok());
    EXPECT_TRUE(report->ok()) << k.type << (report->problems.empty() ? "" : report->problems[0]);

    // Independent check: the PAE and signature taken from the bundle, verified by the openssl CLI.
    const auto bundle = nlohmann::json::parse(Slurp(options.signature_path));
    const auto& envelope = bundle["dsseEnvelope"];
    EXPECT_EQ(envelope["signatures"][0]["keyid"], bundle["verificationMaterial"]["publicKey"]["hint"]);
    const auto payload = Base64Decode(envelope["payload"].get<std::string>());
    const auto signature = Base64Decode(envelope["signatures"][0]["sig"].get<std::string>());
    ASSERT_TRUE(payload && signature);
    Write(tmp_ / "pae.bin", DssePae(envelope["payloadType"].get<std::string>(), *payload));
    Write(tmp_ / "sig.bin", *signature);
    const std::string quiet = " > /dev/null 2>&1";
    const std::string command =
        k.openssl_digest ? std::string("openssl dgst ") + k.openssl_digest + " -verify " + pub + " -signature " +
                               (tmp_ / "sig.bin").string() + " " + (tmp_ / "pae.bin").string()
                         : "openssl pkeyutl -verify -pubin -inkey " + pub + " -rawin -in " +
                               (tmp_ / "pae.bin").string() + " -sigfile " + (tmp_ / "sig.bin").string();
    EXPECT_EQ(std::system((command + quiet).c_str()), 0) << command;
    // And the same check fails on a PAE that differs by one byte, so it can fail at all.
    auto pae = Slurp(tmp_ / "pae.bin");
    pae.back() = static_cast<char>(pae.back() ^ 1);
    Write(tmp_ / "pae.bin", pae);
    EXPECT_NE(std::system((command + quiet).c_str()), 0) << command;
  }
}

TEST_F(Signing, CertificateModeEmbedsTheChainAndVerifies) {
  const std::string keys = testing::SharedDir() + "/interop/model-signing/keys/certificate/";
  SignOptions options;
  options.model_path = (tmp_ / "model").string();
  options.private_key_path = keys + "signing-key.pem";
  options.signing_certificate_path = keys + "signing-key-cert.pem";
  options.certificate_chain_paths = {keys + "int-ca-cert.pem"};
  options.signature_path = (tmp_ / "model.sig").string();
  ASSERT_TRUE(SignModel(options).ok());
  const auto bundle = nlohmann::json::parse(Slurp(options.signature_path));
  EXPECT_EQ(bundle["verificationMaterial"]["x509CertificateChain"]["certificates"].size(), 2u);

  VerifyOptions verify;
  verify.method = VerifyMethod::kCertificate;
  verify.model_path = options.model_path;
  verify.bundle_path = options.signature_path;
  verify.certificate_chain_paths = {keys + "ca-cert.pem"};
  auto report = Verify(verify);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok()) << (report->problems.empty() ? "" : report->problems[0]);

  // A certificate that belongs to another key is refused before anything is signed.
  const auto [other, other_pub] = NewKey("EC", "P-384");
  options.private_key_path = other;
  auto refused = SignModel(options);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("does not belong"), std::string::npos);
}

// Upstream's payload goldens on the trees of its tests/conftest.py (see manifest_test.cpp).
TEST_F(Signing, StatementsMatchUpstreamPayloadGoldens) {
  const fs::path root = tmp_ / "trees";
  Write(root / "file_model", "This is a simple model");
  Write(root / "empty_file_model", "");
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 3; ++j) {
      Write(root / "sample_model" / ("d" + std::to_string(i)) / ("f" + std::to_string(i) + std::to_string(j)),
            "This is file f" + std::to_string(i) + std::to_string(j) + " in d" + std::to_string(i) + ".");
    }
  }
  for (int i = 0; i < 4; ++i)
    Write(root / "sample_model" / ("f" + std::to_string(i)), "This is file f" + std::to_string(i) + " in root.");
  fs::create_directories(root / "empty_folder_model");
  Write(root / "empty_file_inside_model" / "empty_file", "");
  fs::path deep = root / "deep_model";
  for (int i = 0; i < 5; ++i) deep /= "d" + std::to_string(i);
  for (int i = 0; i < 4; ++i) Write(deep / ("f" + std::to_string(i)), "This is file f" + std::to_string(i) + ".");
  Write(tmp_ / "external_file", "This is a simple model");
  fs::create_directories(root / "symlink_model");
  fs::create_symlink(tmp_ / "external_file", root / "symlink_model" / "symlink_file");

  const std::pair<const char*, const char*> kTrees[] = {{"sample_model_file", "file_model"},
                                                        {"empty_model_file", "empty_file_model"},
                                                        {"sample_model_folder", "sample_model"},
                                                        {"empty_model_folder", "empty_folder_model"},
                                                        {"model_folder_with_empty_file", "empty_file_inside_model"},
                                                        {"deep_model_folder", "deep_model"},
                                                        {"symlink_model_folder", "symlink_model"}};
  int compared = 0;
  for (const auto& [golden, tree] : kTrees) {
    for (const auto& [suffix, method, shard] :
         {std::tuple<std::string, ManifestMethod, uint64_t>{"", ManifestMethod::kFiles, 0},
          {"_shard", ManifestMethod::kShards, 1000000000},
          {"_small_shards", ManifestMethod::kShards, 8}}) {
      ManifestOptions options;
      options.method = method;
      if (shard) options.shard_size = shard;
      options.allow_symlinks = true;
      auto manifest = BuildManifest((root / tree).string(), options);
      ASSERT_TRUE(manifest.ok()) << manifest.error().message;
      const std::string expected =
          Slurp(testing::SharedDir() + "/interop/model-signing/payload-goldens/TestPayload/" + golden + suffix);
      ASSERT_FALSE(expected.empty()) << golden << suffix;
      EXPECT_EQ(BuildStatement(*manifest, tree, {}, true) + "\n", expected) << golden << suffix;
      ++compared;
    }
  }
  EXPECT_EQ(compared, 21);
}

}  // namespace
}  // namespace modelguard::integrity
