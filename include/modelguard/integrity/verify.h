#pragma once
// Verification of OpenSSF model-signing bundles (Sigstore bundle v0.3 JSON with a DSSE envelope holding
// an in-toto Statement v1, predicate type https://model_signing/signature/v1.0) signed with a key.
#include <string>
#include <vector>

#include "modelguard/core/result.h"

namespace modelguard::integrity {

struct VerifyOptions {
  std::string model_path;
  std::string bundle_path;
  std::string public_key_path;               // PEM; text before "-----BEGIN" is skipped
  std::vector<std::string> extra_ignores;    // added to the ignore paths the signer recorded
  bool ignore_unsigned_files = false;        // files present but not in the signature are not a failure
};

struct FileDifference {
  enum Kind { kMissing, kExtra, kModified } kind;
  std::string name;
  std::string signed_digest;  // empty for extra files
  std::string actual_digest;  // empty for missing files
};

struct VerifyReport {
  bool signature_valid = false;
  bool manifest_matches = false;
  std::string subject_digest;          // what the statement signed
  std::string computed_digest;         // root digest of the model as it is now
  std::vector<FileDifference> differences;
  std::vector<std::string> problems;   // human-readable reasons for failure
  bool ok() const { return signature_valid && manifest_matches && problems.empty(); }
};

// Err only for usage and I/O problems (unreadable bundle or key); a bad signature or a changed model is
// an Ok result whose report says why it failed.
Result<VerifyReport> VerifyWithKey(const VerifyOptions& options);

}  // namespace modelguard::integrity
