#pragma once
// Helpers every subcommand shares, so options, help and output look the same across commands.
#include <CLI/CLI.hpp>
#include <fstream>
#include <initializer_list>
#include <ostream>
#include <string>
#include <vector>

namespace modelguard::cli {

// The exit codes most commands have; a command with other meanings states its own.
inline constexpr const char* kExitCodes = "0 clean, 1 findings or a failed check, 2 usage or I/O error";

// Sets the help footer every command shows: notes (may be empty), one or more examples, the exit codes.
// The CLI tests check that every subcommand's help has an "Example" line naming the subcommand.
void Describe(CLI::App* command, const std::string& notes, std::initializer_list<std::string> examples,
              const std::string& exit_codes = kExitCodes);

// -f/--format restricted to `allowed` (the first is the default when `format` is empty); a value outside the
// list is a usage error (exit 2) before the command runs.
CLI::Option* AddFormatOption(CLI::App* command, std::string& format, const std::vector<std::string>& allowed);

// --quiet and --verbose, the same on every command (AddCommands adds them): quiet drops notes and progress
// on stderr (errors still print); verbose adds detail. Results on stdout never change.
enum class Verbosity { kQuiet, kNormal, kVerbose };
Verbosity CurrentVerbosity();
void SetVerbosity(Verbosity verbosity);
inline bool Quiet() { return CurrentVerbosity() == Verbosity::kQuiet; }
inline bool Verbose() { return CurrentVerbosity() == Verbosity::kVerbose; }
void AddVerbosityFlags(CLI::App* command);
// stderr, or a stream that drops everything under --quiet.
std::ostream& Note();
// stderr under --verbose only.
std::ostream& Detail();

// The stream for --output: stdout when `path` is empty, else `file` opened on it. nullptr (with a message
// on stderr naming `command`) when the file cannot be written.
std::ostream* OpenOutput(const std::string& path, std::ofstream& file, const char* command);

}  // namespace modelguard::cli
