#pragma once
// Who signed a bundle: the public key a verifier should check the DSSE signature with, established from
// the verification material according to the verification method. Internal to modelguard_integrity.
#include <string>
#include <vector>

#include "modelguard/core/json_fields.h"
#include "modelguard/integrity/verify.h"
#include "src/integrity/crypto/crypto.h"

namespace modelguard::integrity {

struct SignerCheck {
  crypto::Key key;  // null when no key could be established
  std::string signer;
  std::vector<std::string> checks, warnings, problems;
};

// A field of the wrong type in the bundle is an error naming its path; everything else that is wrong is a
// problem in the result (a failed verification).
// Key mode: the supplied key; a publicKey hint in the bundle that names another key is a problem.
Result<SignerCheck> CheckKeySigner(const JsonField& material, const std::string& public_key_pem);
// Certificate mode: the leaf chains (through the bundle's intermediates) to one of the trusted CAs at the
// leaf's notBefore, as upstream does, and may sign (digitalSignature or codeSigning).
Result<SignerCheck> CheckCertificateSigner(const JsonField& material, const std::vector<crypto::Cert>& trusted);
// Sigstore: the Fulcio leaf names the identity and issuer; every Rekor entry binds this envelope, its
// inclusion proof reaches the checkpoint's root; with a trusted root also the chain to Fulcio at the
// integrated time, the signed entry timestamp and the checkpoint signature.
Result<SignerCheck> CheckSigstoreSigner(const JsonField& bundle, const VerifyOptions& options,
                                        const std::string& trust_root_json);

}  // namespace modelguard::integrity
