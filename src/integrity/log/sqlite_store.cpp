#include <sqlite3.h>

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "src/integrity/log/store.h"

namespace modelguard::integrity {
namespace {

struct StmtFree {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Stmt = std::unique_ptr<sqlite3_stmt, StmtFree>;

std::string_view Column(sqlite3_stmt* s, int i) {
  return {static_cast<const char*>(sqlite3_column_blob(s, i)), static_cast<size_t>(sqlite3_column_bytes(s, i))};
}

class SqliteStore final : public LogStore {
 public:
  ~SqliteStore() override { sqlite3_close(db_); }

  Status Open(const std::string& path, LogOpen mode) {
    if (mode == LogOpen::kExisting) {
      // SQLite would create an empty database for a missing path, and a fresh schema in an empty file:
      // a command that only reads must find a log there, never make one.
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0)
        return MakeError(ErrorCode::kIo, "no log at '" + path + "': " + std::strerror(errno));
      if (!S_ISREG(st.st_mode)) return MakeError(ErrorCode::kIo, "'" + path + "' is not a log database file");
      if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK)
        return MakeError(ErrorCode::kIo, "cannot open log database '" + path + "': " + sqlite3_errmsg(db_));
      sqlite3_busy_timeout(db_, 5000);
      return Ok{};
    }
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
      return MakeError(ErrorCode::kIo, "cannot open log database '" + path + "'");
    }
    sqlite3_busy_timeout(db_, 5000);
    auto schema = Exec(
        "PRAGMA journal_mode=WAL;"
        "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE IF NOT EXISTS entries(idx INTEGER PRIMARY KEY, kind TEXT NOT NULL, time INTEGER NOT NULL,"
        "  data BLOB NOT NULL, leaf_hash BLOB NOT NULL);"
        "CREATE INDEX IF NOT EXISTS entries_leaf ON entries(leaf_hash);"
        "CREATE TABLE IF NOT EXISTS checkpoints(size INTEGER PRIMARY KEY, root BLOB NOT NULL, note TEXT NOT NULL);");
    if (!schema) return MakeError(ErrorCode::kIo, "'" + path + "' is not a modelguard log: " + schema.error().message);
    return Ok{};
  }

  Result<std::optional<std::string>> GetMeta(const std::string& key) override {
    MG_ASSIGN_OR_RETURN(auto s, Prepare("SELECT value FROM meta WHERE key = ?"));
    sqlite3_bind_text(s.get(), 1, key.c_str(), -1, SQLITE_TRANSIENT);
    const int rc = sqlite3_step(s.get());
    if (rc == SQLITE_DONE) return std::optional<std::string>{};
    if (rc != SQLITE_ROW) return StepError();
    return std::optional<std::string>(std::string(Column(s.get(), 0)));
  }

  Status SetMeta(const std::string& key, const std::string& value) override {
    MG_ASSIGN_OR_RETURN(auto s, Prepare("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)"));
    sqlite3_bind_text(s.get(), 1, key.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s.get(), 2, value.c_str(), -1, SQLITE_TRANSIENT);
    return Step(s.get());
  }

  Result<uint64_t> Append(std::string_view kind, int64_t time, std::string_view data,
                          const merkle::Hash& leaf) override {
    // The index is the row count inside one write transaction, so concurrent appenders cannot collide.
    MG_TRY(Exec("BEGIN IMMEDIATE"));
    auto result = [&]() -> Result<uint64_t> {
      MG_ASSIGN_OR_RETURN(auto size, Count());
      MG_ASSIGN_OR_RETURN(auto insert,
                          Prepare("INSERT INTO entries(idx, kind, time, data, leaf_hash) VALUES (?, ?, ?, ?, ?)"));
      sqlite3_bind_int64(insert.get(), 1, static_cast<sqlite3_int64>(size));
      sqlite3_bind_text(insert.get(), 2, kind.data(), static_cast<int>(kind.size()), SQLITE_TRANSIENT);
      sqlite3_bind_int64(insert.get(), 3, time);
      sqlite3_bind_blob64(insert.get(), 4, data.data(), data.size(), SQLITE_TRANSIENT);
      sqlite3_bind_blob(insert.get(), 5, leaf.data(), static_cast<int>(leaf.size()), SQLITE_TRANSIENT);
      MG_TRY(Step(insert.get()));
      return size;
    }();
    if (auto s = Exec(result ? "COMMIT" : "ROLLBACK"); !s && result) return s.error();
    return result;
  }

  Result<uint64_t> Count() override {
    MG_ASSIGN_OR_RETURN(auto s, Prepare("SELECT COUNT(*) FROM entries"));
    if (sqlite3_step(s.get()) != SQLITE_ROW) return MakeError(ErrorCode::kIo, "log database: cannot count entries");
    return static_cast<uint64_t>(sqlite3_column_int64(s.get(), 0));
  }

  Result<LogEntry> Entry(uint64_t index) override {
    MG_ASSIGN_OR_RETURN(auto s, Prepare("SELECT kind, time, data, leaf_hash FROM entries WHERE idx = ?"));
    sqlite3_bind_int64(s.get(), 1, static_cast<sqlite3_int64>(index));
    if (sqlite3_step(s.get()) != SQLITE_ROW)
      return MakeError(ErrorCode::kInvalidArgument, "no entry " + std::to_string(index));
    LogEntry e;
    e.index = index;
    e.kind = std::string(Column(s.get(), 0));
    e.time = sqlite3_column_int64(s.get(), 1);
    e.data = std::string(Column(s.get(), 2));
    if (Column(s.get(), 3).size() == 32) std::memcpy(e.leaf_hash.data(), Column(s.get(), 3).data(), 32);
    return e;
  }

  Result<std::optional<uint64_t>> FindLeaf(const merkle::Hash& leaf) override {
    MG_ASSIGN_OR_RETURN(auto s, Prepare("SELECT idx FROM entries WHERE leaf_hash = ? ORDER BY idx LIMIT 1"));
    sqlite3_bind_blob(s.get(), 1, leaf.data(), 32, SQLITE_TRANSIENT);
    const int rc = sqlite3_step(s.get());
    if (rc == SQLITE_DONE) return std::optional<uint64_t>{};
    if (rc != SQLITE_ROW) return StepError();
    return std::optional<uint64_t>(static_cast<uint64_t>(sqlite3_column_int64(s.get(), 0)));
  }

  Status ForEach(uint64_t limit, bool with_data,
                 const std::function<void(uint64_t, std::string_view, std::string_view)>& visit) override {
    MG_ASSIGN_OR_RETURN(auto s,
                        Prepare(with_data ? "SELECT idx, data, leaf_hash FROM entries WHERE idx < ? ORDER BY idx"
                                          : "SELECT idx, NULL, leaf_hash FROM entries WHERE idx < ? ORDER BY idx"));
    sqlite3_bind_int64(s.get(), 1, static_cast<sqlite3_int64>(std::min<uint64_t>(limit, INT64_MAX)));
    int rc;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
      visit(static_cast<uint64_t>(sqlite3_column_int64(s.get(), 0)), Column(s.get(), 1), Column(s.get(), 2));
    }
    if (rc != SQLITE_DONE) return StepError();
    return Ok{};
  }

  Status PutCheckpoint(uint64_t size, const merkle::Hash& root, const std::string& note) override {
    MG_ASSIGN_OR_RETURN(auto s, Prepare("INSERT OR REPLACE INTO checkpoints(size, root, note) VALUES (?, ?, ?)"));
    sqlite3_bind_int64(s.get(), 1, static_cast<sqlite3_int64>(size));
    sqlite3_bind_blob(s.get(), 2, root.data(), 32, SQLITE_TRANSIENT);
    sqlite3_bind_text(s.get(), 3, note.c_str(), -1, SQLITE_TRANSIENT);
    return Step(s.get());
  }

  Result<std::vector<std::pair<uint64_t, std::string>>> Checkpoints() override {
    MG_ASSIGN_OR_RETURN(auto s, Prepare("SELECT size, note FROM checkpoints ORDER BY size"));
    std::vector<std::pair<uint64_t, std::string>> out;
    int rc;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
      out.emplace_back(static_cast<uint64_t>(sqlite3_column_int64(s.get(), 0)), std::string(Column(s.get(), 1)));
    }
    if (rc != SQLITE_DONE) return StepError();
    return out;
  }

 private:
  Result<Stmt> Prepare(const char* sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &s, nullptr) != SQLITE_OK) {
      return MakeError(ErrorCode::kIo, std::string("log database: ") + sqlite3_errmsg(db_));
    }
    return Stmt(s);
  }
  Status Step(sqlite3_stmt* s) {
    if (sqlite3_step(s) != SQLITE_DONE) return StepError();
    return Ok{};
  }
  // A step that ended in neither a row nor SQLITE_DONE: the database failed, the answer is unknown.
  Error StepError() const { return MakeError(ErrorCode::kIo, std::string("log database: ") + sqlite3_errmsg(db_)); }
  Status Exec(const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
      std::string message = error ? error : "unknown error";
      sqlite3_free(error);
      return MakeError(ErrorCode::kIo, "log database: " + message);
    }
    return Ok{};
  }
  sqlite3* db_ = nullptr;
};

}  // namespace

Result<std::unique_ptr<LogStore>> OpenSqliteStore(const std::string& path, LogOpen mode) {
  auto store = std::make_unique<SqliteStore>();
  MG_TRY(store->Open(path, mode));
  return std::unique_ptr<LogStore>(std::move(store));
}

}  // namespace modelguard::integrity
