// Statement and bundle layout: model_signing v1.x (sigstore/model-transparency), DSSE protocol v1.0,
// in-toto Statement v1, Sigstore bundle v0.3 (protobuf-specs JSON names).
#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "modelguard/core/io.h"
#include "modelguard/core/json_fields.h"
#include "modelguard/integrity/signing.h"
#include "src/integrity/crypto/crypto.h"

namespace modelguard::integrity {
namespace fs = std::filesystem;

std::string DssePae(std::string_view payload_type, std::string_view payload) {
  std::string pae = "DSSEv1 " + std::to_string(payload_type.size()) + " ";
  pae.append(payload_type);
  pae += " " + std::to_string(payload.size()) + " ";
  pae.append(payload);
  return pae;
}

std::string BuildStatement(const Manifest& manifest, const std::string& model_name,
                           std::vector<std::string> ignore_paths, bool allow_symlinks) {
  const bool shards = manifest.method == ManifestMethod::kShards;
  std::string algorithm = ToString(manifest.algorithm);
  if (shards) algorithm += "-sharded-" + std::to_string(manifest.shard_size);

  nlohmann::ordered_json serialization;
  serialization["method"] = shards ? "shards" : "files";
  serialization["hash_type"] = ToString(manifest.algorithm);
  serialization["allow_symlinks"] = allow_symlinks;
  // Upstream stores the shard size in a protobuf Struct, whose numbers are doubles ("8.0").
  if (shards) serialization["shard_size"] = static_cast<double>(manifest.shard_size);
  std::sort(ignore_paths.begin(), ignore_paths.end());
  ignore_paths.erase(std::unique(ignore_paths.begin(), ignore_paths.end()), ignore_paths.end());
  if (!ignore_paths.empty()) serialization["ignore_paths"] = ignore_paths;

  auto resources = nlohmann::ordered_json::array();
  for (const auto& r : manifest.resources) {
    resources.push_back(
        {{"algorithm", algorithm}, {"digest", HexEncode(r.digest)}, {"name", ResourceName(manifest, r)}});
  }
  nlohmann::ordered_json statement;
  statement["_type"] = "https://in-toto.io/Statement/v1";
  statement["subject"] = nlohmann::ordered_json::array(
      {{{"name", model_name}, {"digest", {{"sha256", HexEncode(manifest.root_digest)}}}}});
  statement["predicateType"] = kModelSigningPredicate;
  statement["predicate"] = {{"serialization", std::move(serialization)}, {"resources", std::move(resources)}};
  return statement.dump(2);
}

namespace {

// The Sigstore bundle v0.3 around one DSSE signature, as model_signing writes it.
std::string AssembleBundle(std::string_view payload, std::string_view payload_type, const std::string& signature,
                           const std::vector<crypto::Cert>& chain, const std::string& key_hint) {
  nlohmann::ordered_json material;
  if (chain.empty()) {
    material["publicKey"] = {{"hint", key_hint}};
  } else {
    auto certificates = nlohmann::ordered_json::array();
    for (const auto& c : chain) certificates.push_back({{"rawBytes", Base64Encode(crypto::CertificateDer(c.get()))}});
    material["x509CertificateChain"] = {{"certificates", std::move(certificates)}};
  }
  material["tlogEntries"] = nlohmann::ordered_json::array();
  nlohmann::ordered_json bundle;
  bundle["mediaType"] = kBundleMediaType;
  bundle["verificationMaterial"] = std::move(material);
  bundle["dsseEnvelope"] = {
      {"payload", Base64Encode(payload)},
      {"payloadType", payload_type},
      {"signatures",
       nlohmann::ordered_json::array({{{"sig", Base64Encode(signature)}, {"keyid", chain.empty() ? key_hint : ""}}})}};
  return bundle.dump();
}

}  // namespace

Result<std::string> SignPayload(std::string_view payload, std::string_view payload_type,
                                const std::string& private_key_pem) {
  MG_ASSIGN_OR_RETURN(auto key, crypto::LoadPrivateKeyPem(private_key_pem));
  MG_ASSIGN_OR_RETURN(auto signature, crypto::Sign(key.get(), DssePae(payload_type, payload)));
  return AssembleBundle(payload, payload_type, signature, {}, Sha256Hex(crypto::PublicKeyPem(key.get())));
}

Result<std::string> VerifyPayloadBundle(std::string_view bundle_json, std::string_view payload_type,
                                        const std::string& public_key_pem) {
  MG_ASSIGN_OR_RETURN(auto key, crypto::LoadPublicKeyPem(public_key_pem));
  const auto bundle = nlohmann::json::parse(bundle_json, nullptr, false);
  if (bundle.is_discarded() || !bundle.is_object() || !bundle.contains("dsseEnvelope")) {
    return MakeError(ErrorCode::kParse, "not a Sigstore bundle with a DSSE envelope");
  }
  const JsonField root(bundle);
  MG_ASSIGN_OR_RETURN(auto env, root.At("dsseEnvelope").value().Object());
  MG_ASSIGN_OR_RETURN(const std::string signed_type, env.StringOr("payloadType", ""));
  if (signed_type != payload_type) {
    return MakeError(ErrorCode::kInvalidArgument, "the bundle signs a '" + signed_type + "' payload");
  }
  MG_ASSIGN_OR_RETURN(const std::string payload_text, env.StringOr("payload", ""));
  auto payload = Base64Decode(payload_text);
  if (!payload) return MakeError(ErrorCode::kParse, "the bundle's payload is not base64");
  MG_ASSIGN_OR_RETURN(auto signatures, env.ElementsOr("signatures"));
  for (const auto& sig : signatures) {
    MG_ASSIGN_OR_RETURN(const std::string sig_text, sig.StringOr("sig", ""));
    auto bytes = Base64Decode(sig_text);
    if (bytes && crypto::Verify(key.get(), *bytes, DssePae(payload_type, *payload))) return *payload;
  }
  return MakeError(ErrorCode::kInvalidArgument, "no signature in the bundle verifies with this key");
}

Result<SignResult> SignModel(const SignOptions& options) {
  MG_ASSIGN_OR_RETURN(auto key_text, crypto::ReadFile(options.private_key_path));
  MG_ASSIGN_OR_RETURN_CONTEXT(auto key, crypto::LoadPrivateKeyPem(key_text), "'" + options.private_key_path + "': ");

  std::vector<crypto::Cert> chain;
  if (!options.signing_certificate_path.empty()) {
    MG_ASSIGN_OR_RETURN(auto text, crypto::ReadFile(options.signing_certificate_path));
    MG_ASSIGN_OR_RETURN_CONTEXT(auto leaf, crypto::LoadCertificatesPem(text),
                                "'" + options.signing_certificate_path + "': ");
    crypto::Key cert_key(X509_get_pubkey(leaf.front().get()));
    if (!cert_key || !crypto::SamePublicKey(cert_key.get(), key.get())) {
      return MakeError(ErrorCode::kInvalidArgument, "the signing certificate does not belong to the private key");
    }
    chain.push_back(std::move(leaf.front()));
    for (const auto& path : options.certificate_chain_paths) {
      MG_ASSIGN_OR_RETURN(auto more_text, crypto::ReadFile(path));
      MG_ASSIGN_OR_RETURN_CONTEXT(auto more, crypto::LoadCertificatesPem(more_text), "'" + path + "': ");
      for (auto& c : more) chain.push_back(std::move(c));
    }
  } else if (!options.certificate_chain_paths.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "a certificate chain needs --signing-certificate");
  }

  // Everything that is not model content is left out and recorded, so a verifier rebuilds the same set.
  ManifestOptions manifest_options = options.manifest;
  std::vector<std::string> recorded = manifest_options.ignore_paths;
  if (manifest_options.ignore_git) {
    for (const char* git : {".git", ".gitattributes", ".github", ".gitignore"}) recorded.emplace_back(git);
  }
  std::error_code ec;
  const fs::path model = fs::weakly_canonical(options.model_path, ec);
  const fs::path signature = fs::weakly_canonical(options.signature_path, ec);
  const fs::path relative = signature.lexically_relative(model);
  if (fs::is_directory(model) && !relative.empty() && *relative.begin() != "..") {
    recorded.push_back(relative.generic_string());
    manifest_options.ignore_paths.push_back(relative.generic_string());
  }
  MG_ASSIGN_OR_RETURN(auto manifest, BuildManifest(options.model_path, manifest_options));

  // The statement is JSON, which holds only UTF-8; its file names were checked by BuildManifest, the rest
  // (the model's own name, the recorded ignore paths) is checked here rather than altered.
  const std::string model_name = model.filename().string();
  if (!IsValidUtf8(model_name)) {
    return MakeError(ErrorCode::kInvalidArgument, "the model's name is not valid UTF-8: '" +
                                                      EscapeControlCharacters(model_name) +
                                                      "' (the signed statement names it in JSON): rename it");
  }
  for (const auto& path : recorded) {
    if (!IsValidUtf8(path)) {
      return MakeError(ErrorCode::kInvalidArgument, "an ignored path is not valid UTF-8: '" +
                                                        EscapeControlCharacters(path) +
                                                        "' (the signed statement records it in JSON)");
    }
  }
  SignResult result;
  result.payload = BuildStatement(manifest, model_name, recorded, manifest_options.allow_symlinks);
  result.root_digest = HexEncode(manifest.root_digest);
  result.resource_count = manifest.resources.size();
  result.bytes_hashed = manifest.bytes_hashed;
  const std::string public_pem = crypto::PublicKeyPem(key.get());
  result.key_hint = Sha256Hex(public_pem);

  MG_ASSIGN_OR_RETURN(auto signature_bytes, crypto::Sign(key.get(), DssePae(kInTotoPayloadType, result.payload)));

  result.bundle_json = AssembleBundle(result.payload, kInTotoPayloadType, signature_bytes, chain, result.key_hint);
  MG_TRY(crypto::WriteFile(options.signature_path, result.bundle_json));
  return result;
}

}  // namespace modelguard::integrity
