#pragma once
// The privacy budget of each dataset: a total (epsilon, delta) set once, and every release charged against it
// before its value is drawn. Charges compose by basic composition (epsilons add up, deltas add up), which
// holds for any mix of mechanisms. Amounts are stored as whole numbers (epsilon in units of 1e-9, delta in
// units of 1e-18; a nonzero charge is at least one unit), so comparisons are exact: ten charges of 0.1 spend
// a total of 1 exactly, and no run of tiny charges slips past the total through rounding.
//
// The ledger is an SQLite database; a charge is one IMMEDIATE transaction (read the spent total, compare,
// insert), so concurrent releases against one dataset, from threads or processes, can never overspend it.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "modelguard/core/result.h"

namespace modelguard::privacy {

struct BudgetCharge {
  int64_t time = 0;  // Unix seconds
  double epsilon = 0;
  double delta = 0;
  std::string query;
};

struct BudgetState {
  std::string dataset;
  double total_epsilon = 0, total_delta = 0;
  double spent_epsilon = 0, spent_delta = 0;
  std::vector<BudgetCharge> charges;  // oldest first
};

class BudgetLedger {
 public:
  // Creates the database (and its schema) when missing; a file that is not a ledger is refused.
  static Result<std::unique_ptr<BudgetLedger>> Open(const std::string& path);
  virtual ~BudgetLedger() = default;
  // Sets the dataset's total. An existing different total is kept and refused unless `replace`; a replaced
  // total below what is already spent leaves nothing to spend (never a negative remainder).
  virtual Status SetBudget(const std::string& dataset, double epsilon, double delta, bool replace) = 0;
  // kInvalidArgument when the dataset has no budget.
  virtual Result<BudgetState> State(const std::string& dataset) = 0;
  // Records the charge and returns the state after it; kLimit (nothing recorded) when it would pass the
  // total epsilon or delta, kInvalidArgument when the dataset has no budget.
  virtual Result<BudgetState> Charge(const std::string& dataset, double epsilon, double delta,
                                     const std::string& query) = 0;
};

// $MODELGUARD_PRIVACY_LEDGER, else $XDG_STATE_HOME/modelguard/privacy-ledger.sqlite, else
// $HOME/.local/state/modelguard/privacy-ledger.sqlite (the directory is created with mode 0700).
Result<std::string> DefaultLedgerPath();

}  // namespace modelguard::privacy
