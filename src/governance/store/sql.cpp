// SQLite and PostgreSQL behind SqlDatabase. SQLite keeps prepared statements by their text (discovery runs
// the same few statements for every file); PostgreSQL gets `?` renumbered to `$n` outside string literals.
#include "src/governance/store/sql.h"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <unordered_map>

namespace modelguard::governance {
namespace {

struct StatementFree {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};

class Sqlite final : public SqlDatabase {
 public:
  ~Sqlite() override {
    statements_.clear();
    sqlite3_close(db_);
  }

  Status Open(const std::string& path, bool create) {
    if (!create) {
      // SQLite would create an empty database for a missing path: a command that only reads must find one.
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0)
        return MakeError(ErrorCode::kIo, "no governance database at '" + path + "': " + std::strerror(errno));
      if (!S_ISREG(st.st_mode)) return MakeError(ErrorCode::kIo, "'" + path + "' is not a database file");
    }
    const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK)
      return MakeError(ErrorCode::kIo, "cannot open governance database '" + path +
                                           "': " + (db_ ? sqlite3_errmsg(db_) : "out of memory"));
    sqlite3_busy_timeout(db_, 10000);
    return Ok{};
  }

  bool postgres() const override { return false; }

  Status Script(std::string_view sql) override {
    char* error = nullptr;
    const std::string text(sql);
    if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      std::string message = error ? error : sqlite3_errmsg(db_);
      sqlite3_free(error);
      return MakeError(ErrorCode::kIo, "governance database: " + message);
    }
    return Ok{};
  }

  Result<std::vector<SqlRow>> Query(std::string_view sql, const std::vector<SqlValue>& params) override {
    MG_ASSIGN_OR_RETURN(sqlite3_stmt * statement, Prepare(sql));
    sqlite3_reset(statement);
    sqlite3_clear_bindings(statement);
    for (size_t i = 0; i < params.size(); ++i) {
      const int index = static_cast<int>(i + 1);
      if (const auto* number = std::get_if<int64_t>(&params[i])) {
        sqlite3_bind_int64(statement, index, *number);
      } else if (const auto* text = std::get_if<std::string>(&params[i])) {
        sqlite3_bind_text64(statement, index, text->data(), text->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
      } else {
        sqlite3_bind_null(statement, index);
      }
    }
    std::vector<SqlRow> rows;
    int rc;
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
      SqlRow row;
      const int columns = sqlite3_column_count(statement);
      for (int c = 0; c < columns; ++c) {
        if (sqlite3_column_type(statement, c) == SQLITE_NULL) {
          row.emplace_back(std::nullopt);
        } else {
          const auto* bytes = static_cast<const char*>(sqlite3_column_blob(statement, c));
          row.emplace_back(std::string(bytes ? bytes : "", static_cast<size_t>(sqlite3_column_bytes(statement, c))));
        }
      }
      rows.push_back(std::move(row));
    }
    sqlite3_reset(statement);
    if (rc != SQLITE_DONE) return MakeError(ErrorCode::kIo, std::string("governance database: ") + sqlite3_errmsg(db_));
    return rows;
  }

  Status Begin() override { return Script("BEGIN IMMEDIATE"); }
  Status Commit() override { return Script("COMMIT"); }
  void Rollback() override { (void)Script("ROLLBACK"); }

 private:
  Result<sqlite3_stmt*> Prepare(std::string_view sql) {
    auto found = statements_.find(std::string(sql));
    if (found != statements_.end()) return found->second.get();
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &statement, nullptr) != SQLITE_OK)
      return MakeError(ErrorCode::kIo, std::string("governance database: ") + sqlite3_errmsg(db_));
    statements_.emplace(std::string(sql), std::unique_ptr<sqlite3_stmt, StatementFree>(statement));
    return statement;
  }

  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, std::unique_ptr<sqlite3_stmt, StatementFree>> statements_;
};

struct ResultFree {
  void operator()(PGresult* result) const { PQclear(result); }
};
using PgResult = std::unique_ptr<PGresult, ResultFree>;

// `?` to `$1, $2, ...`, leaving string literals alone.
std::string NumberPlaceholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int next = 1;
  bool quoted = false;
  for (char c : sql) {
    if (c == '\'') quoted = !quoted;
    if (c == '?' && !quoted) {
      out += '$';
      out += std::to_string(next++);
    } else {
      out += c;
    }
  }
  return out;
}

class Postgres final : public SqlDatabase {
 public:
  ~Postgres() override { PQfinish(conn_); }

  Status Open(const std::string& conninfo) {
    conn_ = PQconnectdb(conninfo.c_str());
    if (PQstatus(conn_) != CONNECTION_OK)
      return MakeError(ErrorCode::kIo,
                       std::string("cannot connect to the PostgreSQL governance database: ") + PQerrorMessage(conn_));
    // "relation already exists, skipping" notices are not for the user.
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);
    return Ok{};
  }

  bool postgres() const override { return true; }

  Status Script(std::string_view sql) override {
    PgResult result(PQexec(conn_, std::string(sql).c_str()));
    const auto status = PQresultStatus(result.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
      return MakeError(ErrorCode::kIo, std::string("governance database: ") + PQerrorMessage(conn_));
    return Ok{};
  }

  Result<std::vector<SqlRow>> Query(std::string_view sql, const std::vector<SqlValue>& params) override {
    const std::string text = NumberPlaceholders(sql);
    std::vector<std::string> storage(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    for (size_t i = 0; i < params.size(); ++i) {
      if (const auto* number = std::get_if<int64_t>(&params[i])) {
        storage[i] = std::to_string(*number);
        values[i] = storage[i].c_str();
      } else if (const auto* string = std::get_if<std::string>(&params[i])) {
        // Text parameters go as C strings: a NUL inside would cut them short, so refuse it.
        if (string->find('\0') != std::string::npos)
          return MakeError(ErrorCode::kInvalidArgument, "governance database: a text value contains a NUL byte");
        values[i] = string->c_str();
      }
    }
    PgResult result(PQexecParams(conn_, text.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                                 nullptr, 0));
    const auto status = PQresultStatus(result.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
      return MakeError(ErrorCode::kIo, std::string("governance database: ") + PQerrorMessage(conn_));
    std::vector<SqlRow> rows;
    const int count = PQntuples(result.get());
    const int columns = PQnfields(result.get());
    rows.reserve(static_cast<size_t>(count));
    for (int r = 0; r < count; ++r) {
      SqlRow row;
      for (int c = 0; c < columns; ++c) {
        if (PQgetisnull(result.get(), r, c)) {
          row.emplace_back(std::nullopt);
        } else {
          row.emplace_back(
              std::string(PQgetvalue(result.get(), r, c), static_cast<size_t>(PQgetlength(result.get(), r, c))));
        }
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  Status Begin() override { return Script("BEGIN"); }
  Status Commit() override { return Script("COMMIT"); }
  void Rollback() override { (void)Script("ROLLBACK"); }

 private:
  PGconn* conn_ = nullptr;
};

}  // namespace

bool IsPostgresLocation(std::string_view location) {
  return location.starts_with("postgresql://") || location.starts_with("postgres://");
}

Result<std::unique_ptr<SqlDatabase>> OpenSqlite(const std::string& path, bool create) {
  auto db = std::make_unique<Sqlite>();
  MG_TRY(db->Open(path, create));
  return std::unique_ptr<SqlDatabase>(std::move(db));
}

Result<std::unique_ptr<SqlDatabase>> OpenPostgres(const std::string& conninfo) {
  auto db = std::make_unique<Postgres>();
  MG_TRY(db->Open(conninfo));
  return std::unique_ptr<SqlDatabase>(std::move(db));
}

Result<int64_t> ToInt(const std::optional<std::string>& column) {
  if (!column) return MakeError(ErrorCode::kParse, "governance database: a number column is NULL");
  int64_t value = 0;
  const char* end = column->data() + column->size();
  const auto [ptr, ec] = std::from_chars(column->data(), end, value);
  if (ec != std::errc() || ptr != end || column->empty())
    return MakeError(ErrorCode::kParse, "governance database: '" + *column + "' is not a number");
  return value;
}

std::string ToText(const std::optional<std::string>& column) { return column ? *column : std::string(); }

}  // namespace modelguard::governance
