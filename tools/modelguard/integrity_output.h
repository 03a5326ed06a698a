#pragma once
// Output shared by the integrity commands (sign, verify, data): logging to a transparency log and
// printing the files a verification found changed.
#include <nlohmann/json.hpp>
#include <ostream>
#include <string_view>
#include <vector>

#include "modelguard/core/result.h"
#include "modelguard/integrity/verify.h"

namespace modelguard::cli {

// Appends one entry to the transparency log at `database` (--log); notes where it went on stderr.
Status AppendToLog(const std::string& database, std::string_view data, std::string_view kind);

// The missing / extra / modified files of a failed verification, for text reports (names escaped: a name
// cannot drive the terminal or forge a line) and JSON reports (names exact).
void PrintDifferences(std::ostream& out, const std::vector<integrity::FileDifference>& differences);
nlohmann::ordered_json DifferencesJson(const std::vector<integrity::FileDifference>& differences);

}  // namespace modelguard::cli
