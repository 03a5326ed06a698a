#include "tools/modelguard/governance_args.h"

#include "modelguard/governance/checklist.h"

#include <chrono>
#include <cstdlib>
#include <iostream>

namespace modelguard::cli {

void AddGovernanceDbOption(CLI::App* command, std::string& db) {
  const char* from_environment = std::getenv("MODELGUARD_GOVERNANCE_DB");
  db = from_environment && *from_environment ? from_environment : kDefaultGovernanceDb;
  command->add_option("--db", db,
                      "Governance database: an SQLite file or a postgresql:// URI (default ./governance.db, or "
                      "$MODELGUARD_GOVERNANCE_DB)");
}

std::unique_ptr<governance::Store> OpenGovernanceStore(const std::string& db, governance::StoreOpen mode,
                                                       const char* command) {
  auto store = governance::Store::Open(db, mode);
  if (!store) {
    std::cerr << "modelguard " << command << ": " << store.error().message << "\n";
    return nullptr;
  }
  return std::move(*store);
}

bool ValidDate(const std::string& text) { return text.empty() || governance::ParseDate(text).has_value(); }

}  // namespace modelguard::cli
