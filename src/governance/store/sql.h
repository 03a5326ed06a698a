#pragma once
// The little SQL the governance store needs, over SQLite or PostgreSQL. Statements are written once, with
// `?` placeholders and the syntax both accept (ON CONFLICT ... DO UPDATE, RETURNING, BIGINT columns); the
// PostgreSQL side numbers the placeholders. Values travel as text (or NULL), so neither side converts
// types behind the caller's back; rows come back as text too.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "modelguard/core/result.h"

namespace modelguard::governance {

using SqlValue = std::variant<std::monostate, int64_t, std::string>;
using SqlRow = std::vector<std::optional<std::string>>;

class SqlDatabase {
 public:
  virtual ~SqlDatabase() = default;
  virtual bool postgres() const = 0;
  // Runs a script of statements without parameters (the schema).
  virtual Status Script(std::string_view sql) = 0;
  virtual Result<std::vector<SqlRow>> Query(std::string_view sql, const std::vector<SqlValue>& params = {}) = 0;
  // One write transaction: SQLite takes the write lock at once (BEGIN IMMEDIATE), so two writers never
  // deadlock upgrading; PostgreSQL's default isolation with the statements' own conflict handling.
  virtual Status Begin() = 0;
  virtual Status Commit() = 0;
  virtual void Rollback() = 0;
};

// kCreate makes a missing SQLite file; otherwise a missing file is an error.
Result<std::unique_ptr<SqlDatabase>> OpenSqlite(const std::string& path, bool create);
Result<std::unique_ptr<SqlDatabase>> OpenPostgres(const std::string& conninfo);
bool IsPostgresLocation(std::string_view location);

// A column as a number; an error (never 0) when it is NULL or not a decimal integer.
Result<int64_t> ToInt(const std::optional<std::string>& column);
std::string ToText(const std::optional<std::string>& column);  // NULL reads as ""

// Runs `body` inside a write transaction: committed when it returns Ok, rolled back otherwise.
template <typename Body>
auto InTransaction(SqlDatabase& db, Body&& body) -> decltype(body()) {
  MG_TRY(db.Begin());
  auto result = body();
  if (!result) {
    db.Rollback();
    return result;
  }
  MG_TRY(db.Commit());
  return result;
}

}  // namespace modelguard::governance
