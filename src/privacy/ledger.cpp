#include "modelguard/privacy/ledger.h"

#include "modelguard/core/json_text.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <optional>
#include <utility>

namespace modelguard::privacy {
namespace {

// Units per 1 of epsilon and of delta (dividing by these gives the correctly rounded decimal back).
constexpr double kEpsilonUnits = 1e9;
constexpr double kDeltaUnits = 1e18;
constexpr double kMaxEpsilon = 1e6;  // far above any meaningful budget; keeps units inside int64
constexpr int kBusyTimeoutMs = 60000;

struct StatementFree {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementFree>;

Result<int64_t> Units(double amount, double units_per_one, double max, const char* what) {
  if (!std::isfinite(amount) || amount < 0 || amount > max)
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string(what) + " must be a finite number in [0, " + JsonNumberText(max) + "]");
  const auto units = static_cast<int64_t>(std::llround(amount * units_per_one));
  return amount > 0 ? std::max<int64_t>(units, 1) : int64_t{0};
}

class SqliteLedger final : public BudgetLedger {
 public:
  ~SqliteLedger() override { sqlite3_close(db_); }

  Status Open(const std::string& path) {
    path_ = path;
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
      return MakeError(ErrorCode::kIo, "'" + path + "' is not a privacy ledger file");
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK)
      return MakeError(ErrorCode::kIo, "cannot open the privacy ledger '" + path + "': " + sqlite3_errmsg(db_));
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    // The schema in one write transaction, so two processes creating the ledger at once do not collide.
    MG_TRY(Exec("BEGIN IMMEDIATE"));
    auto schema = [&]() -> Status {
      MG_ASSIGN_OR_RETURN(auto foreign, Prepare("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name "
                                                "NOT IN ('budgets', 'charges')"));
      if (sqlite3_step(foreign.get()) != SQLITE_ROW) return StepError();
      MG_ASSIGN_OR_RETURN(auto ours, Prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'budgets'"));
      if (sqlite3_step(ours.get()) != SQLITE_ROW) return StepError();
      if (sqlite3_column_int64(foreign.get(), 0) > 0 && sqlite3_column_int64(ours.get(), 0) == 0)
        return MakeError(ErrorCode::kInvalidArgument, "'" + path_ + "' is an SQLite database but not a privacy ledger");
      return Exec(
          "CREATE TABLE IF NOT EXISTS budgets(dataset TEXT PRIMARY KEY, epsilon_units INTEGER NOT NULL,"
          "  delta_units INTEGER NOT NULL, created INTEGER NOT NULL);"
          "CREATE TABLE IF NOT EXISTS charges(id INTEGER PRIMARY KEY, dataset TEXT NOT NULL, time INTEGER NOT NULL,"
          "  epsilon_units INTEGER NOT NULL, delta_units INTEGER NOT NULL, query TEXT NOT NULL);"
          "CREATE INDEX IF NOT EXISTS charges_dataset ON charges(dataset);");
    }();
    return Finish(std::move(schema));
  }

  Status SetBudget(const std::string& dataset, double epsilon, double delta, bool replace) override {
    MG_ASSIGN_OR_RETURN(int64_t epsilon_units, Units(epsilon, kEpsilonUnits, kMaxEpsilon, "the total epsilon"));
    MG_ASSIGN_OR_RETURN(int64_t delta_units, Units(delta, kDeltaUnits, 1, "the total delta"));
    if (epsilon_units == 0) return MakeError(ErrorCode::kInvalidArgument, "the total epsilon must be > 0");
    MG_TRY(Exec("BEGIN IMMEDIATE"));
    auto set = [&]() -> Status {
      MG_ASSIGN_OR_RETURN(auto existing, Totals(dataset));
      if (existing && !replace && (existing->first != epsilon_units || existing->second != delta_units))
        return MakeError(ErrorCode::kInvalidArgument,
                         "dataset '" + dataset + "' already has a budget of epsilon " +
                             JsonNumberText(static_cast<double>(existing->first) / kEpsilonUnits) + ", delta " +
                             JsonNumberText(static_cast<double>(existing->second) / kDeltaUnits) +
                             " (replace it deliberately with --replace)");
      MG_ASSIGN_OR_RETURN(auto insert, Prepare("INSERT OR REPLACE INTO budgets(dataset, epsilon_units, delta_units, "
                                               "created) VALUES (?, ?, ?, ?)"));
      sqlite3_bind_text(insert.get(), 1, dataset.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64(insert.get(), 2, epsilon_units);
      sqlite3_bind_int64(insert.get(), 3, delta_units);
      sqlite3_bind_int64(insert.get(), 4, static_cast<sqlite3_int64>(std::time(nullptr)));
      return Step(insert.get());
    }();
    return Finish(std::move(set));
  }

  Result<BudgetState> State(const std::string& dataset) override {
    MG_TRY(Exec("BEGIN"));
    auto state = Read(dataset);
    if (auto end = Exec(state ? "COMMIT" : "ROLLBACK"); !end && state) return end.error();
    return state;
  }

  Result<BudgetState> Charge(const std::string& dataset, double epsilon, double delta,
                             const std::string& query) override {
    MG_ASSIGN_OR_RETURN(int64_t epsilon_units, Units(epsilon, kEpsilonUnits, kMaxEpsilon, "epsilon"));
    MG_ASSIGN_OR_RETURN(int64_t delta_units, Units(delta, kDeltaUnits, 1, "delta"));
    MG_TRY(Exec("BEGIN IMMEDIATE"));
    auto charged = [&]() -> Result<BudgetState> {
      MG_ASSIGN_OR_RETURN(auto totals, Totals(dataset));
      if (!totals) return NoBudget(dataset);
      MG_ASSIGN_OR_RETURN(auto spent, Spent(dataset));
      const int64_t epsilon_left = std::max<int64_t>(0, totals->first - spent.first);
      const int64_t delta_left = std::max<int64_t>(0, totals->second - spent.second);
      if (epsilon_units > epsilon_left || delta_units > delta_left)
        return MakeError(ErrorCode::kLimit,
                         "privacy budget of dataset '" + dataset + "' exhausted: this release needs epsilon " +
                             JsonNumberText(epsilon) + (delta > 0 ? ", delta " + JsonNumberText(delta) : "") +
                             ", and epsilon " + JsonNumberText(static_cast<double>(epsilon_left) / kEpsilonUnits) +
                             ", delta " + JsonNumberText(static_cast<double>(delta_left) / kDeltaUnits) +
                             " remain; nothing was released");
      MG_ASSIGN_OR_RETURN(auto insert, Prepare("INSERT INTO charges(dataset, time, epsilon_units, delta_units, query) "
                                               "VALUES (?, ?, ?, ?, ?)"));
      sqlite3_bind_text(insert.get(), 1, dataset.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64(insert.get(), 2, static_cast<sqlite3_int64>(std::time(nullptr)));
      sqlite3_bind_int64(insert.get(), 3, epsilon_units);
      sqlite3_bind_int64(insert.get(), 4, delta_units);
      sqlite3_bind_text(insert.get(), 5, query.c_str(), -1, SQLITE_TRANSIENT);
      MG_TRY(Step(insert.get()));
      return Read(dataset);
    }();
    // Only a committed charge counts: if COMMIT fails, the release must not go ahead.
    if (auto end = Exec(charged ? "COMMIT" : "ROLLBACK"); !end && charged) return end.error();
    return charged;
  }

 private:
  static Error NoBudget(const std::string& dataset) {
    return MakeError(ErrorCode::kInvalidArgument, "dataset '" + dataset +
                                                      "' has no privacy budget: set one first with `modelguard "
                                                      "privacy budget set`");
  }

  Result<std::optional<std::pair<int64_t, int64_t>>> Totals(const std::string& dataset) {
    MG_ASSIGN_OR_RETURN(auto s, Prepare("SELECT epsilon_units, delta_units FROM budgets WHERE dataset = ?"));
    sqlite3_bind_text(s.get(), 1, dataset.c_str(), -1, SQLITE_TRANSIENT);
    const int rc = sqlite3_step(s.get());
    if (rc == SQLITE_DONE) return std::optional<std::pair<int64_t, int64_t>>{};
    if (rc != SQLITE_ROW) return StepError();
    return std::optional(
        std::pair<int64_t, int64_t>(sqlite3_column_int64(s.get(), 0), sqlite3_column_int64(s.get(), 1)));
  }

  Result<std::pair<int64_t, int64_t>> Spent(const std::string& dataset) {
    MG_ASSIGN_OR_RETURN(
        auto s, Prepare("SELECT COALESCE(SUM(epsilon_units), 0), COALESCE(SUM(delta_units), 0) FROM charges WHERE "
                        "dataset = ?"));
    sqlite3_bind_text(s.get(), 1, dataset.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(s.get()) != SQLITE_ROW) return StepError();
    return std::pair<int64_t, int64_t>(sqlite3_column_int64(s.get(), 0), sqlite3_column_int64(s.get(), 1));
  }

  Result<BudgetState> Read(const std::string& dataset) {
    MG_ASSIGN_OR_RETURN(auto totals, Totals(dataset));
    if (!totals) return NoBudget(dataset);
    BudgetState state;
    state.dataset = dataset;
    state.total_epsilon = static_cast<double>(totals->first) / kEpsilonUnits;
    state.total_delta = static_cast<double>(totals->second) / kDeltaUnits;
    MG_ASSIGN_OR_RETURN(auto spent, Spent(dataset));
    state.spent_epsilon = static_cast<double>(spent.first) / kEpsilonUnits;
    state.spent_delta = static_cast<double>(spent.second) / kDeltaUnits;
    MG_ASSIGN_OR_RETURN(auto s, Prepare("SELECT time, epsilon_units, delta_units, query FROM charges WHERE dataset = ? "
                                        "ORDER BY id"));
    sqlite3_bind_text(s.get(), 1, dataset.c_str(), -1, SQLITE_TRANSIENT);
    int rc;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(s.get(), 3));
      state.charges.push_back({sqlite3_column_int64(s.get(), 0),
                               static_cast<double>(sqlite3_column_int64(s.get(), 1)) / kEpsilonUnits,
                               static_cast<double>(sqlite3_column_int64(s.get(), 2)) / kDeltaUnits, text ? text : ""});
    }
    if (rc != SQLITE_DONE) return StepError();
    return state;
  }

  // Ends the transaction the way the work went: COMMIT after success (its failure is the result), ROLLBACK
  // after an error (the error is the result).
  Status Finish(Status work) {
    if (auto end = Exec(work ? "COMMIT" : "ROLLBACK"); !end && work) return end.error();
    return work;
  }

  Result<Statement> Prepare(const char* sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &s, nullptr) != SQLITE_OK) return StepError();
    return Statement(s);
  }
  Status Step(sqlite3_stmt* s) {
    if (sqlite3_step(s) != SQLITE_DONE) return StepError();
    return Ok{};
  }
  Error StepError() const {
    return MakeError(ErrorCode::kIo, "privacy ledger '" + path_ + "': " + sqlite3_errmsg(db_));
  }
  Status Exec(const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
      std::string message = error ? error : sqlite3_errmsg(db_);
      sqlite3_free(error);
      return MakeError(ErrorCode::kIo, "privacy ledger '" + path_ + "': " + message);
    }
    return Ok{};
  }

  std::string path_;
  sqlite3* db_ = nullptr;
};

Status MakePrivateDirectories(const std::string& path) {
  for (size_t at = 1; at <= path.size(); ++at) {
    if (at != path.size() && path[at] != '/') continue;
    const std::string prefix = path.substr(0, at);
    if (::mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST)
      return MakeError(ErrorCode::kIo, "cannot create '" + prefix + "': " + std::strerror(errno));
  }
  return Ok{};
}

}  // namespace

Result<std::unique_ptr<BudgetLedger>> BudgetLedger::Open(const std::string& path) {
  auto ledger = std::make_unique<SqliteLedger>();
  MG_TRY(ledger->Open(path));
  return std::unique_ptr<BudgetLedger>(std::move(ledger));
}

Result<std::string> DefaultLedgerPath() {
  if (const char* explicit_path = std::getenv("MODELGUARD_PRIVACY_LEDGER"); explicit_path && *explicit_path)
    return std::string(explicit_path);
  std::string directory;
  if (const char* state = std::getenv("XDG_STATE_HOME"); state && *state == '/')
    directory = std::string(state) + "/modelguard";
  else if (const char* home = std::getenv("HOME"); home && *home == '/')
    directory = std::string(home) + "/.local/state/modelguard";
  else
    return MakeError(ErrorCode::kInvalidArgument, "no privacy ledger location: set --ledger or $HOME");
  MG_TRY(MakePrivateDirectories(directory));
  return directory + "/privacy-ledger.sqlite";
}

}  // namespace modelguard::privacy
