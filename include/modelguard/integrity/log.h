#pragma once
// An append-only transparency log (RFC 9162 Merkle tree) kept in SQLite (or PostgreSQL): entries are opaque bytes (a
// signature bundle, a verification event, a gateway audit record) with a kind and a time; the log head is
// published as signed checkpoints in the C2SP signed-note format. Verification recomputes every leaf and
// every stored checkpoint, so any edit, deletion or reordering of stored rows is detected.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "modelguard/core/result.h"
#include "modelguard/integrity/merkle.h"

namespace modelguard::integrity {

struct LogEntry {
  uint64_t index = 0;
  std::string kind;
  int64_t time = 0;  // seconds since the epoch
  std::string data;
  merkle::Hash leaf_hash{};
};

struct Checkpoint {
  std::string origin;
  uint64_t size = 0;
  merkle::Hash root{};
  std::string note;  // the signed note text: body, blank line, signature lines
};

struct LogAudit {
  uint64_t size = 0;
  merkle::Hash root{};
  uint64_t checkpoints_verified = 0;
  std::vector<std::string> problems;  // empty: the log is intact
  bool ok() const { return problems.empty(); }
};

class LogStore;

// kCreate: a missing SQLite log is created (init, append). kExisting: for commands that only read (verify,
// prove, consistency): a missing file, or a database that is not a modelguard log, is an error and nothing
// is created.
enum class LogOpen { kCreate, kExisting };

class TransparencyLog {
 public:
  // Creates the database (and its schema) when it does not exist and `mode` allows. `origin` names a new
  // log. A location starting with postgresql:// or postgres:// is a libpq connection URI; anything else an
  // SQLite file.
  static Result<std::unique_ptr<TransparencyLog>> Open(const std::string& path, const std::string& origin = "",
                                                       LogOpen mode = LogOpen::kCreate);
  ~TransparencyLog();

  const std::string& origin() const { return origin_; }
  // The PEM public key that signs this log's checkpoints; empty until SetSigningKey or the first checkpoint.
  Result<std::string> PublicKeyPem();
  Result<uint64_t> Append(std::string_view data, std::string_view kind);
  Result<uint64_t> Size();
  Result<LogEntry> Entry(uint64_t index);
  // The index of the first entry with this leaf hash; nullopt when none has it, an error when the store
  // cannot answer (a broken database must not read as "not logged").
  Result<std::optional<uint64_t>> FindLeaf(const merkle::Hash& leaf_hash);
  Result<merkle::Hash> RootAt(uint64_t size);
  Result<std::vector<merkle::Hash>> InclusionProof(uint64_t index, uint64_t size);
  Result<std::vector<merkle::Hash>> ConsistencyProof(uint64_t old_size, uint64_t new_size);
  // Signs the current head with this private key (ECDSA or Ed25519 PEM) and stores the checkpoint. The
  // first checkpoint pins the key: later checkpoints must use the same one.
  Result<Checkpoint> SignCheckpoint(const std::string& private_key_pem);
  Result<std::optional<Checkpoint>> LatestCheckpoint();
  // Recomputes every leaf hash from the stored data and checks every stored checkpoint (root and signature).
  Result<LogAudit> Audit();

 private:
  TransparencyLog() = default;
  Result<std::vector<merkle::Hash>> LeafHashes(uint64_t size);
  std::unique_ptr<LogStore> store_;
  std::string origin_;
};

// Parses and checks a signed note against a PEM public key: signature, origin, and returns the checkpoint.
Result<Checkpoint> VerifyCheckpointNote(const std::string& note, const std::string& public_key_pem);

}  // namespace modelguard::integrity
