// Facts used: RFC 9162 section 2.1 (tree hashing, proofs) and the C2SP signed-note and tlog-checkpoint
// formats: body "<origin>\n<size>\n<base64 root>\n", a blank line, then "— <name> <base64(key hash[4] ||
// signature)>" lines. Ed25519 key hash = SHA-256(name || "\n" || 0x01 || public key)[:4]; for ECDSA keys
// we use SHA-256 of the DER public key, as Rekor does.
#include "modelguard/integrity/log.h"

#include <sqlite3.h>

#include <chrono>
#include <cstring>
#include <map>

#include "src/integrity/crypto/crypto.h"
#include "src/integrity/log/signed_note.h"

namespace modelguard::integrity {
namespace {

struct StmtFree {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Stmt = std::unique_ptr<sqlite3_stmt, StmtFree>;

std::string KeyHash(const std::string& origin, EVP_PKEY* key) {
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519) {
    unsigned char raw[32];
    size_t len = sizeof(raw);
    EVP_PKEY_get_raw_public_key(key, raw, &len);
    std::string material = origin + "\n";
    material.push_back('\x01');
    material.append(reinterpret_cast<const char*>(raw), len);
    return crypto::Sha256(material).substr(0, 4);
  }
  return crypto::Sha256(crypto::PublicKeyDer(key)).substr(0, 4);
}

std::string NoteBody(const std::string& origin, uint64_t size, const merkle::Hash& root) {
  return origin + "\n" + std::to_string(size) + "\n" +
         crypto::Base64Encode(std::string_view(reinterpret_cast<const char*>(root.data()), root.size())) + "\n";
}

}  // namespace

struct TransparencyLog::Db {
  sqlite3* handle = nullptr;
  ~Db() { sqlite3_close(handle); }
  Result<Stmt> Prepare(const char* sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(handle, sql, -1, &s, nullptr) != SQLITE_OK) {
      return MakeError(ErrorCode::kIo, std::string("log database: ") + sqlite3_errmsg(handle));
    }
    return Stmt(s);
  }
  Status Exec(const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(handle, sql, nullptr, nullptr, &error) != SQLITE_OK) {
      std::string message = error ? error : "unknown error";
      sqlite3_free(error);
      return MakeError(ErrorCode::kIo, "log database: " + message);
    }
    return Ok{};
  }
  std::optional<std::string> Meta(const char* key) {
    auto s = Prepare("SELECT value FROM meta WHERE key = ?");
    if (!s) return std::nullopt;
    sqlite3_bind_text(s->get(), 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(s->get()) != SQLITE_ROW) return std::nullopt;
    return std::string(reinterpret_cast<const char*>(sqlite3_column_text(s->get(), 0)));
  }
  Status SetMeta(const char* key, const std::string& value) {
    auto s = Prepare("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)");
    if (!s) return s.error();
    sqlite3_bind_text(s->get(), 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(s->get(), 2, value.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(s->get()) != SQLITE_DONE) return MakeError(ErrorCode::kIo, std::string("log database: ") + sqlite3_errmsg(handle));
    return Ok{};
  }
};

TransparencyLog::~TransparencyLog() = default;

Result<std::unique_ptr<TransparencyLog>> TransparencyLog::Open(const std::string& path, const std::string& origin) {
  std::unique_ptr<TransparencyLog> log(new TransparencyLog());
  log->db_ = std::make_unique<Db>();
  if (sqlite3_open_v2(path.c_str(), &log->db_->handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    return MakeError(ErrorCode::kIo, "cannot open log database '" + path + "'");
  }
  sqlite3_busy_timeout(log->db_->handle, 5000);
  if (auto s = log->db_->Exec(
          "PRAGMA journal_mode=WAL;"
          "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
          "CREATE TABLE IF NOT EXISTS entries(idx INTEGER PRIMARY KEY, kind TEXT NOT NULL, time INTEGER NOT NULL,"
          "  data BLOB NOT NULL, leaf_hash BLOB NOT NULL);"
          "CREATE INDEX IF NOT EXISTS entries_leaf ON entries(leaf_hash);"
          "CREATE TABLE IF NOT EXISTS checkpoints(size INTEGER PRIMARY KEY, root BLOB NOT NULL, note TEXT NOT NULL);");
      !s) {
    return MakeError(ErrorCode::kIo, "'" + path + "' is not a modelguard log: " + s.error().message);
  }
  auto stored = log->db_->Meta("origin");
  if (stored) {
    if (!origin.empty() && origin != *stored) {
      return MakeError(ErrorCode::kInvalidArgument, "the log is named '" + *stored + "', not '" + origin + "'");
    }
    log->origin_ = *stored;
  } else {
    log->origin_ = origin.empty() ? "modelguard.local/log" : origin;
    if (auto s = log->db_->SetMeta("origin", log->origin_); !s) return s.error();
  }
  return log;
}

Result<std::string> TransparencyLog::PublicKeyPem() { return db_->Meta("public_key").value_or(""); }

Result<uint64_t> TransparencyLog::Append(std::string_view data, std::string_view kind) {
  const auto leaf = merkle::LeafHash({reinterpret_cast<const uint8_t*>(data.data()), data.size()});
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  // The index is the row count inside one write transaction, so concurrent appenders cannot collide.
  if (auto s = db_->Exec("BEGIN IMMEDIATE"); !s) return s.error();
  auto size = Size();
  if (!size) {
    (void)db_->Exec("ROLLBACK");
    return size.error();
  }
  auto insert = db_->Prepare("INSERT INTO entries(idx, kind, time, data, leaf_hash) VALUES (?, ?, ?, ?, ?)");
  if (!insert) {
    (void)db_->Exec("ROLLBACK");
    return insert.error();
  }
  sqlite3_bind_int64(insert->get(), 1, static_cast<sqlite3_int64>(*size));
  sqlite3_bind_text(insert->get(), 2, kind.data(), static_cast<int>(kind.size()), SQLITE_TRANSIENT);
  sqlite3_bind_int64(insert->get(), 3, now);
  sqlite3_bind_blob64(insert->get(), 4, data.data(), data.size(), SQLITE_TRANSIENT);
  sqlite3_bind_blob(insert->get(), 5, leaf.data(), static_cast<int>(leaf.size()), SQLITE_TRANSIENT);
  if (sqlite3_step(insert->get()) != SQLITE_DONE) {
    const std::string message = sqlite3_errmsg(db_->handle);
    (void)db_->Exec("ROLLBACK");
    return MakeError(ErrorCode::kIo, "log append failed: " + message);
  }
  if (auto s = db_->Exec("COMMIT"); !s) return s.error();
  return *size;
}

Result<uint64_t> TransparencyLog::Size() {
  auto s = db_->Prepare("SELECT COUNT(*) FROM entries");
  if (!s) return s.error();
  if (sqlite3_step(s->get()) != SQLITE_ROW) return MakeError(ErrorCode::kIo, "log database: cannot count entries");
  return static_cast<uint64_t>(sqlite3_column_int64(s->get(), 0));
}

Result<LogEntry> TransparencyLog::Entry(uint64_t index) {
  auto s = db_->Prepare("SELECT kind, time, data, leaf_hash FROM entries WHERE idx = ?");
  if (!s) return s.error();
  sqlite3_bind_int64(s->get(), 1, static_cast<sqlite3_int64>(index));
  if (sqlite3_step(s->get()) != SQLITE_ROW) return MakeError(ErrorCode::kInvalidArgument, "no entry " + std::to_string(index));
  LogEntry e;
  e.index = index;
  e.kind = reinterpret_cast<const char*>(sqlite3_column_text(s->get(), 0));
  e.time = sqlite3_column_int64(s->get(), 1);
  e.data.assign(static_cast<const char*>(sqlite3_column_blob(s->get(), 2)), static_cast<size_t>(sqlite3_column_bytes(s->get(), 2)));
  if (sqlite3_column_bytes(s->get(), 3) == 32) std::memcpy(e.leaf_hash.data(), sqlite3_column_blob(s->get(), 3), 32);
  return e;
}

std::optional<uint64_t> TransparencyLog::FindLeaf(const merkle::Hash& leaf_hash) {
  auto s = db_->Prepare("SELECT idx FROM entries WHERE leaf_hash = ? ORDER BY idx LIMIT 1");
  if (!s) return std::nullopt;
  sqlite3_bind_blob(s->get(), 1, leaf_hash.data(), 32, SQLITE_STATIC);
  if (sqlite3_step(s->get()) != SQLITE_ROW) return std::nullopt;
  return static_cast<uint64_t>(sqlite3_column_int64(s->get(), 0));
}

Result<std::vector<merkle::Hash>> TransparencyLog::LeafHashes(uint64_t size) {
  auto s = db_->Prepare("SELECT idx, leaf_hash FROM entries WHERE idx < ? ORDER BY idx");
  if (!s) return s.error();
  sqlite3_bind_int64(s->get(), 1, static_cast<sqlite3_int64>(size));
  std::vector<merkle::Hash> hashes;
  hashes.reserve(size);
  while (sqlite3_step(s->get()) == SQLITE_ROW) {
    if (static_cast<uint64_t>(sqlite3_column_int64(s->get(), 0)) != hashes.size() || sqlite3_column_bytes(s->get(), 1) != 32) {
      return MakeError(ErrorCode::kParse, "the log's entries are not contiguous at index " + std::to_string(hashes.size()));
    }
    merkle::Hash h;
    std::memcpy(h.data(), sqlite3_column_blob(s->get(), 1), 32);
    hashes.push_back(h);
  }
  if (hashes.size() != size) return MakeError(ErrorCode::kInvalidArgument, "the log holds fewer than " + std::to_string(size) + " entries");
  return hashes;
}

Result<merkle::Hash> TransparencyLog::RootAt(uint64_t size) {
  auto leaves = LeafHashes(size);
  if (!leaves) return leaves.error();
  return merkle::Root(*leaves);
}

Result<std::vector<merkle::Hash>> TransparencyLog::InclusionProof(uint64_t index, uint64_t size) {
  auto leaves = LeafHashes(size);
  if (!leaves) return leaves.error();
  return merkle::InclusionProof(*leaves, index);
}

Result<std::vector<merkle::Hash>> TransparencyLog::ConsistencyProof(uint64_t old_size, uint64_t new_size) {
  auto leaves = LeafHashes(new_size);
  if (!leaves) return leaves.error();
  return merkle::ConsistencyProof(*leaves, old_size);
}

Result<Checkpoint> TransparencyLog::SignCheckpoint(const std::string& private_key_pem) {
  auto key = crypto::LoadPrivateKeyPem(private_key_pem);
  if (!key) return key.error();
  const std::string public_pem = crypto::PublicKeyPem(key->get());
  auto pinned = PublicKeyPem();
  if (!pinned) return pinned.error();
  if (pinned->empty()) {
    if (auto s = db_->SetMeta("public_key", public_pem); !s) return s.error();
  } else if (*pinned != public_pem) {
    return MakeError(ErrorCode::kInvalidArgument, "this log's checkpoints are signed with another key");
  }
  auto size = Size();
  if (!size) return size.error();
  auto root = RootAt(*size);
  if (!root) return root.error();
  Checkpoint c{origin_, *size, *root, {}};
  const std::string body = NoteBody(origin_, *size, *root);
  auto signature = crypto::Sign(key->get(), body);
  if (!signature) return signature.error();
  c.note = body + "\n" + std::string(kNoteSignatureDash) + " " + origin_ + " " + crypto::Base64Encode(KeyHash(origin_, key->get()) + *signature) + "\n";
  auto s = db_->Prepare("INSERT OR REPLACE INTO checkpoints(size, root, note) VALUES (?, ?, ?)");
  if (!s) return s.error();
  sqlite3_bind_int64(s->get(), 1, static_cast<sqlite3_int64>(*size));
  sqlite3_bind_blob(s->get(), 2, root->data(), 32, SQLITE_TRANSIENT);
  sqlite3_bind_text(s->get(), 3, c.note.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(s->get()) != SQLITE_DONE) return MakeError(ErrorCode::kIo, "cannot store the checkpoint");
  return c;
}

Result<std::optional<Checkpoint>> TransparencyLog::LatestCheckpoint() {
  auto s = db_->Prepare("SELECT note FROM checkpoints ORDER BY size DESC LIMIT 1");
  if (!s) return s.error();
  if (sqlite3_step(s->get()) != SQLITE_ROW) return std::optional<Checkpoint>{};
  const std::string note = reinterpret_cast<const char*>(sqlite3_column_text(s->get(), 0));
  auto pem = PublicKeyPem();
  if (!pem) return pem.error();
  auto checkpoint = VerifyCheckpointNote(note, *pem);
  if (!checkpoint) return checkpoint.error();
  return std::optional<Checkpoint>(std::move(*checkpoint));
}

Result<LogAudit> TransparencyLog::Audit() {
  LogAudit audit;
  auto size = Size();
  if (!size) return size.error();
  audit.size = *size;
  std::vector<merkle::Hash> leaves;
  leaves.reserve(*size);
  {
    auto s = db_->Prepare("SELECT idx, data, leaf_hash FROM entries ORDER BY idx");
    if (!s) return s.error();
    while (sqlite3_step(s->get()) == SQLITE_ROW) {
      const auto index = static_cast<uint64_t>(sqlite3_column_int64(s->get(), 0));
      if (index != leaves.size()) {
        audit.problems.push_back("entry " + std::to_string(leaves.size()) + " is missing (next stored index " + std::to_string(index) + ")");
        return audit;
      }
      const auto* data = static_cast<const uint8_t*>(sqlite3_column_blob(s->get(), 1));
      const auto recomputed = merkle::LeafHash({data, static_cast<size_t>(sqlite3_column_bytes(s->get(), 1))});
      if (sqlite3_column_bytes(s->get(), 2) != 32 || std::memcmp(sqlite3_column_blob(s->get(), 2), recomputed.data(), 32) != 0) {
        audit.problems.push_back("entry " + std::to_string(index) + " was modified: its data no longer matches its leaf hash");
      }
      // The tree is rebuilt from the data itself, so rewriting data and hash together still changes the root.
      leaves.push_back(recomputed);
    }
  }
  audit.root = merkle::Root(leaves);
  auto pem = PublicKeyPem();
  if (!pem) return pem.error();
  auto s = db_->Prepare("SELECT size, note FROM checkpoints ORDER BY size");
  if (!s) return s.error();
  while (sqlite3_step(s->get()) == SQLITE_ROW) {
    const auto size_at = static_cast<uint64_t>(sqlite3_column_int64(s->get(), 0));
    const std::string note = reinterpret_cast<const char*>(sqlite3_column_text(s->get(), 1));
    auto checkpoint = VerifyCheckpointNote(note, *pem);
    if (!checkpoint) {
      audit.problems.push_back("checkpoint at size " + std::to_string(size_at) + ": " + checkpoint.error().message);
      continue;
    }
    if (checkpoint->size != size_at || checkpoint->size > leaves.size()) {
      audit.problems.push_back("checkpoint at size " + std::to_string(size_at) + " commits to entries the log no longer holds");
      continue;
    }
    if (merkle::Root(std::span(leaves).first(checkpoint->size)) != checkpoint->root) {
      audit.problems.push_back("checkpoint at size " + std::to_string(size_at) + ": the stored entries no longer hash to its root");
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
  if (!parsed) return MakeError(ErrorCode::kParse, "not a checkpoint note (origin, size and base64 root lines, a blank line, signatures)");
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
