// Facts used: Fulcio certificate extensions (OIDC issuer 1.3.6.1.4.1.57264.1.8 as a DER UTF8String, legacy
// 1.3.6.1.4.1.57264.1.1 as raw bytes), Rekor "dsse" entry v0.0.1 (payloadHash, signatures[].verifier as
// base64 PEM), signed entry timestamp over the RFC 8785 JSON {body, integratedTime, logID (hex),
// logIndex}, checkpoints as C2SP signed notes ("— <name> base64(keyhint[4] || signature)"), and the
// Sigstore TrustedRoot JSON (tlogs[].publicKey.rawBytes, certificateAuthorities[].certChain).
#include "src/integrity/signing/signer.h"

#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "modelguard/core/json_fields.h"
#include "modelguard/integrity/merkle.h"
#include "src/integrity/log/signed_note.h"

namespace modelguard::integrity {
namespace {

using json = nlohmann::json;

std::string Subject(X509* cert) {
  char buf[512];
  X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof(buf));
  return buf;
}

// The bundle's certificates: v0.3 "certificate", or the older "x509CertificateChain". Undecodable ones are
// a problem (nothing returned); fields of the wrong type an error.
Result<std::vector<crypto::Cert>> BundleCertificates(const JsonField& material, std::vector<std::string>& problems) {
  std::vector<crypto::Cert> certs;
  std::vector<std::string> encoded;
  MG_ASSIGN_OR_RETURN(auto certificate, material.Find("certificate"));
  MG_ASSIGN_OR_RETURN(auto chain, material.Find("x509CertificateChain"));
  if (certificate) {
    MG_ASSIGN_OR_RETURN(auto raw, certificate->StringOr("rawBytes", ""));
    encoded.push_back(std::move(raw));
  } else if (chain) {
    MG_ASSIGN_OR_RETURN(auto list, chain->ElementsOr("certificates"));
    for (const auto& c : list) {
      MG_ASSIGN_OR_RETURN(auto raw, c.StringOr("rawBytes", ""));
      encoded.push_back(std::move(raw));
    }
  }
  for (const auto& e : encoded) {
    auto der = Base64Decode(e);
    auto cert =
        der ? crypto::LoadCertificateDer(*der) : Result<crypto::Cert>(MakeError(ErrorCode::kParse, "bad base64"));
    if (!cert) {
      problems.push_back("a certificate in the bundle cannot be decoded");
      return std::vector<crypto::Cert>{};
    }
    certs.push_back(std::move(*cert));
  }
  if (certs.empty()) problems.push_back("the bundle carries no signing certificate");
  return certs;
}

// Chain verification at a fixed time; the leaf's own intermediates come from the bundle or the trust root.
bool ChainVerifies(X509* leaf, const std::vector<X509*>& trusted, const std::vector<X509*>& untrusted, time_t at,
                   std::string& error) {
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), X509_STORE_free);
  for (X509* c : trusted) X509_STORE_add_cert(store.get(), c);
  std::unique_ptr<STACK_OF(X509), void (*)(STACK_OF(X509)*)> chain(sk_X509_new_null(),
                                                                   [](STACK_OF(X509) * s) { sk_X509_free(s); });
  for (X509* c : untrusted) sk_X509_push(chain.get(), c);
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx(X509_STORE_CTX_new(), X509_STORE_CTX_free);
  X509_STORE_CTX_init(ctx.get(), store.get(), leaf, chain.get());
  X509_STORE_CTX_set_time(ctx.get(), 0, at);
  if (X509_verify_cert(ctx.get()) == 1) return true;
  error = X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
  return false;
}

time_t NotBefore(X509* cert) {
  struct tm t {};
  ASN1_TIME_to_tm(X509_get0_notBefore(cert), &t);
  return timegm(&t);
}

std::string ExtensionText(X509* cert, const char* oid, bool der_utf8) {
  std::unique_ptr<ASN1_OBJECT, decltype(&ASN1_OBJECT_free)> obj(OBJ_txt2obj(oid, 1), ASN1_OBJECT_free);
  const int index = X509_get_ext_by_OBJ(cert, obj.get(), -1);
  if (index < 0) return {};
  const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(X509_get_ext(cert, index));
  std::string raw(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                  static_cast<size_t>(ASN1_STRING_length(data)));
  if (!der_utf8) return raw;
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  std::unique_ptr<ASN1_UTF8STRING, decltype(&ASN1_UTF8STRING_free)> s(
      d2i_ASN1_UTF8STRING(nullptr, &p, static_cast<long>(raw.size())), ASN1_UTF8STRING_free);
  if (!s) return {};
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s.get())),
                     static_cast<size_t>(ASN1_STRING_length(s.get())));
}

std::vector<std::string> SubjectAltNames(X509* cert) {
  std::vector<std::string> names;
  auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (!sans) return names;
  for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(sans, i);
    if (n->type == GEN_EMAIL || n->type == GEN_URI) {
      const ASN1_IA5STRING* s = n->type == GEN_EMAIL ? n->d.rfc822Name : n->d.uniformResourceIdentifier;
      names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                         static_cast<size_t>(ASN1_STRING_length(s)));
    }
  }
  GENERAL_NAMES_free(sans);
  return names;
}

bool MaySign(X509* cert) {
  const uint32_t usage = X509_get_key_usage(cert);
  if (usage != UINT32_MAX && (usage & KU_DIGITAL_SIGNATURE)) return true;
  return (X509_get_extended_key_usage(cert) & XKU_CODE_SIGN) != 0;
}

// nullopt when a hash is not base64.
Result<std::optional<std::vector<std::vector<uint8_t>>>> DecodeHashes(const std::vector<JsonField>& list) {
  std::vector<std::vector<uint8_t>> out;
  for (const auto& h : list) {
    MG_ASSIGN_OR_RETURN(auto text, h.String());
    auto bytes = Base64Decode(text);
    if (!bytes) return std::optional<std::vector<std::vector<uint8_t>>>();
    out.emplace_back(bytes->begin(), bytes->end());
  }
  return std::optional<std::vector<std::vector<uint8_t>>>(std::move(out));
}

// protobuf's JSON mapping spells int64 as strings; both spellings are read.
constexpr bool kIntegerStrings = true;

struct TrustRoot {
  std::vector<crypto::Cert> fulcio_roots, fulcio_intermediates;
  std::vector<std::pair<std::string, crypto::Key>> rekor_keys;  // raw key id (SHA-256 of the DER key), key
};

Result<TrustRoot> ParseTrustRoot(const std::string& text) {
  const json document = json::parse(text, nullptr, false);
  if (document.is_discarded() || !document.is_object())
    return MakeError(ErrorCode::kParse, "the trusted root is not JSON");
  const JsonField root(document);
  TrustRoot trust;
  MG_ASSIGN_OR_RETURN(auto tlogs, root.ElementsOr("tlogs"));
  for (const auto& log : tlogs) {
    MG_ASSIGN_OR_RETURN(auto public_key, log.ObjectOr("publicKey"));
    MG_ASSIGN_OR_RETURN(auto log_id, log.ObjectOr("logId"));
    MG_ASSIGN_OR_RETURN(auto raw, public_key.StringOr("rawBytes", ""));
    MG_ASSIGN_OR_RETURN(auto key_id, log_id.StringOr("keyId", ""));
    auto der = Base64Decode(raw);
    auto id = Base64Decode(key_id);
    if (!der || !id) return MakeError(ErrorCode::kParse, "a transparency log in the trusted root has no usable key");
    auto key = crypto::LoadPublicKeyDer(*der);
    if (!key) return MakeError(ErrorCode::kParse, "a transparency log key in the trusted root cannot be read");
    trust.rekor_keys.emplace_back(*id, std::move(*key));
  }
  MG_ASSIGN_OR_RETURN(auto authorities, root.ElementsOr("certificateAuthorities"));
  for (const auto& ca : authorities) {
    MG_ASSIGN_OR_RETURN(auto chain, ca.ObjectOr("certChain"));
    MG_ASSIGN_OR_RETURN(auto certs, chain.ElementsOr("certificates"));
    for (size_t i = 0; i < certs.size(); ++i) {
      MG_ASSIGN_OR_RETURN(auto raw, certs[i].StringOr("rawBytes", ""));
      auto der = Base64Decode(raw);
      auto cert = der ? crypto::LoadCertificateDer(*der) : Result<crypto::Cert>(MakeError(ErrorCode::kParse, ""));
      if (!cert) return MakeError(ErrorCode::kParse, "a certificate authority in the trusted root cannot be read");
      (i + 1 == certs.size() ? trust.fulcio_roots : trust.fulcio_intermediates).push_back(std::move(*cert));
    }
  }
  if (trust.rekor_keys.empty() || trust.fulcio_roots.empty()) {
    return MakeError(ErrorCode::kParse, "the trusted root names no transparency log or no certificate authority");
  }
  return trust;
}

EVP_PKEY* FindLogKey(const TrustRoot* trust, std::string_view key_id_prefix) {
  if (!trust) return nullptr;
  for (const auto& [id, key] : trust->rekor_keys) {
    if (id.compare(0, key_id_prefix.size(), key_id_prefix) == 0) return key.get();
  }
  return nullptr;
}

// One Rekor entry: binding to this envelope and certificate, inclusion proof, checkpoint, and with a trust
// root the log's signatures. Returns the integrated time (0 when absent); a field of the wrong type is an error.
Result<uint64_t> CheckLogEntry(const JsonField& entry, const JsonField& envelope, X509* leaf, const TrustRoot* trust,
                               SignerCheck& out) {
  MG_ASSIGN_OR_RETURN(auto kind_version, entry.ObjectOr("kindVersion"));
  MG_ASSIGN_OR_RETURN(const std::string kind, kind_version.StringOr("kind", ""));
  MG_ASSIGN_OR_RETURN(const std::string canonicalized_body, entry.StringOr("canonicalizedBody", ""));
  auto body = Base64Decode(canonicalized_body);
  const json parsed = body ? json::parse(*body, nullptr, false) : json();
  if (!body || parsed.is_discarded() || !parsed.is_object() || kind != "dsse") {
    out.problems.push_back("a transparency log entry is not a readable Rekor dsse entry");
    return uint64_t{0};
  }
  const JsonField body_fields(parsed, entry.path() + ".canonicalizedBody");
  MG_ASSIGN_OR_RETURN(auto spec, body_fields.ObjectOr("spec"));
  MG_ASSIGN_OR_RETURN(const std::string envelope_payload, envelope.StringOr("payload", ""));
  auto payload = Base64Decode(envelope_payload);
  MG_ASSIGN_OR_RETURN(auto payload_hash_field, spec.ObjectOr("payloadHash"));
  MG_ASSIGN_OR_RETURN(const std::string payload_hash, payload_hash_field.StringOr("value", ""));
  if (!payload || payload_hash != Sha256Hex(*payload)) {
    out.problems.push_back("the transparency log entry records another payload");
  }
  bool bound = false;
  MG_ASSIGN_OR_RETURN(auto envelope_signatures, envelope.ElementsOr("signatures"));
  std::string envelope_sig;
  if (!envelope_signatures.empty()) {
    MG_ASSIGN_OR_RETURN(envelope_sig, envelope_signatures[0].StringOr("sig", ""));
  }
  MG_ASSIGN_OR_RETURN(auto spec_signatures, spec.ElementsOr("signatures"));
  for (const auto& s : spec_signatures) {
    MG_ASSIGN_OR_RETURN(const std::string verifier, s.StringOr("verifier", ""));
    MG_ASSIGN_OR_RETURN(const std::string signature, s.StringOr("signature", ""));
    auto pem = Base64Decode(verifier);
    auto certs =
        pem ? crypto::LoadCertificatesPem(*pem) : Result<std::vector<crypto::Cert>>(MakeError(ErrorCode::kParse, ""));
    if (signature == envelope_sig && certs && X509_cmp(certs->front().get(), leaf) == 0) bound = true;
  }
  if (!bound) out.problems.push_back("the transparency log entry records another signature or certificate");

  MG_ASSIGN_OR_RETURN(const uint64_t integrated_time, entry.UnsignedOr("integratedTime", 0, kIntegerStrings));
  MG_ASSIGN_OR_RETURN(auto proof, entry.ObjectOr("inclusionProof"));
  MG_ASSIGN_OR_RETURN(auto hash_fields, proof.ElementsOr("hashes"));
  MG_ASSIGN_OR_RETURN(const auto hashes, DecodeHashes(hash_fields));
  MG_ASSIGN_OR_RETURN(const std::string root_text, proof.StringOr("rootHash", ""));
  auto root = Base64Decode(root_text);
  MG_ASSIGN_OR_RETURN(const uint64_t index, proof.UnsignedOr("logIndex", UINT64_MAX, kIntegerStrings));
  MG_ASSIGN_OR_RETURN(const uint64_t size, proof.UnsignedOr("treeSize", UINT64_MAX, kIntegerStrings));
  if (proof.json().empty() || !hashes || !root) {
    out.problems.push_back("the transparency log entry has no usable inclusion proof");
    return integrated_time;
  }
  const auto leaf_hash = merkle::LeafHash({reinterpret_cast<const uint8_t*>(body->data()), body->size()});
  if (auto included = merkle::VerifyInclusion(index, size, leaf_hash, *hashes,
                                              {reinterpret_cast<const uint8_t*>(root->data()), root->size()});
      !included) {
    out.problems.push_back("the Rekor inclusion proof does not verify: " + included.error().message);
    return integrated_time;
  }
  out.checks.push_back("Rekor inclusion proof: entry " + std::to_string(index) + " of " + std::to_string(size));

  // The checkpoint must commit to the same tree.
  MG_ASSIGN_OR_RETURN(auto checkpoint, proof.ObjectOr("checkpoint"));
  MG_ASSIGN_OR_RETURN(const std::string checkpoint_envelope, checkpoint.StringOr("envelope", ""));
  const auto note = ParseSignedNote(checkpoint_envelope);
  const bool checkpoint_matches = note && note->size == size && note->root == *root;
  if (trust && checkpoint_matches) {
    bool signed_ok = false;
    for (const auto& s : note->signatures) {
      EVP_PKEY* key = FindLogKey(trust, s.key_hash);
      if (key && crypto::Verify(key, s.signature, note->body)) signed_ok = true;
    }
    if (signed_ok)
      out.checks.push_back("checkpoint signed by a transparency log of the trusted root");
    else
      out.problems.push_back("the checkpoint is not signed by a transparency log of the trusted root");
  }
  if (!checkpoint_matches) out.problems.push_back("the checkpoint does not commit to the inclusion proof's tree");

  if (trust) {
    MG_ASSIGN_OR_RETURN(auto log_id_field, entry.ObjectOr("logId"));
    MG_ASSIGN_OR_RETURN(const std::string key_id, log_id_field.StringOr("keyId", ""));
    MG_ASSIGN_OR_RETURN(auto promise_field, entry.ObjectOr("inclusionPromise"));
    MG_ASSIGN_OR_RETURN(const std::string timestamp, promise_field.StringOr("signedEntryTimestamp", ""));
    MG_ASSIGN_OR_RETURN(const uint64_t log_index, entry.UnsignedOr("logIndex", UINT64_MAX, kIntegerStrings));
    auto log_id = Base64Decode(key_id);
    auto set = Base64Decode(timestamp);
    EVP_PKEY* key = log_id ? FindLogKey(trust, *log_id) : nullptr;
    if (!key) {
      out.problems.push_back("the entry's log is not in the trusted root");
    } else if (set) {
      json promise;  // RFC 8785: keys sorted, no whitespace
      promise["body"] = canonicalized_body;
      promise["integratedTime"] = integrated_time;
      promise["logID"] = HexEncode(*log_id);
      promise["logIndex"] = log_index;
      if (crypto::Verify(key, *set, promise.dump()))
        out.checks.push_back("signed entry timestamp from the log verifies");
      else
        out.problems.push_back("the signed entry timestamp does not verify");
    }
  }
  return integrated_time;
}

}  // namespace

Result<SignerCheck> CheckKeySigner(const JsonField& material, const std::string& public_key_pem) {
  SignerCheck out;
  MG_ASSIGN_OR_RETURN(auto public_key, material.ObjectOr("publicKey"));
  MG_ASSIGN_OR_RETURN(const std::string recorded, public_key.StringOr("hint", ""));
  auto key = crypto::LoadPublicKeyPem(public_key_pem);
  if (!key) {
    out.problems.push_back("the public key cannot be read: " + key.error().message);
    return out;
  }
  out.key = std::move(*key);
  const std::string hint = Sha256Hex(crypto::PublicKeyPem(out.key.get()));
  out.signer = crypto::KeyDescription(out.key.get()) + " key " + hint.substr(0, 16);
  // The hint is advisory (upstream does not check it), so a mismatch is worth saying, not failing on.
  if (!recorded.empty() && recorded.size() == 64 && recorded != hint) {
    out.warnings.push_back("the bundle's key hint names a different key (" + recorded.substr(0, 16) + ")");
  }
  return out;
}

Result<SignerCheck> CheckCertificateSigner(const JsonField& material, const std::vector<crypto::Cert>& trusted) {
  SignerCheck out;
  MG_ASSIGN_OR_RETURN(auto certs, BundleCertificates(material, out.problems));
  if (certs.empty()) return out;
  X509* leaf = certs.front().get();
  out.signer = Subject(leaf);
  std::vector<X509*> roots, intermediates;
  for (const auto& c : trusted) roots.push_back(c.get());
  for (size_t i = 1; i < certs.size(); ++i) intermediates.push_back(certs[i].get());
  std::string error;
  if (!ChainVerifies(leaf, roots, intermediates, NotBefore(leaf), error)) {
    out.problems.push_back("the signing certificate does not chain to a trusted CA: " + error);
    return out;
  }
  out.checks.push_back("certificate chain to a trusted CA");
  if (!MaySign(leaf)) {
    out.problems.push_back("the signing certificate is not allowed to sign (no digitalSignature or codeSigning)");
    return out;
  }
  out.key.reset(X509_get_pubkey(leaf));
  return out;
}

Result<SignerCheck> CheckSigstoreSigner(const JsonField& bundle, const VerifyOptions& options,
                                        const std::string& trust_root_json) {
  SignerCheck out;
  MG_ASSIGN_OR_RETURN(auto material, bundle.ObjectOr("verificationMaterial"));
  MG_ASSIGN_OR_RETURN(auto certs, BundleCertificates(material, out.problems));
  if (certs.empty()) return out;
  X509* leaf = certs.front().get();

  std::optional<TrustRoot> trust;
  if (!trust_root_json.empty()) {
    // The trusted root is the verifier's own configuration, not evidence from the signer: one that cannot
    // be read is an error in the input (exit 2), not a failed verification.
    MG_ASSIGN_OR_RETURN_CONTEXT(auto parsed, ParseTrustRoot(trust_root_json), "the trusted root: ");
    trust = std::move(parsed);
  } else {
    out.warnings.push_back(
        "no --trust-root: the Fulcio chain, the signed entry timestamp and the checkpoint signature were not checked");
  }

  const auto sans = SubjectAltNames(leaf);
  std::string issuer = ExtensionText(leaf, "1.3.6.1.4.1.57264.1.8", true);
  if (issuer.empty()) issuer = ExtensionText(leaf, "1.3.6.1.4.1.57264.1.1", false);
  out.signer = (sans.empty() ? std::string("(no identity)") : sans.front()) + " via " +
               (issuer.empty() ? "(no issuer)" : issuer);
  if (std::find(sans.begin(), sans.end(), options.identity) == sans.end()) {
    out.problems.push_back("the certificate identity is not '" + options.identity + "'");
  }
  if (issuer != options.identity_provider) {
    out.problems.push_back("the certificate was issued for '" + issuer + "', not '" + options.identity_provider + "'");
  }
  if (out.problems.empty()) out.checks.push_back("certificate identity and OIDC issuer");

  MG_ASSIGN_OR_RETURN(auto entries, material.ElementsOr("tlogEntries"));
  MG_ASSIGN_OR_RETURN(auto envelope, bundle.ObjectOr("dsseEnvelope"));
  if (entries.empty()) out.problems.push_back("the bundle has no transparency log entry");
  uint64_t integrated_time = 0;
  for (const auto& entry : entries) {
    MG_ASSIGN_OR_RETURN(const uint64_t entry_time,
                        CheckLogEntry(entry, envelope, leaf, trust ? &*trust : nullptr, out));
    integrated_time = std::max(integrated_time, entry_time);
  }
  // Fulcio certificates live ten minutes: the log's time must fall inside the certificate's validity.
  time_t at = static_cast<time_t>(integrated_time);
  if (integrated_time == 0 || X509_cmp_time(X509_get0_notBefore(leaf), &at) > 0 ||
      X509_cmp_time(X509_get0_notAfter(leaf), &at) < 0) {
    out.problems.push_back("the log's integration time is outside the certificate's validity");
  }
  if (trust) {
    std::vector<X509*> roots, intermediates;
    for (const auto& c : trust->fulcio_roots) roots.push_back(c.get());
    for (const auto& c : trust->fulcio_intermediates) intermediates.push_back(c.get());
    for (size_t i = 1; i < certs.size(); ++i) intermediates.push_back(certs[i].get());
    std::string error;
    if (ChainVerifies(leaf, roots, intermediates, at, error))
      out.checks.push_back("Fulcio certificate chain at the log's integration time");
    else
      out.problems.push_back("the certificate does not chain to a Fulcio CA of the trusted root: " + error);
  }
  out.key.reset(X509_get_pubkey(leaf));
  return out;
}

}  // namespace modelguard::integrity
