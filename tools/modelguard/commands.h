#pragma once
#include <CLI/CLI.hpp>
#include <functional>

namespace modelguard::cli {

// Each subcommand registers its options and returns the action that runs it (exit code).
using Action = std::function<int()>;
Action RegisterScan(CLI::App& app);
Action RegisterHash(CLI::App& app);
Action RegisterVerify(CLI::App& app);

}  // namespace modelguard::cli
