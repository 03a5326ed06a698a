// Facts used: RFC 9162 section 2.1 (tree hashing, proofs) and the C2SP signed-note and tlog-checkpoint
// formats: body "<origin>\n<size>\n<base64 root>\n", a blank line, then "— <name> <base64(key hash[4] ||
// signature)>" lines. Ed25519 key hash = SHA-256(name || "\n" || 0x01 || public key)[:4]; for ECDSA keys
// we use SHA-256 of the DER public key, as Rekor does.
#include "modelguard/integrity/log.h"

#include <chrono>
#include <cstring>
#include <map>

#include "modelguard/core/clock.h"
#include "src/integrity/crypto/crypto.h"
#include "src/integrity/log/signed_note.h"
#include "src/integrity/log/store.h"

namespace modelguard::integrity {
namespace {

std::string KeyHash(const std::string& origin, EVP_PKEY* key) {
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519) {
    unsigned char raw[32];
    size_t len = sizeof(raw);
    EVP_PKEY_get_raw_public_key(key, raw, &len);
    std::string material = origin + "\n";
    material.push_back('\x01');
    material.append(reinterpret_cast<const char*>(raw), len);
    return Sha256Bytes(material).substr(0, 4);
  }
  return Sha256Bytes(crypto::PublicKeyDer(key)).substr(0, 4);
}

std::string NoteBody(const std::string& origin, uint64_t size, const merkle::Hash& root) {
  return origin + "\n" + std::to_string(size) + "\n" + Base64Encode(root) + "\n";
}

}  // namespace

TransparencyLog::~TransparencyLog() = default;

Result<std::unique_ptr<TransparencyLog>> TransparencyLog::Open(const std::string& path, const std::string& origin,
                                                               LogOpen mode) {
  std::unique_ptr<TransparencyLog> log(new TransparencyLog());
  const bool postgres = path.rfind("postgresql://", 0) == 0 || path.rfind("postgres://", 0) == 0;
  MG_ASSIGN_OR_RETURN(auto store, postgres ? OpenPostgresStore(path, mode) : OpenSqliteStore(path, mode));
  log->store_ = std::move(store);
  auto stored_origin = log->store_->GetMeta("origin");
  if (!stored_origin && mode == LogOpen::kExisting)
    return MakeError(ErrorCode::kParse, "'" + path + "' is not a modelguard log: " + stored_origin.error().message);
  MG_ASSIGN_OR_RETURN(auto stored, std::move(stored_origin));
  if (!stored && mode == LogOpen::kExisting)
    return MakeError(ErrorCode::kParse, "'" + path + "' is not a modelguard log (it names no origin)");
  if (stored) {
    if (!origin.empty() && origin != *stored) {
      return MakeError(ErrorCode::kInvalidArgument, "the log is named '" + *stored + "', not '" + origin + "'");
    }
    log->origin_ = *stored;
  } else {
    log->origin_ = origin.empty() ? "modelguard.local/log" : origin;
    MG_TRY(log->store_->SetMeta("origin", log->origin_));
  }
  return log;
}

Result<std::string> TransparencyLog::PublicKeyPem() {
  MG_ASSIGN_OR_RETURN(auto pem, store_->GetMeta("public_key"));
  return pem.value_or("");
}

Result<uint64_t> TransparencyLog::Append(std::string_view data, std::string_view kind) {
  const auto leaf = merkle::LeafHash({reinterpret_cast<const uint8_t*>(data.data()), data.size()});
  return store_->Append(kind, NowUnixSeconds(), data, leaf);
}

Result<uint64_t> TransparencyLog::Size() { return store_->Count(); }

Result<LogEntry> TransparencyLog::Entry(uint64_t index) { return store_->Entry(index); }

Result<std::optional<uint64_t>> TransparencyLog::FindLeaf(const merkle::Hash& leaf_hash) {
  return store_->FindLeaf(leaf_hash);
}

Result<std::vector<merkle::Hash>> TransparencyLog::LeafHashes(uint64_t size) {
  std::vector<merkle::Hash> hashes;
  hashes.reserve(size);
  bool contiguous = true;
  MG_TRY(store_->ForEach(size, false, [&](uint64_t index, std::string_view, std::string_view leaf) {
    if (!contiguous || index != hashes.size() || leaf.size() != 32) {
      contiguous = false;
      return;
    }
    merkle::Hash h;
    std::memcpy(h.data(), leaf.data(), 32);
    hashes.push_back(h);
  }));
  if (!contiguous)
    return MakeError(ErrorCode::kParse,
                     "the log's entries are not contiguous at index " + std::to_string(hashes.size()));
  if (hashes.size() != size)
    return MakeError(ErrorCode::kInvalidArgument, "the log holds fewer than " + std::to_string(size) + " entries");
  return hashes;
}

Result<merkle::Hash> TransparencyLog::RootAt(uint64_t size) {
  MG_ASSIGN_OR_RETURN(auto leaves, LeafHashes(size));
  return merkle::Root(leaves);
}

Result<std::vector<merkle::Hash>> TransparencyLog::InclusionProof(uint64_t index, uint64_t size) {
  MG_ASSIGN_OR_RETURN(auto leaves, LeafHashes(size));
  return merkle::InclusionProof(leaves, index);
}

Result<std::vector<merkle::Hash>> TransparencyLog::ConsistencyProof(uint64_t old_size, uint64_t new_size) {
  MG_ASSIGN_OR_RETURN(auto leaves, LeafHashes(new_size));
  return merkle::ConsistencyProof(leaves, old_size);
}

Result<Checkpoint> TransparencyLog::SignCheckpoint(const std::string& private_key_pem) {
  MG_ASSIGN_OR_RETURN(auto key, crypto::LoadPrivateKeyPem(private_key_pem));
  const std::string public_pem = crypto::PublicKeyPem(key.get());
  MG_ASSIGN_OR_RETURN(auto pinned, PublicKeyPem());
  if (pinned.empty()) {
    MG_TRY(store_->SetMeta("public_key", public_pem));
  } else if (pinned != public_pem) {
    return MakeError(ErrorCode::kInvalidArgument, "this log's checkpoints are signed with another key");
  }
  MG_ASSIGN_OR_RETURN(auto size, Size());
  MG_ASSIGN_OR_RETURN(auto root, RootAt(size));
  Checkpoint c{origin_, size, root, {}};
  const std::string body = NoteBody(origin_, size, root);
  MG_ASSIGN_OR_RETURN(auto signature, crypto::Sign(key.get(), body));
  c.note = body + "\n" + std::string(kNoteSignatureDash) + " " + origin_ + " " +
           Base64Encode(KeyHash(origin_, key.get()) + signature) + "\n";
  MG_TRY(store_->PutCheckpoint(size, root, c.note));
  return c;
}

Result<std::optional<Checkpoint>> TransparencyLog::LatestCheckpoint() {
  MG_ASSIGN_OR_RETURN(auto all, store_->Checkpoints());
  if (all.empty()) return std::optional<Checkpoint>{};
  MG_ASSIGN_OR_RETURN(auto pem, PublicKeyPem());
  MG_ASSIGN_OR_RETURN(auto checkpoint, VerifyCheckpointNote(all.back().second, pem));
  return std::optional<Checkpoint>(std::move(checkpoint));
}

Result<LogAudit> TransparencyLog::Audit() {
  LogAudit audit;
  MG_ASSIGN_OR_RETURN(auto size, Size());
  audit.size = size;
  std::vector<merkle::Hash> leaves;
  leaves.reserve(size);
  bool gap = false;
  MG_TRY(store_->ForEach(UINT64_MAX, true, [&](uint64_t index, std::string_view data, std::string_view stored) {
    if (gap) return;
    if (index != leaves.size()) {
      audit.problems.push_back("entry " + std::to_string(leaves.size()) + " is missing (next stored index " +
                               std::to_string(index) + ")");
      gap = true;
      return;
    }
    const auto recomputed = merkle::LeafHash({reinterpret_cast<const uint8_t*>(data.data()), data.size()});
    if (stored.size() != 32 || std::memcmp(stored.data(), recomputed.data(), 32) != 0) {
      audit.problems.push_back("entry " + std::to_string(index) +
                               " was modified: its data no longer matches its leaf hash");
    }
    // The tree is rebuilt from the data itself, so rewriting data and hash together still changes the root.
    leaves.push_back(recomputed);
  }));
  if (gap) return audit;
  audit.root = merkle::Root(leaves);
  MG_ASSIGN_OR_RETURN(auto pem, PublicKeyPem());
  MG_ASSIGN_OR_RETURN(auto checkpoints, store_->Checkpoints());
  for (const auto& [size_at, note] : checkpoints) {
    auto checkpoint = VerifyCheckpointNote(note, pem);
    if (!checkpoint) {
      audit.problems.push_back("checkpoint at size " + std::to_string(size_at) + ": " + checkpoint.error().message);
      continue;
    }
    if (checkpoint->size != size_at || checkpoint->size > leaves.size()) {
      audit.problems.push_back("checkpoint at size " + std::to_string(size_at) +
                               " commits to entries the log no longer holds");
      continue;
    }
    if (merkle::Root(std::span(leaves).first(checkpoint->size)) != checkpoint->root) {
      audit.problems.push_back("checkpoint at size " + std::to_string(size_at) +
                               ": the stored entries no longer hash to its root");
      continue;
    }
    ++audit.checkpoints_verified;
  }
  return audit;
}

Result<Checkpoint> VerifyCheckpointNote(const std::string& note, const std::string& public_key_pem) {
  auto key = crypto::LoadPublicKeyPem(public_key_pem);
  if (!key) return MakeError(ErrorCode::kInvalidArgument, "no checkpoint key: " + key.error().message);
  const auto parsed = ParseSignedNote(note);
  if (!parsed)
    return MakeError(ErrorCode::kParse,
                     "not a checkpoint note (origin, size and base64 root lines, a blank line, signatures)");
  if (parsed->root.size() != 32) return MakeError(ErrorCode::kParse, "the checkpoint root is not a SHA-256 hash");
  Checkpoint c;
  c.note = note;
  c.origin = parsed->origin;
  c.size = parsed->size;
  std::memcpy(c.root.data(), parsed->root.data(), 32);
  const std::string hash = KeyHash(c.origin, key->get());
  for (const auto& s : parsed->signatures) {
    if (s.key_hash == hash && crypto::Verify(key->get(), s.signature, parsed->body)) return c;
  }
  return MakeError(ErrorCode::kParse, "no signature line verifies with the log's key");
}

}  // namespace modelguard::integrity
