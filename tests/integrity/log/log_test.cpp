// The transparency log on both stores (SQLite file, PostgreSQL server started by scripts/start-postgres):
// proofs it serves verify with the RFC 9162 verifier, checkpoints verify with the pinned key, and every kind
// of tampering with the stored rows is caught by Audit.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sqlite3.h>

#include <cstdlib>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "modelguard/core/bytes.h"
#include "modelguard/integrity/encoding.h"
#include "modelguard/integrity/log.h"

namespace modelguard::integrity {
namespace {
namespace fs = std::filesystem;

std::string NewKeyPem(const char* type, const char* curve) {
  EVP_PKEY* key = curve ? EVP_PKEY_Q_keygen(nullptr, nullptr, type, curve) : EVP_PKEY_Q_keygen(nullptr, nullptr, type);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(n));
  BIO_free(bio);
  EVP_PKEY_free(key);
  return pem;
}

// The PostgreSQL URI scripts/test exports; the suite needs it (the backend is part of what it tests).
std::string PostgresUri() {
  const char* uri = std::getenv("MODELGUARD_TEST_POSTGRES");
  return uri ? uri : "";
}

class Log : public ::testing::TestWithParam<std::string> {
 protected:
  bool postgres() const { return GetParam() == "postgres"; }
  void SetUp() override {
    if (postgres()) {
      path_ = PostgresUri();
      ASSERT_FALSE(path_.empty()) << "MODELGUARD_TEST_POSTGRES is not set: run scripts/test (it starts PostgreSQL)";
      // Each test process gets its own schema: ctest runs test cases in parallel against one server.
      Sql("", "CREATE SCHEMA IF NOT EXISTS " + Schema());
      path_ += (path_.find('?') == std::string::npos ? "?" : "&") + std::string("options=-csearch_path%3D") + Schema();
      Sql("", "DROP TABLE IF EXISTS mg_log_entries, mg_log_meta, mg_log_checkpoints");
    } else {
      path_ = (fs::temp_directory_path() / ("mg-log-" + std::to_string(::getpid()) + ".db")).string();
      fs::remove(path_);
    }
    key_ = NewKeyPem("ED25519", nullptr);
    auto log = TransparencyLog::Open(path_, "test.example/log");
    ASSERT_TRUE(log.ok()) << log.error().message;
    log_ = std::move(*log);
    for (int i = 0; i < 37; ++i) ASSERT_TRUE(log_->Append("entry " + std::to_string(i), "test").ok());
    auto checkpoint = log_->SignCheckpoint(key_);
    ASSERT_TRUE(checkpoint.ok()) << checkpoint.error().message;
  }
  void TearDown() override {
    log_.reset();
    if (postgres()) {
      path_ = PostgresUri();
      Sql("", "DROP SCHEMA IF EXISTS " + Schema() + " CASCADE");
    } else {
      fs::remove(path_);
      fs::remove(path_ + "-wal");
      fs::remove(path_ + "-shm");
    }
  }
  static std::string Schema() { return "mg_test_" + std::to_string(::getpid()); }
  // Tampering straight in the database, in each store's dialect.
  void Sql(const std::string& sqlite_statement, const std::string& postgres_statement) {
    if (postgres()) {
      PGconn* conn = PQconnectdb(path_.c_str());
      ASSERT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
      PGresult* r = PQexec(conn, postgres_statement.c_str());
      EXPECT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << PQresultErrorMessage(r);
      PQclear(r);
      PQfinish(conn);
      return;
    }
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, sqlite_statement.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  std::string path_, key_;
  std::unique_ptr<TransparencyLog> log_;
};

TEST_P(Log, ServesProofsThatVerify) {
  EXPECT_EQ(*log_->Size(), 37u);
  const auto root = *log_->RootAt(37);
  for (uint64_t i = 0; i < 37; ++i) {
    const auto entry = *log_->Entry(i);
    EXPECT_EQ(entry.data, "entry " + std::to_string(i));
    const auto proof = *log_->InclusionProof(i, 37);
    EXPECT_TRUE(merkle::VerifyInclusion(i, 37, entry.leaf_hash, ToByteVectors(proof), root).ok()) << i;
    // The same proof does not prove a neighbour.
    const auto other = *log_->Entry((i + 1) % 37);
    EXPECT_FALSE(merkle::VerifyInclusion(i, 37, other.leaf_hash, ToByteVectors(proof), root).ok()) << i;
  }
  for (uint64_t old_size = 1; old_size <= 37; ++old_size) {
    const auto proof = *log_->ConsistencyProof(old_size, 37);
    EXPECT_TRUE(merkle::VerifyConsistency(old_size, 37, *log_->RootAt(old_size), root, ToByteVectors(proof)).ok())
        << old_size;
  }
  auto found = log_->FindLeaf(log_->Entry(12)->leaf_hash);
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_EQ(*found, 12u);
}

// Regression: a store that cannot answer used to make FindLeaf say "not in the log".
TEST_P(Log, FindLeafReportsAStoreFailureInsteadOfNotFound) {
  const auto absent = merkle::LeafHash({reinterpret_cast<const uint8_t*>("never logged"), 12});
  auto not_found = log_->FindLeaf(absent);
  ASSERT_TRUE(not_found.ok()) << not_found.error().message;
  EXPECT_FALSE(not_found->has_value());
  const auto present = log_->Entry(3)->leaf_hash;
  Sql("DROP TABLE entries", "DROP TABLE mg_log_entries");
  auto broken = log_->FindLeaf(present);
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error().code, ErrorCode::kIo);
  EXPECT_NE(broken.error().message.find("log database"), std::string::npos) << broken.error().message;
}

TEST_P(Log, CheckpointsAreSignedNotesBoundToTheKey) {
  auto latest = log_->LatestCheckpoint();
  ASSERT_TRUE(latest.ok() && latest->has_value());
  const Checkpoint& c = **latest;
  EXPECT_EQ(c.origin, "test.example/log");
  EXPECT_EQ(c.size, 37u);
  EXPECT_EQ(c.root, *log_->RootAt(37));
  EXPECT_EQ(c.note.rfind("test.example/log\n37\n" + Base64Encode(c.root) + "\n\n\xE2\x80\x94 test.example/log ", 0),
            0u);
  // Another key cannot sign for this log, and its notes do not verify with the pinned key.
  const std::string other = NewKeyPem("EC", "P-256");
  EXPECT_FALSE(log_->SignCheckpoint(other).ok());
  auto pem = *log_->PublicKeyPem();
  std::string forged = c.note;
  forged.replace(forged.find("\n37\n"), 4, "\n36\n");
  EXPECT_FALSE(VerifyCheckpointNote(forged, pem).ok());
  EXPECT_TRUE(VerifyCheckpointNote(c.note, pem).ok());
  // ECDSA keys sign checkpoints too.
  if (postgres()) return;  // one database per test run; the key pinning above already ran on PostgreSQL
  const std::string ec_path = path_ + ".ec";
  auto ec_log = TransparencyLog::Open(ec_path);
  ASSERT_TRUE((*ec_log)->Append("x", "t").ok());
  auto ec_checkpoint = (*ec_log)->SignCheckpoint(other);
  ASSERT_TRUE(ec_checkpoint.ok());
  EXPECT_TRUE(VerifyCheckpointNote(ec_checkpoint->note, *(*ec_log)->PublicKeyPem()).ok());
  ec_log->reset();
  fs::remove(ec_path);
}

TEST_P(Log, AuditPassesOnAnIntactLog) {
  ASSERT_TRUE(log_->Append("later", "test").ok());
  ASSERT_TRUE(log_->SignCheckpoint(key_).ok());
  auto audit = log_->Audit();
  ASSERT_TRUE(audit.ok());
  EXPECT_TRUE(audit->ok()) << audit->problems[0];
  EXPECT_EQ(audit->checkpoints_verified, 2u);
  EXPECT_EQ(audit->size, 38u);
}

TEST_P(Log, EditedDataIsDetected) {
  Sql("UPDATE entries SET data = CAST('entry 99' AS BLOB) WHERE idx = 5",
      "UPDATE mg_log_entries SET data = 'entry 99'::bytea WHERE idx = 5");
  auto audit = log_->Audit();
  ASSERT_TRUE(audit.ok());
  EXPECT_FALSE(audit->ok());
}

TEST_P(Log, EditedDataWithRecomputedLeafHashIsDetectedByTheCheckpoint) {
  const auto forged_leaf = merkle::LeafHash({reinterpret_cast<const uint8_t*>("entry 99"), 8});
  const std::string hex = HexEncode(forged_leaf);
  Sql("UPDATE entries SET data = CAST('entry 99' AS BLOB), leaf_hash = X'" + hex + "' WHERE idx = 5",
      "UPDATE mg_log_entries SET data = 'entry 99'::bytea, leaf_hash = '\\x" + hex + "'::bytea WHERE idx = 5");
  auto audit = log_->Audit();
  ASSERT_TRUE(audit.ok());
  ASSERT_EQ(audit->problems.size(), 1u);
  EXPECT_NE(audit->problems[0].find("no longer hash to its root"), std::string::npos);
}

TEST_P(Log, DeletedAndTruncatedEntriesAreDetected) {
  Sql("DELETE FROM entries WHERE idx = 36", "DELETE FROM mg_log_entries WHERE idx = 36");
  auto truncated = log_->Audit();
  ASSERT_TRUE(truncated.ok());
  EXPECT_FALSE(truncated->ok());
  Sql("DELETE FROM entries WHERE idx = 3", "DELETE FROM mg_log_entries WHERE idx = 3");
  auto gap = log_->Audit();
  ASSERT_TRUE(gap.ok());
  EXPECT_FALSE(gap->ok());
}

TEST_P(Log, ReplacedCheckpointIsDetected) {
  Sql("UPDATE checkpoints SET note = replace(note, char(10) || '37' || char(10), char(10) || '36' || char(10))",
      "UPDATE mg_log_checkpoints SET note = replace(note, chr(10) || '37' || chr(10), chr(10) || '36' || chr(10))");
  auto audit = log_->Audit();
  ASSERT_TRUE(audit.ok());
  EXPECT_FALSE(audit->ok());
}

TEST_P(Log, ConcurrentAppendsGetDenseDistinctIndexes) {
  // Four writers, each with its own connection, as separate gateway processes would have.
  std::vector<std::thread> writers;
  std::atomic<int> failures{0};
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      auto log = TransparencyLog::Open(path_);
      if (!log) {
        ++failures;
        return;
      }
      for (int i = 0; i < 25; ++i) {
        if (!(*log)->Append("writer " + std::to_string(w) + " item " + std::to_string(i), "test")) ++failures;
      }
    });
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(*log_->Size(), 137u);
  auto audit = log_->Audit();
  ASSERT_TRUE(audit.ok());
  EXPECT_TRUE(audit->ok()) << audit->problems[0];
}

// Issue 17: `log verify missing.db` created an empty database and called it intact. Opened for reading,
// an existing log opens as it is; where there is none, nothing is created (no file, no tables).
TEST_P(Log, OpeningAnExistingLogNeverCreatesOne) {
  auto existing = TransparencyLog::Open(path_, "", LogOpen::kExisting);
  ASSERT_TRUE(existing.ok()) << existing.error().message;
  EXPECT_EQ((*existing)->origin(), "test.example/log");
  EXPECT_EQ(*(*existing)->Size(), 37u);
  existing->reset();
  log_.reset();
  if (postgres()) {
    Sql("", "DROP TABLE IF EXISTS mg_log_entries, mg_log_meta, mg_log_checkpoints");
    EXPECT_FALSE(TransparencyLog::Open(path_, "", LogOpen::kExisting).ok());
    PGconn* conn = PQconnectdb(path_.c_str());
    PGresult* r = PQexec(conn, "SELECT to_regclass('mg_log_meta') IS NULL");
    EXPECT_EQ(std::string(PQgetvalue(r, 0, 0)), "t") << "no table was created";
    PQclear(r);
    PQfinish(conn);
  } else {
    fs::remove(path_);
    auto missing = TransparencyLog::Open(path_, "", LogOpen::kExisting);
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().message.find("no log at"), std::string::npos) << missing.error().message;
    EXPECT_FALSE(fs::exists(path_));
    { std::ofstream(path_.c_str()); }  // an empty file is no log either, and stays empty
    EXPECT_FALSE(TransparencyLog::Open(path_, "", LogOpen::kExisting).ok());
    EXPECT_EQ(fs::file_size(path_), 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(Stores, Log, ::testing::Values("sqlite", "postgres"),
                         [](const ::testing::TestParamInfo<std::string>& param_info) { return param_info.param; });

}  // namespace
}  // namespace modelguard::integrity
