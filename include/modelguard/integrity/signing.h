#pragma once
// Signing models the way OpenSSF model_signing v1.x does: the manifest becomes an in-toto Statement v1
// (predicate https://model_signing/signature/v1.0), wrapped in a DSSE envelope inside a Sigstore bundle
// v0.3. Unlike upstream, key order and ignore-path order are fixed, and the key hint is repeated as the
// envelope's keyid, so two signings of the same model with the same key differ only in the signature.
#include <string>
#include <string_view>
#include <vector>

#include "modelguard/core/result.h"
#include "modelguard/integrity/manifest.h"

namespace modelguard::integrity {

inline constexpr std::string_view kInTotoPayloadType = "application/vnd.in-toto+json";
inline constexpr std::string_view kModelSigningPredicate = "https://model_signing/signature/v1.0";
inline constexpr std::string_view kBundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json";

// DSSE v1 pre-authentication encoding: "DSSEv1 <len(type)> <type> <len(body)> <body>".
std::string DssePae(std::string_view payload_type, std::string_view payload);

// The statement JSON as upstream's payload goldens spell it (two-space indent). ignore_paths are
// recorded sorted; an empty list is left out, as upstream does.
std::string BuildStatement(const Manifest& manifest, const std::string& model_name,
                           std::vector<std::string> ignore_paths, bool allow_symlinks);

struct SignOptions {
  std::string model_path;
  std::string private_key_path;                      // PEM (PKCS#8 or SEC1), unencrypted
  std::string signing_certificate_path;              // certificate mode: the key's certificate
  std::vector<std::string> certificate_chain_paths;  // certificate mode: intermediates, then roots
  std::string signature_path = "model.sig";
  ManifestOptions manifest;  // method, hash, user ignore paths
};

struct SignResult {
  std::string bundle_json;
  std::string payload;      // the statement that was signed
  std::string root_digest;  // hex
  std::string key_hint;     // SHA-256 of the public key's PEM, as upstream computes it
  size_t resource_count = 0;
  uint64_t bytes_hashed = 0;
};

// Hashes the model, signs and writes options.signature_path. With a signing certificate the bundle
// carries the certificate chain (certificate mode), otherwise the key hint (key mode).
Result<SignResult> SignModel(const SignOptions& options);

// Any payload signed the same way (DSSE in a Sigstore bundle v0.3, key hint = keyid): used for dataset
// manifests and BOMs. VerifyPayloadBundle returns the payload when a signature verifies with the key and
// the payload type is the expected one; a bundle that cannot be read (not a bundle, a field of the wrong
// type) is a kParse error, one whose signatures do not verify or that signs another payload type kInvalidArgument.
Result<std::string> SignPayload(std::string_view payload, std::string_view payload_type,
                                const std::string& private_key_pem);
Result<std::string> VerifyPayloadBundle(std::string_view bundle_json, std::string_view payload_type,
                                        const std::string& public_key_pem);

}  // namespace modelguard::integrity
