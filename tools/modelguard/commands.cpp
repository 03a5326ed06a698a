#include "tools/modelguard/commands.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "modelguard/core/io.h"
#include "tools/modelguard/cli_util.h"

namespace modelguard::cli {
namespace {

// Conventions that hold for every command, applied here so a new command cannot miss them.
void ApplyConventions(CLI::App* command) {
  for (CLI::Option* option : command->get_options()) {
    // CLI11 lets a vector option take every following word, so `--ignore a ./model` would swallow the
    // model path. One value per occurrence keeps options and positionals order-free.
    if (option->nonpositional() && option->get_items_expected_max() > 1) option->allow_extra_args(false);
  }
  auto subcommands = command->get_subcommands([](CLI::App*) { return true; });
  if (subcommands.empty()) {
    AddVerbosityFlags(command);
    return;
  }
  for (CLI::App* sub : subcommands) ApplyConventions(sub);
}

// std::cerr carries messages, which quote file names, archive members and bundle fields: control characters
// other than newline and tab, the UTF-8 C1 controls and bytes that are not UTF-8 (a lone 0x9b is CSI to a
// terminal in 8-bit mode) are escaped as in text reports, so such a name cannot drive the terminal.
// (Intended terminal control, scan's progress line, is written with stdio.) A multi-byte sequence is held
// until it is complete, so it is judged whole; std::cerr syncs after every insertion, so one split across
// two insertions is escaped byte by byte, never passed raw.
class EscapingBuffer : public std::streambuf {
 public:
  explicit EscapingBuffer(std::streambuf* target) : target_(target) {}

 protected:
  int overflow(int c) override {
    if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
    return Take(static_cast<char>(c)) ? c : traits_type::eof();
  }
  int sync() override {
    if (!FlushPending()) return -1;
    return target_->pubsync();
  }

 private:
  static size_t SequenceLength(unsigned char lead) {
    if (lead >= 0xc2 && lead <= 0xdf) return 2;
    if (lead >= 0xe0 && lead <= 0xef) return 3;
    if (lead >= 0xf0 && lead <= 0xf4) return 4;
    return 0;
  }
  // Whether `bytes` (a lead byte and some continuation bytes) can still become well-formed UTF-8: only the
  // second byte has a narrower range than 0x80..0xbf, so padding with 0x80 decides it.
  static bool ValidPrefix(std::string bytes, size_t length) {
    bytes.resize(length, '\x80');
    return IsValidUtf8(bytes);
  }
  bool Take(char ch) {
    const auto byte = static_cast<unsigned char>(ch);
    if (!pending_.empty()) {
      const size_t length = SequenceLength(static_cast<unsigned char>(pending_[0]));
      if ((byte & 0xc0) == 0x80 && ValidPrefix(pending_ + ch, length)) {
        pending_ += ch;
        if (pending_.size() < length) return true;
        // Complete: a C1 control becomes \u00NN, anything else passes as it is.
        const std::string out = EscapeControlCharacters(pending_);
        pending_.clear();
        return Put(out);
      }
      if (!FlushPending()) return false;  // cut short: its bytes are escaped, this one judged afresh
    }
    if (byte >= 0x80) {
      if (SequenceLength(byte) != 0) {
        pending_.assign(1, ch);
        return true;
      }
      return Put(EscapeControlCharacters(std::string(1, ch)));  // a byte no UTF-8 sequence starts with
    }
    if ((byte < 0x20 && byte != '\n' && byte != '\t') || byte == 0x7f)
      return Put(EscapeControlCharacters(std::string(1, ch)));
    return target_->sputc(ch) != traits_type::eof();
  }
  bool FlushPending() {
    if (pending_.empty()) return true;
    const std::string out = EscapeControlCharacters(pending_);  // incomplete: every byte escaped
    pending_.clear();
    return Put(out);
  }
  bool Put(const std::string& text) {
    return target_->sputn(text.data(), static_cast<std::streamsize>(text.size())) ==
           static_cast<std::streamsize>(text.size());
  }
  std::streambuf* target_;
  std::string pending_;  // the bytes of an incomplete UTF-8 sequence
};

// "data manifest": the command's words, for messages.
std::string CommandPath(const CLI::App& command) {
  std::string path = command.get_name();
  for (const CLI::App* sub : command.get_subcommands()) path += " " + CommandPath(*sub);
  return path;
}

int RunHelperBinary(const char* binary, char** argv) {
  std::error_code error;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", error);
  const std::string helper = (error ? std::filesystem::path(argv[0]) : self).parent_path() / binary;
  argv[0] = const_cast<char*>("modelguard");
  execv(helper.c_str(), argv);
  std::cerr << "modelguard: cannot run " << helper << ": " << std::strerror(errno)
            << " (assess, harden and data audit need the libtorch build: scripts/install-deps, then scripts/build)\n";
  return 2;
}

// What --verbose adds to every command, whatever it does: how it ended and what it cost, the figures a
// user comparing runs or sizing a CI job asks for first.
void DescribeRun(CLI::App* command, int exit_code, std::chrono::steady_clock::time_point start) {
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  struct rusage usage {};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto cpu = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  char line[160];
  std::snprintf(line, sizeof line, "exit %d after %.3f s (CPU %.3f s user, %.3f s system; peak memory %.1f MiB)",
                exit_code, seconds, cpu(usage.ru_utime), cpu(usage.ru_stime),
                static_cast<double>(usage.ru_maxrss) / 1024.0);  // ru_maxrss is in KiB on Linux
  Detail() << "modelguard " << CommandPath(*command) << ": " << line << "\n";
}

}  // namespace

std::vector<std::pair<CLI::App*, Action>> AddCommands(CLI::App& app, std::span<const Command> table) {
  std::vector<std::pair<CLI::App*, Action>> added;
  for (const Command& entry : table) {
    CLI::App* command = app.add_subcommand(entry.name, entry.summary);
    Action action;
    if (entry.add != nullptr) {
      action = entry.add(*command);
      ApplyConventions(command);
    }
    added.emplace_back(command, std::move(action));
  }
  return added;
}

std::optional<int> ParseCommandLine(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  return std::nullopt;
}

int RunCommandLine(CLI::App& app, std::span<const Command> table, int argc, char** argv) {
  // Never destroyed: std::cerr outlives every static object (libraries flush it from their own static
  // destructors at exit), so a filter destroyed with this function's statics would be used after its end.
  static EscapingBuffer* const escaping = new EscapingBuffer(std::cerr.rdbuf());
  std::cerr.rdbuf(escaping);
  if (argc > 1) {
    for (const Command& entry : table) {
      if (entry.helper_binary == nullptr || std::strcmp(argv[1], entry.name) != 0) continue;
      if (entry.helper_subcommand == nullptr || (argc > 2 && std::strcmp(argv[2], entry.helper_subcommand) == 0))
        return RunHelperBinary(entry.helper_binary, argv);
    }
  }
  const auto commands = AddCommands(app, table);
  if (auto exit_code = ParseCommandLine(app, argc, argv)) return FlushStandardOutput() ? *exit_code : 2;
  for (const auto& [command, action] : commands) {
    if (!command->parsed() || !action) continue;
    const auto start = std::chrono::steady_clock::now();
    int exit_code = 2;
    try {
      exit_code = action();
    } catch (const std::exception& e) {
      // The last line of defence: an exception no command handled (a JSON document that cannot be written,
      // as a vault holding a value that is not UTF-8 would be; memory exhausted) is an error exit with its
      // message, never an abort (exit 134) with a core dump.
      std::cerr << "modelguard " << CommandPath(*command) << ": " << e.what() << "\n";
      return 2;
    }
    // A result that did not reach standard output (a full disk, a closed pipe) is an error whatever the
    // command found.
    if (!FlushStandardOutput()) exit_code = 2;
    if (Verbose()) DescribeRun(command, exit_code, start);
    return exit_code;
  }
  return 2;
}

}  // namespace modelguard::cli
