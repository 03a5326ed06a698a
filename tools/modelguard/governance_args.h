#pragma once
// What inventory, register, incident (and report) share: the governance database option and its opening,
// dates as the register writes them. Times for people are core's Iso8601Utc.
#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "modelguard/governance/store.h"

namespace modelguard::cli {

inline constexpr const char* kDefaultGovernanceDb = "governance.db";

// --db DB: an SQLite file (default ./governance.db, or $MODELGUARD_GOVERNANCE_DB) or a postgresql:// URI.
void AddGovernanceDbOption(CLI::App* command, std::string& db);
// The store, or nullptr after an error message naming `command`.
std::unique_ptr<governance::Store> OpenGovernanceStore(const std::string& db, governance::StoreOpen mode,
                                                       const char* command);
// A calendar date YYYY-MM-DD that exists (2026-02-30 does not); "" passes (not set).
bool ValidDate(const std::string& text);

}  // namespace modelguard::cli
