#pragma once
// Small helpers several subcommands share.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include <ostream>
#include <vector>

#include "modelguard/core/result.h"
#include "modelguard/integrity/verify.h"

namespace modelguard::cli {

// The whole file, or standard input for "-".
Result<std::string> ReadFileText(const std::string& path);
// Appends one entry to the transparency log at `database` (--log); prints where it went on stderr.
Status AppendToLog(const std::string& database, std::string_view data, std::string_view kind);

// The missing / extra / modified files of a failed verification, for text and JSON reports.
void PrintDifferences(std::ostream& out, const std::vector<integrity::FileDifference>& differences);
nlohmann::ordered_json DifferencesJson(const std::vector<integrity::FileDifference>& differences);

}  // namespace modelguard::cli
