#include "tools/modelguard/cli_util.h"

#include <iostream>

namespace modelguard::cli {
namespace {

// One process runs one command, so the verbosity its flags chose is process-wide.
Verbosity g_verbosity = Verbosity::kNormal;

// Discards what is written to it: Note() under --quiet, Detail() without --verbose.
class NullBuffer : public std::streambuf {
 protected:
  int overflow(int c) override { return traits_type::not_eof(c); }
  std::streamsize xsputn(const char*, std::streamsize n) override { return n; }
};

std::ostream& NullStream() {
  static NullBuffer buffer;
  static std::ostream stream(&buffer);
  return stream;
}

}  // namespace

void Describe(CLI::App* command, const std::string& notes, std::initializer_list<std::string> examples,
              const std::string& exit_codes) {
  std::string footer = notes;
  if (!footer.empty() && footer.back() != '\n') footer += '\n';
  footer += examples.size() > 1 ? "Examples:\n" : "Example:\n";
  for (const auto& example : examples) footer += "  " + example + "\n";
  footer += "Exit codes: " + exit_codes + ".";
  command->footer(footer);
}

CLI::Option* AddFormatOption(CLI::App* command, std::string& format, const std::vector<std::string>& allowed) {
  if (format.empty()) format = allowed.front();
  std::string list;
  for (size_t i = 0; i < allowed.size(); ++i)
    list += (i == 0 ? "" : i + 1 == allowed.size() ? " or " : ", ") + allowed[i];
  return command->add_option("-f,--format", format, "Output format: " + list)
      ->check(CLI::IsMember(allowed))
      ->capture_default_str();
}

Verbosity CurrentVerbosity() { return g_verbosity; }
void SetVerbosity(Verbosity verbosity) { g_verbosity = verbosity; }

void AddVerbosityFlags(CLI::App* command) {
  auto* quiet = command->add_flag_callback(
      "-q,--quiet", [] { SetVerbosity(Verbosity::kQuiet); }, "No progress or notes on stderr (errors still print)");
  auto* verbose = command->add_flag_callback(
      "-v,--verbose", [] { SetVerbosity(Verbosity::kVerbose); }, "More detail on stderr");
  quiet->excludes(verbose);
  verbose->excludes(quiet);
}

std::ostream& Note() { return Quiet() ? NullStream() : std::cerr; }
std::ostream& Detail() { return Verbose() ? std::cerr : NullStream(); }

std::ostream* OpenOutput(const std::string& path, std::ofstream& file, const char* command) {
  if (path.empty()) return &std::cout;
  file.open(path);
  if (!file) {
    std::cerr << "modelguard " << command << ": cannot write '" << path << "'\n";
    return nullptr;
  }
  return &file;
}

}  // namespace modelguard::cli
