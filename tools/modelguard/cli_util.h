#pragma once
// Small helpers several subcommands share.
#include <string>
#include <string_view>

#include "modelguard/core/result.h"

namespace modelguard::cli {

// The whole file, or standard input for "-".
Result<std::string> ReadFileText(const std::string& path);
// Appends one entry to the transparency log at `database` (--log); prints where it went on stderr.
Status AppendToLog(const std::string& database, std::string_view data, std::string_view kind);

}  // namespace modelguard::cli
