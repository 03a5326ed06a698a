// Facts from the DSSE spec, the Sigstore bundle v0.3 layout, in-toto Statement v1, and model_signing:
// v1.x statements record the serialization (method, hash, ignore paths) in the predicate and the root
// digest (SHA-256 over the resource digests) in the subject; v0.2 statements (predicate
// https://model_signing/Digests/v0.1) list one subject per file. v0.2 signed a malformed PAE: "DSSEV1",
// and the payload spliced in as Python's repr of a bytes object, always hashed with SHA-256.
#include "modelguard/integrity/verify.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "modelguard/core/json_fields.h"
#include "modelguard/integrity/manifest.h"
#include "modelguard/integrity/signing.h"
#include "src/integrity/crypto/crypto.h"
#include "src/integrity/signing/signer.h"

namespace modelguard::integrity {
namespace {

using json = nlohmann::json;
constexpr std::string_view kLegacyPredicateType = "https://model_signing/Digests/v0.1";

// Python's repr() of a bytes object, as model_signing v0.2 put it into its PAE by mistake.
std::string PythonBytesRepr(std::string_view bytes) {
  const bool has_single = bytes.find('\'') != std::string_view::npos;
  const bool has_double = bytes.find('"') != std::string_view::npos;
  const char quote = has_single && !has_double ? '"' : '\'';
  std::string out = "b";
  out.push_back(quote);
  for (unsigned char c : bytes) {
    if (c == static_cast<unsigned char>(quote) || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\x" + HexEncode(std::string_view(reinterpret_cast<const char*>(&c), 1));
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back(quote);
  return out;
}

std::string LegacyPae(std::string_view payload_type, std::string_view payload) {
  return "DSSEV1 " + std::to_string(payload_type.size()) + " " + std::string(payload_type) + " " +
         std::to_string(payload.size()) + " " + PythonBytesRepr(payload);
}

struct SignedManifest {
  std::map<std::string, std::string> digests;  // resource name ("path" or "path:start:end") -> hex
  ManifestOptions options;
  bool legacy = false;
};

// What the statement says was signed, and how to rebuild the manifest to compare: nullopt after a problem
// is recorded; a field of the wrong type is an error.
Result<std::optional<SignedManifest>> ReadStatement(const JsonField& statement, VerifyReport& report) {
  using Read = std::optional<SignedManifest>;
  SignedManifest signed_manifest;
  MG_ASSIGN_OR_RETURN(report.predicate_type, statement.StringOr("predicateType", ""));
  MG_ASSIGN_OR_RETURN(auto subjects, statement.ElementsOr("subject"));
  if (subjects.empty()) {
    report.problems.push_back("the statement has no subject");
    return Read();
  }
  if (report.predicate_type == kLegacyPredicateType) {
    signed_manifest.legacy = true;
    for (const auto& s : subjects) {
      MG_ASSIGN_OR_RETURN(const std::string name, s.StringOr("name", ""));
      MG_ASSIGN_OR_RETURN(auto digest, s.ObjectOr("digest"));
      MG_ASSIGN_OR_RETURN(signed_manifest.digests[name], digest.StringOr("sha256", ""));
    }
    return Read(std::move(signed_manifest));
  }
  MG_ASSIGN_OR_RETURN(auto predicate_member, statement.Find("predicate"));
  if (report.predicate_type != kModelSigningPredicate || !predicate_member) {
    report.problems.push_back("the payload is not a model_signing statement (predicate type '" + report.predicate_type +
                              "')");
    return Read();
  }
  MG_ASSIGN_OR_RETURN(auto subject_digest, subjects[0].ObjectOr("digest"));
  MG_ASSIGN_OR_RETURN(report.subject_digest, subject_digest.StringOr("sha256", ""));
  MG_ASSIGN_OR_RETURN(auto predicate, predicate_member->Object());
  MG_ASSIGN_OR_RETURN(auto serialization, predicate.ObjectOr("serialization"));
  ManifestOptions& options = signed_manifest.options;
  MG_ASSIGN_OR_RETURN(const std::string method, serialization.StringOr("method", "files"));
  if (method == "shards") {
    options.method = ManifestMethod::kShards;
    MG_ASSIGN_OR_RETURN(auto size, serialization.Find("shard_size"));
    if (size && !size->json().is_number()) return size->TypeError("number");
    if (!size || size->json().get<double>() < 1 || size->json().get<double>() > 1e18) {
      report.problems.push_back("the statement's shard size is not a positive number");
      return Read();
    }
    options.shard_size = static_cast<uint64_t>(size->json().get<double>());
  } else if (method != "files") {
    report.problems.push_back("unsupported serialization method '" + method + "'");
    return Read();
  }
  MG_ASSIGN_OR_RETURN(const std::string hash, serialization.StringOr("hash_type", "sha256"));
  if (hash == "blake2b")
    options.algorithm = DigestAlgorithm::kBlake2b;
  else if (hash != "sha256") {
    report.problems.push_back("unsupported hash '" + hash + "'");
    return Read();
  }
  // Some signers write the flag as a string.
  MG_ASSIGN_OR_RETURN(auto symlinks, serialization.Find("allow_symlinks"));
  if (symlinks && symlinks->json().is_string()) {
    options.allow_symlinks = symlinks->json() == "true";
  } else if (symlinks) {
    MG_ASSIGN_OR_RETURN(options.allow_symlinks, symlinks->Bool());
  }
  MG_ASSIGN_OR_RETURN(auto ignore_paths, serialization.ElementsOr("ignore_paths"));
  for (const auto& p : ignore_paths) {
    MG_ASSIGN_OR_RETURN(auto path, p.String());
    options.ignore_paths.push_back(std::move(path));
  }
  MG_ASSIGN_OR_RETURN(auto resources, predicate.ElementsOr("resources"));
  for (const auto& r : resources) {
    MG_ASSIGN_OR_RETURN(const std::string name, r.StringOr("name", ""));
    MG_ASSIGN_OR_RETURN(signed_manifest.digests[name], r.StringOr("digest", ""));
  }
  return Read(std::move(signed_manifest));
}

}  // namespace

const char* ToString(FileDifference::Kind kind) {
  switch (kind) {
    case FileDifference::kMissing:
      return "missing";
    case FileDifference::kExtra:
      return "extra";
    case FileDifference::kModified:
      return "modified";
  }
  return "?";
}

std::vector<FileDifference> CompareDigests(const std::map<std::string, std::string>& signed_digests,
                                           const std::map<std::string, std::string>& actual_digests) {
  std::vector<FileDifference> differences;
  for (const auto& [name, digest] : signed_digests) {
    auto it = actual_digests.find(name);
    if (it == actual_digests.end())
      differences.push_back({FileDifference::kMissing, name, digest, ""});
    else if (it->second != digest)
      differences.push_back({FileDifference::kModified, name, digest, it->second});
  }
  for (const auto& [name, digest] : actual_digests) {
    if (!signed_digests.contains(name)) differences.push_back({FileDifference::kExtra, name, "", digest});
  }
  return differences;
}

Result<VerifyReport> Verify(const VerifyOptions& options) {
  MG_ASSIGN_OR_RETURN(auto bundle_text, crypto::ReadFile(options.bundle_path));
  std::string key_text, trust_root_text;
  std::vector<crypto::Cert> trusted;
  switch (options.method) {
    case VerifyMethod::kKey: {
      MG_ASSIGN_OR_RETURN(auto text, crypto::ReadFile(options.public_key_path));
      if (!crypto::LoadPublicKeyPem(text)) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "'" + options.public_key_path + "' holds no public key OpenSSL can read");
      }
      key_text = std::move(text);
      break;
    }
    case VerifyMethod::kCertificate:
      if (options.certificate_chain_paths.empty())
        return MakeError(ErrorCode::kInvalidArgument,
                         "certificate mode needs the trusted CA certificates (certificate_chain_paths)");
      for (const auto& path : options.certificate_chain_paths) {
        MG_ASSIGN_OR_RETURN(auto text, crypto::ReadFile(path));
        auto certs = crypto::LoadCertificatesPem(text);
        if (!certs) return MakeError(ErrorCode::kInvalidArgument, "'" + path + "': " + certs.error().message);
        for (auto& c : *certs) trusted.push_back(std::move(c));
      }
      break;
    case VerifyMethod::kSigstore:
      if (options.identity.empty() || options.identity_provider.empty()) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "sigstore mode needs the expected identity and identity provider");
      }
      if (!options.trust_root_path.empty()) {
        MG_ASSIGN_OR_RETURN(auto text, crypto::ReadFile(options.trust_root_path));
        trust_root_text = std::move(text);
      }
      break;
  }

  // Fields of the wrong type anywhere in the bundle are an error naming the file and the field's path.
  const std::string in_bundle = "'" + options.bundle_path + "': ";
  VerifyReport report;
  const auto bundle = json::parse(bundle_text, nullptr, false);
  if (bundle.is_discarded() || !bundle.is_object() || !bundle.contains("dsseEnvelope")) {
    report.problems.push_back("the signature file is not a Sigstore bundle with a DSSE envelope");
    return report;
  }
  const JsonField root(bundle);
  MG_ASSIGN_OR_RETURN_CONTEXT(auto env, root.At("dsseEnvelope").value().Object(), in_bundle);
  MG_ASSIGN_OR_RETURN_CONTEXT(const std::string payload_type, env.StringOr("payloadType", ""), in_bundle);
  MG_ASSIGN_OR_RETURN_CONTEXT(const std::string payload_text, env.StringOr("payload", ""), in_bundle);
  MG_ASSIGN_OR_RETURN_CONTEXT(auto signatures, env.ElementsOr("signatures"), in_bundle);
  const auto payload = Base64Decode(payload_text);
  if (payload_type != kInTotoPayloadType || !payload || signatures.empty()) {
    report.problems.push_back("the DSSE envelope lacks an in-toto payload or a signature");
    return report;
  }
  MG_ASSIGN_OR_RETURN_CONTEXT(auto material, root.ObjectOr("verificationMaterial"), in_bundle);
  MG_ASSIGN_OR_RETURN_CONTEXT(SignerCheck signer,
                              options.method == VerifyMethod::kKey ? CheckKeySigner(material, key_text)
                              : options.method == VerifyMethod::kCertificate
                                  ? CheckCertificateSigner(material, trusted)
                                  : CheckSigstoreSigner(root, options, trust_root_text),
                              in_bundle);
  report.signer = signer.signer;
  report.checks = std::move(signer.checks);
  report.warnings = std::move(signer.warnings);
  report.problems = std::move(signer.problems);

  const auto statement_json = json::parse(*payload, nullptr, false);
  if (statement_json.is_discarded() || !statement_json.is_object()) {
    report.problems.push_back("the DSSE payload is not JSON");
    return report;
  }
  // Paths inside the statement start at the decoded payload.
  const std::string in_statement = in_bundle + "the DSSE payload: ";
  const JsonField statement(statement_json);
  if (signer.key) {
    MG_ASSIGN_OR_RETURN_CONTEXT(const std::string predicate_type, statement.StringOr("predicateType", ""),
                                in_statement);
    const bool legacy = predicate_type == kLegacyPredicateType;
    for (const auto& sig : signatures) {
      MG_ASSIGN_OR_RETURN_CONTEXT(const std::string sig_text, sig.StringOr("sig", ""), in_bundle);
      const auto der = Base64Decode(sig_text);
      if (!der) continue;
      if (crypto::Verify(signer.key.get(), *der, DssePae(payload_type, *payload)) ||
          (legacy && crypto::Verify(signer.key.get(), *der, LegacyPae(payload_type, *payload), EVP_sha256()))) {
        report.signature_valid = true;
        break;
      }
    }
    if (!report.signature_valid)
      report.problems.push_back("no signature in the envelope verifies with the signer's key");
  }

  MG_ASSIGN_OR_RETURN_CONTEXT(auto signed_manifest, ReadStatement(statement, report), in_statement);
  if (!signed_manifest) return report;
  if (signed_manifest->legacy)
    report.warnings.push_back("model_signing v0.2 statement: the signer's settings were not recorded");
  ManifestOptions& manifest_options = signed_manifest->options;
  // Whether links are followed is the signer's choice, recorded in the statement: the verifier can only
  // leave a link out (every verify command has --ignore) or remove it.
  manifest_options.symlink_advice =
      "the signature does not cover symbolic links: remove it, or leave it out with --ignore";
  for (const auto& p : options.extra_ignores) manifest_options.ignore_paths.push_back(p);
  manifest_options.sealed = options.sealed;
  // The signature file is never part of the model, even when a signer (v1.0.x) did not record it.
  {
    std::error_code ec;
    const auto model = std::filesystem::weakly_canonical(options.model_path, ec);
    const auto relative = std::filesystem::weakly_canonical(options.bundle_path, ec).lexically_relative(model);
    if (!relative.empty() && *relative.begin() != "..")
      manifest_options.ignore_paths.push_back(relative.generic_string());
  }
  MG_ASSIGN_OR_RETURN(auto manifest, BuildManifest(options.model_path, manifest_options));
  report.computed_digest = HexEncode(manifest.root_digest);

  // Per-resource comparison gives the user a diff; the subject digest check covers order and count.
  std::map<std::string, std::string> actual;
  for (const auto& r : manifest.resources) actual[ResourceName(manifest, r)] = HexEncode(r.digest);
  report.differences = CompareDigests(signed_manifest->digests, actual);
  const bool only_extra = std::all_of(report.differences.begin(), report.differences.end(),
                                      [](const FileDifference& d) { return d.kind == FileDifference::kExtra; });
  const bool digest_consistent = signed_manifest->legacy || report.subject_digest == report.computed_digest;
  report.manifest_matches =
      report.differences.empty() ? digest_consistent : (options.ignore_unsigned_files && only_extra);
  if (report.differences.empty() && !digest_consistent) {
    report.problems.push_back("the statement's subject digest does not match the signed resources");
  }
  return report;
}

}  // namespace modelguard::integrity
