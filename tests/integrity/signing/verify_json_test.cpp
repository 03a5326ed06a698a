// Issue 17: a bundle, statement, trusted root or dataset manifest with a field of the wrong type made
// verify and bom abort (an uncaught nlohmann type_error). Every field of the golden bundles (and of the
// statement inside them, a trusted root and a dataset manifest) is replaced in turn by a value of every
// other JSON type: the result is a report or an error, never an exception, and an error about a type names
// the field's path.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "modelguard/core/bytes.h"
#include "modelguard/integrity/dataset.h"
#include "modelguard/integrity/verify.h"
#include "test_support.h"

namespace modelguard::integrity {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

std::string Golden(const std::string& rel) { return testing::SharedDir() + "/interop/model-signing/" + rel; }

json ReadJson(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in);
}

// Every value's JSON pointer and the path spelling JsonField uses ("a.b[0].c"); the first two elements of
// arrays are enough to reach every kind of field.
void Fields(const json& value, const json::json_pointer& pointer, const std::string& path,
            std::vector<std::pair<json::json_pointer, std::string>>& out) {
  out.emplace_back(pointer, path);
  if (value.is_object()) {
    for (const auto& [key, item] : value.items())
      Fields(item, pointer / key, path.empty() ? key : path + "." + key, out);
  } else if (value.is_array()) {
    for (size_t i = 0; i < value.size() && i < 2; ++i)
      Fields(value[i], pointer / i, path + "[" + std::to_string(i) + "]", out);
  }
}

const json kValues[] = {json(5),       json("text"), json::array(), json::object(),
                        json(nullptr), json(true),   json(-1),      json(1.5)};

// Runs `check` on every mutation of `document`; `check` returns the error message (empty: no error).
void Mutate(const json& document, const std::function<std::string(const json&)>& check, size_t& runs) {
  std::vector<std::pair<json::json_pointer, std::string>> fields;
  Fields(document, json::json_pointer(), "", fields);
  for (const auto& [pointer, path] : fields) {
    if (pointer.empty()) continue;
    for (const json& value : kValues) {
      if (document.at(pointer).type() == value.type()) continue;
      json mutated = document;
      mutated.at(pointer) = value;
      std::string message;
      ASSERT_NO_THROW(message = check(mutated)) << path << " = " << value.dump();
      ++runs;
      // A type error must name the field it is about (or one inside the replaced value's parent).
      if (message.find(": expected ") != std::string::npos && message.find(path) == std::string::npos) {
        const std::string parent = path.substr(0, path.find_last_of(".["));
        EXPECT_NE(message.find(parent), std::string::npos) << path << " = " << value.dump() << ": " << message;
      }
    }
  }
}

class VerifyJson : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_ = fs::temp_directory_path() / ("mg-verify-json-" + std::to_string(::getpid()));
    fs::remove_all(tmp_);
    fs::create_directories(tmp_);
  }
  void TearDown() override { fs::remove_all(tmp_); }
  std::string Write(const std::string& name, const std::string& text) {
    const fs::path path = tmp_ / name;
    std::ofstream(path) << text;
    return path.string();
  }
  std::string RunVerify(VerifyOptions options, const json& bundle) {
    options.bundle_path = Write("model.sig", bundle.dump());
    auto report = Verify(options);
    return report ? std::string() : report.error().message;
  }
  fs::path tmp_;
};

VerifyOptions ForMethod(VerifyMethod method, const std::string& dir) {
  VerifyOptions o;
  o.method = method;
  o.model_path = Golden(dir);
  o.extra_ignores = {"ignore-me"};
  o.public_key_path = Golden("keys/certificate/signing-key-pub.pem");
  o.certificate_chain_paths = {Golden("keys/certificate/ca-cert.pem")};
  o.identity = "stefanb@us.ibm.com";
  o.identity_provider = "https://sigstore.verify.ibm.com/oauth2";
  return o;
}

TEST_F(VerifyJson, EveryFieldOfEveryBundleWithAnyTypeIsAReportOrAnError) {
  const std::pair<VerifyMethod, const char*> cases[] = {{VerifyMethod::kKey, "v1.1.0-elliptic-key"},
                                                        {VerifyMethod::kCertificate, "v1.1.0-certificate"},
                                                        {VerifyMethod::kSigstore, "v1.1.0-sigstore"},
                                                        {VerifyMethod::kCertificate, "v0.2.0-certificate"}};
  size_t runs = 0;
  for (const auto& [method, dir] : cases) {
    SCOPED_TRACE(dir);
    const VerifyOptions options = ForMethod(method, dir);
    const json bundle = ReadJson(Golden(std::string(dir) + "/model.sig"));
    ASSERT_EQ(RunVerify(options, bundle), "");
    Mutate(
        bundle, [&](const json& b) { return RunVerify(options, b); }, runs);
    // The statement inside the envelope, re-encoded (its signature no longer verifies; it is read anyway).
    const auto payload = Base64Decode(bundle["dsseEnvelope"]["payload"].get<std::string>());
    ASSERT_TRUE(payload);
    Mutate(
        json::parse(*payload),
        [&](const json& statement) {
          json b = bundle;
          b["dsseEnvelope"]["payload"] = Base64Encode(statement.dump());
          return RunVerify(options, b);
        },
        runs);
  }
  EXPECT_GT(runs, 500u);
}

TEST_F(VerifyJson, EveryFieldOfATrustedRootWithAnyTypeIsAReportOrAnError) {
  const std::string tuf = std::string(MODELGUARD_SOURCE_DIR) + "/build-npm/node_modules/@sigstore/tuf/seeds.json";
  if (!fs::exists(tuf)) GTEST_SKIP() << "scripts/npm-tools installs @sigstore/tuf into build-npm/";
  const auto seeds = ReadJson(tuf);
  const auto text =
      Base64Decode(seeds["https://tuf-repo-cdn.sigstore.dev"]["targets"]["trusted_root.json"].get<std::string>());
  ASSERT_TRUE(text);
  VerifyOptions options = ForMethod(VerifyMethod::kSigstore, "v1.1.0-sigstore");
  options.bundle_path = Golden("v1.1.0-sigstore/model.sig");
  size_t runs = 0;
  Mutate(
      json::parse(*text),
      [&](const json& root) {
        options.trust_root_path = Write("trusted_root.json", root.dump());
        auto report = Verify(options);
        return report ? std::string() : report.error().message;
      },
      runs);
  EXPECT_GT(runs, 100u);
}

TEST_F(VerifyJson, EveryFieldOfADatasetManifestWithAnyTypeIsAnErrorOrIgnored) {
  fs::create_directories(tmp_ / "corpus");
  std::ofstream(tmp_ / "corpus" / "a.csv") << "a,b\n1,2\n";
  DatasetOptions options;
  options.records = true;
  auto manifest = BuildDatasetManifest((tmp_ / "corpus").string(), options);
  ASSERT_TRUE(manifest);
  size_t runs = 0;
  Mutate(
      json::parse(DatasetManifestJson(*manifest)),
      [](const json& doc) {
        auto parsed = ParseDatasetManifest(doc.dump());
        return parsed ? std::string() : parsed.error().message;
      },
      runs);
  EXPECT_GT(runs, 50u);
}

}  // namespace
}  // namespace modelguard::integrity
