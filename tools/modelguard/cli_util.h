#pragma once
// Helpers every subcommand shares, so options, help and output look the same across commands.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <initializer_list>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "modelguard/core/result.h"

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

// Where a command's result goes: standard output, or with -o/--output FILE that file, replaced atomically
// (core's AtomicFile) so a failed write never leaves part of a result at the target. Close() says whether
// everything was written; a command returns 2 when it did not. Standard output is checked once for every
// command after it ran (RunCommandLine), so a full disk or closed pipe there is exit 2 as well.
class Output {
 public:
  explicit Output(const char* command);
  ~Output();
  // "" or "-": standard output. `inputs`: the files the command reads; a result is never written over one
  // of them (by any path or link: `hash model.bin -o model.bin` would replace the model). false after an
  // error message naming the command.
  bool Open(const std::string& path, const std::vector<std::string>& inputs = {},
            std::optional<uint32_t> mode = std::nullopt);
  std::ostream& stream() { return file_stream_ ? *file_stream_ : std::cout; }
  // Flushes and, for a file, commits it; false after an error message.
  bool Close();

 private:
  class FileBuffer;
  const char* command_;
  std::unique_ptr<FileBuffer> buffer_;
  std::unique_ptr<std::ostream> file_stream_;
};

// A command's JSON result as text (`indent` as nlohmann's dump). Results echo what the user gave and what
// inputs held (paths, redacted strings); JSON strings are Unicode, so bytes that are not UTF-8 have no
// spelling there and become U+FFFD, where a plain dump() would throw and abort the command after its work
// was done. Whatever a signature or manifest covers never goes through this: those refuse such names
// (integrity::BuildManifest) instead of altering them.
std::string ReportJson(const nlohmann::json& doc, int indent = 2);
std::string ReportJson(const nlohmann::ordered_json& doc, int indent = 2);

// Flushes standard output; false (after a message naming the error) when something written to it was lost.
bool FlushStandardOutput();

// The items of a comma-separated option value ("a,b,c"); empty items are dropped unless `keep_empty`
// (where an empty item means something, like an empty category).
std::vector<std::string> SplitCommaList(const std::string& text, bool keep_empty = false);

// Whether two paths name the same existing file (device and inode: through links and other spellings), so
// a command can refuse to write its result over its own input.
bool SameFile(const std::string& a, const std::string& b);

// A report folder (--report DIR): refused when DIR exists and is not a directory, or when a file to be written
// there is (by any path or link) one of `inputs`. CheckReportFolder only checks, for commands whose library
// writes the files; WriteReportFolder also creates DIR and writes each (name, content) atomically. The error
// message starts with `option` ("--report DIR ...").
Status CheckReportFolder(const std::string& directory, const std::vector<std::string>& names,
                         const std::vector<std::string>& inputs, const std::string& option);
Status WriteReportFolder(const std::string& directory, const std::vector<std::pair<std::string, std::string>>& files,
                         const std::vector<std::string>& inputs, const std::string& option);

// An error (with a message naming the command) unless `path` can be read as a file: "-" (stdin) and
// regular files pass; directories and missing paths do not.
bool CheckInputFile(const std::string& path, const char* command);

}  // namespace modelguard::cli
