// PostgreSQL storage for the transparency log (libpq). Appends take a table lock inside their
// transaction, so indexes stay dense and ordered with any number of writers on any number of hosts.
#include <libpq-fe.h>

#include <cstring>

#include "src/integrity/log/store.h"

namespace modelguard::integrity {
namespace {

struct ResultFree {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultFree>;

struct Param {
  std::string_view bytes;
  bool binary = false;
};

std::string_view Value(PGresult* r, int row, int column) {
  return {PQgetvalue(r, row, column), static_cast<size_t>(PQgetlength(r, row, column))};
}

uint64_t ToUnsigned(std::string_view text) {
  uint64_t v = 0;
  for (char c : text) v = v * 10 + static_cast<uint64_t>(c - '0');
  return v;
}

class PostgresStore final : public LogStore {
 public:
  ~PostgresStore() override { PQfinish(conn_); }

  Status Open(const std::string& conninfo, LogOpen mode) {
    conn_ = PQconnectdb(conninfo.c_str());
    if (PQstatus(conn_) != CONNECTION_OK) {
      return MakeError(ErrorCode::kIo, std::string("cannot connect to the PostgreSQL log: ") + PQerrorMessage(conn_));
    }
    // A command that only reads must find the log's tables, never create them.
    if (mode == LogOpen::kExisting) return Ok{};
    // "relation already exists, skipping" notices are not for the user.
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);
    return Command(
        "CREATE TABLE IF NOT EXISTS mg_log_meta(key text PRIMARY KEY, value text NOT NULL);"
        "CREATE TABLE IF NOT EXISTS mg_log_entries(idx bigint PRIMARY KEY, kind text NOT NULL, time bigint NOT NULL,"
        "  data bytea NOT NULL, leaf_hash bytea NOT NULL);"
        "CREATE INDEX IF NOT EXISTS mg_log_entries_leaf ON mg_log_entries(leaf_hash);"
        "CREATE TABLE IF NOT EXISTS mg_log_checkpoints(size bigint PRIMARY KEY, root bytea NOT NULL, note text NOT "
        "NULL);");
  }

  Result<std::optional<std::string>> GetMeta(const std::string& key) override {
    MG_ASSIGN_OR_RETURN(auto r, Query("SELECT value FROM mg_log_meta WHERE key = $1", {{key}}));
    if (PQntuples(r.get()) == 0) return std::optional<std::string>{};
    return std::optional<std::string>(std::string(Value(r.get(), 0, 0)));
  }

  Status SetMeta(const std::string& key, const std::string& value) override {
    MG_TRY(Query(
        "INSERT INTO mg_log_meta(key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        {{key}, {value}}));
    return Ok{};
  }

  Result<uint64_t> Append(std::string_view kind, int64_t time, std::string_view data,
                          const merkle::Hash& leaf) override {
    if (auto s = Command("BEGIN; LOCK TABLE mg_log_entries IN SHARE ROW EXCLUSIVE MODE"); !s) {
      (void)Command("ROLLBACK");
      return s.error();
    }
    const std::string time_text = std::to_string(time);
    auto r = Query(
        "INSERT INTO mg_log_entries(idx, kind, time, data, leaf_hash) "
        "SELECT COUNT(*), $1, $2::bigint, $3, $4 FROM mg_log_entries RETURNING idx::text",
        {{kind}, {time_text}, {data, true}, {std::string_view(reinterpret_cast<const char*>(leaf.data()), 32), true}});
    if (!r) {
      (void)Command("ROLLBACK");
      return r.error();
    }
    const uint64_t index = ToUnsigned(Value(r->get(), 0, 0));
    MG_TRY(Command("COMMIT"));
    return index;
  }

  Result<uint64_t> Count() override {
    MG_ASSIGN_OR_RETURN(auto r, Query("SELECT COUNT(*)::text FROM mg_log_entries", {}));
    return ToUnsigned(Value(r.get(), 0, 0));
  }

  Result<LogEntry> Entry(uint64_t index) override {
    const std::string idx = std::to_string(index);
    MG_ASSIGN_OR_RETURN(
        auto r, Query("SELECT kind, time::text, data, leaf_hash FROM mg_log_entries WHERE idx = $1::bigint", {{idx}}));
    if (PQntuples(r.get()) == 0) return MakeError(ErrorCode::kInvalidArgument, "no entry " + idx);
    LogEntry e;
    e.index = index;
    e.kind = std::string(Value(r.get(), 0, 0));
    e.time = static_cast<int64_t>(ToUnsigned(Value(r.get(), 0, 1)));
    e.data = std::string(Value(r.get(), 0, 2));
    if (Value(r.get(), 0, 3).size() == 32) std::memcpy(e.leaf_hash.data(), Value(r.get(), 0, 3).data(), 32);
    return e;
  }

  Result<std::optional<uint64_t>> FindLeaf(const merkle::Hash& leaf) override {
    MG_ASSIGN_OR_RETURN(
        auto r, Query("SELECT idx::text FROM mg_log_entries WHERE leaf_hash = $1 ORDER BY mg_log_entries.idx LIMIT 1",
                      {{std::string_view(reinterpret_cast<const char*>(leaf.data()), 32), true}}));
    if (PQntuples(r.get()) == 0) return std::optional<uint64_t>{};
    return std::optional<uint64_t>(ToUnsigned(Value(r.get(), 0, 0)));
  }

  Status ForEach(uint64_t limit, bool with_data,
                 const std::function<void(uint64_t, std::string_view, std::string_view)>& visit) override {
    // Rows stream one at a time: an audit of a large log does not hold it in memory twice.
    const std::string bound = std::to_string(std::min<uint64_t>(limit, INT64_MAX));
    const char* values[] = {bound.c_str()};
    const char* sql =
        with_data
            ? "SELECT idx::text, data, leaf_hash FROM mg_log_entries WHERE idx < $1::bigint ORDER BY mg_log_entries.idx"
            : "SELECT idx::text, ''::bytea, leaf_hash FROM mg_log_entries WHERE idx < $1::bigint ORDER BY "
              "mg_log_entries.idx";
    if (!PQsendQueryParams(conn_, sql, 1, nullptr, values, nullptr, nullptr, 1) || !PQsetSingleRowMode(conn_)) {
      return MakeError(ErrorCode::kIo, std::string("log database: ") + PQerrorMessage(conn_));
    }
    std::string error;
    while (PgResult r{PQgetResult(conn_)}) {
      const auto status = PQresultStatus(r.get());
      if (status == PGRES_SINGLE_TUPLE) {
        visit(ToUnsigned(Value(r.get(), 0, 0)), Value(r.get(), 0, 1), Value(r.get(), 0, 2));
      } else if (status != PGRES_TUPLES_OK) {
        error = PQresultErrorMessage(r.get());
      }
    }
    if (!error.empty()) return MakeError(ErrorCode::kIo, "log database: " + error);
    return Ok{};
  }

  Status PutCheckpoint(uint64_t size, const merkle::Hash& root, const std::string& note) override {
    const std::string size_text = std::to_string(size);
    MG_TRY(
        Query("INSERT INTO mg_log_checkpoints(size, root, note) VALUES ($1::bigint, $2, $3) "
              "ON CONFLICT (size) DO UPDATE SET root = excluded.root, note = excluded.note",
              {{size_text}, {std::string_view(reinterpret_cast<const char*>(root.data()), 32), true}, {note}}));
    return Ok{};
  }

  Result<std::vector<std::pair<uint64_t, std::string>>> Checkpoints() override {
    MG_ASSIGN_OR_RETURN(auto r,
                        Query("SELECT size::text, note FROM mg_log_checkpoints ORDER BY mg_log_checkpoints.size", {}));
    std::vector<std::pair<uint64_t, std::string>> out;
    for (int i = 0; i < PQntuples(r.get()); ++i)
      out.emplace_back(ToUnsigned(Value(r.get(), i, 0)), std::string(Value(r.get(), i, 1)));
    return out;
  }

 private:
  // Binary results: bytea columns arrive as raw bytes; numbers are cast to text in SQL (so ORDER BY must
  // name the table column, not the text output column of the same name).
  Result<PgResult> Query(const char* sql, const std::vector<Param>& params) {
    std::vector<std::string> storage;
    std::vector<const char*> values;
    std::vector<int> lengths, formats;
    storage.reserve(params.size());
    for (const auto& p : params) {
      storage.emplace_back(p.bytes);
      values.push_back(storage.back().data());
      lengths.push_back(static_cast<int>(p.bytes.size()));
      formats.push_back(p.binary ? 1 : 0);
    }
    PgResult r(PQexecParams(conn_, sql, static_cast<int>(params.size()), nullptr, values.data(), lengths.data(),
                            formats.data(), 1));
    const auto status = PQresultStatus(r.get());
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
      return MakeError(ErrorCode::kIo, std::string("log database: ") + PQresultErrorMessage(r.get()));
    }
    return r;
  }
  Status Command(const char* sql) {
    PgResult r(PQexec(conn_, sql));
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
      return MakeError(ErrorCode::kIo, std::string("log database: ") + PQresultErrorMessage(r.get()));
    }
    return Ok{};
  }
  PGconn* conn_ = nullptr;
};

}  // namespace

Result<std::unique_ptr<LogStore>> OpenPostgresStore(const std::string& conninfo, LogOpen mode) {
  auto store = std::make_unique<PostgresStore>();
  MG_TRY(store->Open(conninfo, mode));
  return std::unique_ptr<LogStore>(std::move(store));
}

}  // namespace modelguard::integrity
