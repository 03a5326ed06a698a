#pragma once
// The CLI's command table. A subcommand is one file (`<name>_command.cpp`, which defines its Add function)
// and one entry in command_table.cpp; main.cpp, --help and the CLI tests read the table and never name a
// command themselves. See docs/extending.md, "Adding a CLI command".
#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <span>
#include <utility>
#include <vector>

namespace modelguard::cli {

// Runs the command that was parsed; returns the exit code (0 clean, 1 findings, 2 usage or I/O error).
using Action = std::function<int()>;

struct Command {
  const char* name;
  const char* summary;  // the line in `modelguard --help`
  // Adds the command's positionals, options and subcommands to `command` (already named and described from
  // this entry) and returns the action that runs it. Every subcommand's footer carries an example and its exit
  // codes (cli::Describe). Null for a command that runs in `helper_binary`.
  Action (*add)(CLI::App& command);
  // Set: the command runs in this binary, installed next to `modelguard`, which is handed the command line
  // unparsed. assess and harden live there so only they pay libtorch's start-up (~0.5 s).
  const char* helper_binary = nullptr;
  // Set with `add` and `helper_binary`: only this subcommand runs in the helper binary (`modelguard data
  // audit` needs libtorch, `data scan` does not); the word must follow the command's name directly.
  const char* helper_subcommand = nullptr;
};

// modelguard's commands (command_table.cpp) and modelguard-assess's (assess_command_table.cpp).
std::span<const Command> Commands();
std::span<const Command> AssessCommands();

// Adds one subcommand per entry of `table` to `app`, then applies the conventions every command shares:
// a repeatable option takes one value per occurrence (`--ignore a --ignore b`), so options and positionals go
// in any order; every command that runs has -q/--quiet and -v/--verbose (cli_util.h). Returns each
// subcommand with its action (helper-binary entries have none).
std::vector<std::pair<CLI::App*, Action>> AddCommands(CLI::App& app, std::span<const Command> table);

// Parses the command line. nullopt: go on and run the chosen subcommand; otherwise the exit code (0 after
// --help or --version, 2 for usage errors, with CLI11's message printed).
std::optional<int> ParseCommandLine(CLI::App& app, int argc, char** argv);

// What main() does: hands a helper-binary command to its binary, else builds `app` from `table`, parses and
// runs the chosen command.
int RunCommandLine(CLI::App& app, std::span<const Command> table, int argc, char** argv);

}  // namespace modelguard::cli
