// Facts from the DSSE spec (PAE = "DSSEv1" SP len(type) SP type SP len(body) SP body), the Sigstore
// bundle v0.3 layout, in-toto Statement v1, and model_signing v1.x (predicate.serialization records the
// method, hash and ignore paths the signer used; subject digest = SHA-256 over the resource digests;
// ECDSA keys sign with the hash matching their curve: P-256/SHA-256, P-384/SHA-384, P-521/SHA-512).
#include "modelguard/integrity/verify.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "modelguard/integrity/manifest.h"

namespace modelguard::integrity {
namespace {

constexpr std::string_view kPayloadType = "application/vnd.in-toto+json";
constexpr std::string_view kPredicateType = "https://model_signing/signature/v1.0";

Result<std::string> ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(ErrorCode::kIo, "cannot read '" + path + "'");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::optional<std::string> Base64Decode(const std::string& in) {
  std::string out((in.size() / 4 + 1) * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0) return std::nullopt;
  size_t len = static_cast<size_t>(n);
  // EVP_DecodeBlock counts padding as zero bytes.
  for (size_t i = in.size(); i > 0 && in[i - 1] == '='; --i) --len;
  out.resize(len);
  return out;
}

const EVP_MD* HashForKey(EVP_PKEY* key) {
  switch (EVP_PKEY_get_bits(key)) {
    case 256: return EVP_sha256();
    case 384: return EVP_sha384();
    case 521: return EVP_sha512();
    default: return EVP_sha256();
  }
}

}  // namespace

Result<VerifyReport> VerifyWithKey(const VerifyOptions& options) {
  auto bundle_text = ReadText(options.bundle_path);
  if (!bundle_text) return bundle_text.error();
  auto key_text = ReadText(options.public_key_path);
  if (!key_text) return key_text.error();
  const auto begin = key_text->find("-----BEGIN");
  if (begin == std::string::npos) return MakeError(ErrorCode::kInvalidArgument, "no PEM block in '" + options.public_key_path + "'");
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(key_text->data() + begin, static_cast<int>(key_text->size() - begin)), BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
  if (!key) return MakeError(ErrorCode::kInvalidArgument, "'" + options.public_key_path + "' holds no public key OpenSSL can read");

  VerifyReport report;
  const auto bundle = nlohmann::json::parse(*bundle_text, nullptr, false);
  if (bundle.is_discarded() || !bundle.contains("dsseEnvelope")) {
    report.problems.push_back("the signature file is not a Sigstore bundle with a DSSE envelope");
    return report;
  }
  const auto& env = bundle["dsseEnvelope"];
  const std::string payload_type = env.value("payloadType", "");
  const auto payload = Base64Decode(env.value("payload", ""));
  if (payload_type != kPayloadType || !payload || !env.contains("signatures") || !env["signatures"].is_array() ||
      env["signatures"].empty()) {
    report.problems.push_back("the DSSE envelope lacks an in-toto payload or a signature");
    return report;
  }
  const std::string pae = "DSSEv1 " + std::to_string(payload_type.size()) + " " + payload_type + " " +
                          std::to_string(payload->size()) + " " + *payload;
  for (const auto& sig : env["signatures"]) {
    const auto der = Base64Decode(sig.value("sig", ""));
    if (!der) continue;
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    const EVP_MD* md = EVP_PKEY_get_base_id(key.get()) == EVP_PKEY_ED25519 ? nullptr : HashForKey(key.get());
    if (EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, key.get()) == 1 &&
        EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(der->data()), der->size(),
                         reinterpret_cast<const unsigned char*>(pae.data()), pae.size()) == 1) {
      report.signature_valid = true;
      break;
    }
  }
  if (!report.signature_valid) report.problems.push_back("no signature in the envelope verifies with this key");

  const auto statement = nlohmann::json::parse(*payload, nullptr, false);
  if (statement.is_discarded() || statement.value("predicateType", "") != kPredicateType || !statement.contains("predicate") ||
      !statement.contains("subject") || !statement["subject"].is_array() || statement["subject"].empty()) {
    report.problems.push_back("the payload is not a model_signing v1.0 in-toto statement");
    return report;
  }
  report.subject_digest = statement["subject"][0].value("digest", nlohmann::json::object()).value("sha256", "");
  const auto& predicate = statement["predicate"];
  const auto serialization = predicate.value("serialization", nlohmann::json::object());
  ManifestOptions manifest_options;
  const std::string method = serialization.value("method", "files");
  if (method == "shards") {
    manifest_options.method = ManifestMethod::kShards;
    manifest_options.shard_size = serialization.value("shard_size", manifest_options.shard_size);
  } else if (method != "files") {
    report.problems.push_back("unsupported serialization method '" + method + "'");
    return report;
  }
  const std::string hash = serialization.value("hash_type", "sha256");
  if (hash == "blake2b") manifest_options.algorithm = DigestAlgorithm::kBlake2b;
  else if (hash != "sha256") {
    report.problems.push_back("unsupported hash '" + hash + "'");
    return report;
  }
  manifest_options.allow_symlinks = serialization.value("allow_symlinks", false);
  for (const auto& p : serialization.value("ignore_paths", nlohmann::json::array())) {
    if (p.is_string()) manifest_options.ignore_paths.push_back(p.get<std::string>());
  }
  for (const auto& p : options.extra_ignores) manifest_options.ignore_paths.push_back(p);
  // The signature file is never part of the model, even when a signer (v1.0.x) did not record it.
  {
    const auto model = std::filesystem::weakly_canonical(options.model_path);
    const auto relative = std::filesystem::weakly_canonical(options.bundle_path).lexically_relative(model);
    if (!relative.empty() && *relative.begin() != "..") manifest_options.ignore_paths.push_back(relative.string());
  }
  auto manifest = BuildManifest(options.model_path, manifest_options);
  if (!manifest) return manifest.error();
  report.computed_digest = ToHex(manifest->root_digest);

  // Per-resource comparison gives the user a diff; the subject digest check covers order and count.
  std::map<std::string, std::string> signed_digests, actual;
  for (const auto& r : predicate.value("resources", nlohmann::json::array())) {
    signed_digests[r.value("name", "")] = r.value("digest", "");
  }
  for (const auto& r : manifest->resources) {
    std::string key_name = r.name;
    if (manifest->method == ManifestMethod::kShards) key_name += ":" + std::to_string(r.start) + ":" + std::to_string(r.end);
    actual[key_name] = ToHex(r.digest);
  }
  for (const auto& [name, digest] : signed_digests) {
    auto it = actual.find(name);
    if (it == actual.end()) report.differences.push_back({FileDifference::kMissing, name, digest, ""});
    else if (it->second != digest) report.differences.push_back({FileDifference::kModified, name, digest, it->second});
  }
  for (const auto& [name, digest] : actual) {
    if (!signed_digests.contains(name)) report.differences.push_back({FileDifference::kExtra, name, "", digest});
  }
  const bool only_extra = std::all_of(report.differences.begin(), report.differences.end(),
                                      [](const FileDifference& d) { return d.kind == FileDifference::kExtra; });
  report.manifest_matches = report.differences.empty()
                                ? report.subject_digest == report.computed_digest
                                : (options.ignore_unsigned_files && only_extra);
  if (report.differences.empty() && report.subject_digest != report.computed_digest) {
    report.problems.push_back("the statement's subject digest does not match the signed resources");
  }
  return report;
}

}  // namespace modelguard::integrity
