#pragma once
// Verification of OpenSSF model-signing bundles: Sigstore bundle v0.3 JSON with a DSSE envelope holding
// an in-toto Statement (model_signing v1.0 predicate, or the v0.2 "Digests/v0.1" one), signed with a key,
// with a certificate from a private PKI, or keyless through Sigstore (Fulcio certificate, Rekor entry).
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "modelguard/core/result.h"
#include "modelguard/integrity/manifest.h"

namespace modelguard::integrity {

enum class VerifyMethod { kKey, kCertificate, kSigstore };

struct VerifyOptions {
  VerifyMethod method = VerifyMethod::kKey;
  std::string model_path;
  std::string bundle_path;
  std::string public_key_path;                       // key: PEM; text before "-----BEGIN" is skipped
  std::vector<std::string> certificate_chain_paths;  // certificate: the CA certificates to trust
  std::string identity;                              // sigstore: certificate SAN (email or URI)
  std::string identity_provider;                     // sigstore: OIDC issuer recorded by Fulcio
  std::string trust_root_path;                       // sigstore: trusted_root.json (Fulcio CAs, Rekor keys)
  std::vector<std::string> extra_ignores;            // added to the ignore paths the signer recorded
  bool ignore_unsigned_files = false;                // files present but not in the signature are not a failure
  std::optional<SealedReader> sealed;                // set: sealed files are checked as their plaintext
};

struct FileDifference {
  enum Kind { kMissing, kExtra, kModified } kind;
  std::string name;
  std::string signed_digest;  // empty for extra files
  std::string actual_digest;  // empty for missing files
};

const char* ToString(FileDifference::Kind kind);  // "missing", "extra", "modified"
// Signed against actual digests by resource name: missing, modified, then extra, each in name order.
std::vector<FileDifference> CompareDigests(const std::map<std::string, std::string>& signed_digests,
                                           const std::map<std::string, std::string>& actual_digests);

struct VerifyReport {
  bool signature_valid = false;
  bool manifest_matches = false;
  std::string signer;  // who signed: key type and hint, certificate subject, identity
  std::string predicate_type;
  std::string subject_digest;   // what the statement signed (empty for v0.2 statements)
  std::string computed_digest;  // root digest of the model as it is now
  std::vector<FileDifference> differences;
  std::vector<std::string> checks;    // what was verified beyond the DSSE signature
  std::vector<std::string> warnings;  // what could not be verified offline (not a failure)
  std::vector<std::string> problems;  // human-readable reasons for failure
  bool ok() const { return signature_valid && manifest_matches && problems.empty(); }
};

// Err only for usage and I/O problems (unreadable bundle, key or trust root); a bad signature or a changed
// model is an Ok result whose report says why it failed.
Result<VerifyReport> Verify(const VerifyOptions& options);

}  // namespace modelguard::integrity
