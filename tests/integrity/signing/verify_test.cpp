// Key-signed bundles written by model_signing v0.3.1 through v1.1.0 verify; tampered copies fail with the
// right diff (../shared/interop/model-signing).
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "modelguard/integrity/verify.h"
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
    auto report = VerifyWithKey(Options(c.model.empty() ? dir : dir / c.model, dir / "model.sig", c.ignore));
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
  auto flipped = VerifyWithKey(Options(dir, dir / "model.sig", c.ignore));
  ASSERT_TRUE(flipped.ok());
  EXPECT_FALSE(flipped->ok());
  ASSERT_EQ(flipped->differences.size(), 1u);
  EXPECT_EQ(flipped->differences[0].kind, FileDifference::kModified);
  EXPECT_EQ(flipped->differences[0].name, "signme-1");
  EXPECT_TRUE(flipped->signature_valid);  // the bundle is fine; the model is not

  fs::remove_all(dir);
  Copy(c);
  std::ofstream(dir / "extra.bin") << "smuggled";
  auto extra = VerifyWithKey(Options(dir, dir / "model.sig", c.ignore));
  ASSERT_TRUE(extra.ok());
  EXPECT_FALSE(extra->ok());
  ASSERT_EQ(extra->differences.size(), 1u);
  EXPECT_EQ(extra->differences[0].kind, FileDifference::kExtra);
  auto tolerant_options = Options(dir, dir / "model.sig", c.ignore);
  tolerant_options.ignore_unsigned_files = true;
  EXPECT_TRUE(VerifyWithKey(tolerant_options)->ok());

  fs::remove(dir / "extra.bin");
  fs::remove(dir / "signme-2");
  auto missing = VerifyWithKey(Options(dir, dir / "model.sig", c.ignore));
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
  auto wrong = VerifyWithKey(options);
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
  auto altered = VerifyWithKey(Options(dir, tmp_ / "altered.sig", c.ignore));
  ASSERT_TRUE(altered.ok());
  EXPECT_FALSE(altered->signature_valid);
}

}  // namespace
}  // namespace modelguard::integrity
