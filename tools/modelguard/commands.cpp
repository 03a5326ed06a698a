#include "tools/modelguard/commands.h"

#include <unistd.h>

#include <cerrno>
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
// other than newline and tab (and the UTF-8 C1 controls) are escaped as in text reports, so such a name
// cannot drive the terminal. (Intended terminal control, scan's progress line, is written with stdio.)
class EscapingBuffer : public std::streambuf {
 public:
  explicit EscapingBuffer(std::streambuf* target) : target_(target) {}

 protected:
  int overflow(int c) override {
    if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
    const auto byte = static_cast<unsigned char>(c);
    if (pending_c2_) {
      pending_c2_ = false;
      if ((byte & 0xe0) == 0x80) return Put(EscapeControlCharacters(std::string{'\xc2', static_cast<char>(byte)}), c);
      if (target_->sputc('\xc2') == traits_type::eof()) return traits_type::eof();
    }
    if (byte == 0xc2) {
      pending_c2_ = true;
      return c;
    }
    if ((byte < 0x20 && byte != '\n' && byte != '\t') || byte == 0x7f)
      return Put(EscapeControlCharacters(std::string(1, static_cast<char>(byte))), c);
    return target_->sputc(static_cast<char>(byte)) == traits_type::eof() ? traits_type::eof() : c;
  }
  int sync() override {
    if (pending_c2_ && target_->sputc('\xc2') == traits_type::eof()) return -1;
    pending_c2_ = false;
    return target_->pubsync();
  }

 private:
  int Put(const std::string& text, int c) {
    return target_->sputn(text.data(), static_cast<std::streamsize>(text.size())) ==
                   static_cast<std::streamsize>(text.size())
               ? c
               : traits_type::eof();
  }
  std::streambuf* target_;
  bool pending_c2_ = false;
};

int RunHelperBinary(const char* binary, char** argv) {
  std::error_code error;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", error);
  const std::string helper = (error ? std::filesystem::path(argv[0]) : self).parent_path() / binary;
  argv[0] = const_cast<char*>("modelguard");
  execv(helper.c_str(), argv);
  std::cerr << "modelguard: cannot run " << helper << ": " << std::strerror(errno)
            << " (assess and harden need the libtorch build: scripts/install-deps, then scripts/build)\n";
  return 2;
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
      if (entry.helper_binary != nullptr && std::strcmp(argv[1], entry.name) == 0)
        return RunHelperBinary(entry.helper_binary, argv);
    }
  }
  const auto commands = AddCommands(app, table);
  if (auto exit_code = ParseCommandLine(app, argc, argv)) return FlushStandardOutput() ? *exit_code : 2;
  for (const auto& [command, action] : commands) {
    if (!command->parsed() || !action) continue;
    const int exit_code = action();
    // A result that did not reach standard output (a full disk, a closed pipe) is an error whatever the
    // command found.
    return FlushStandardOutput() ? exit_code : 2;
  }
  return 2;
}

}  // namespace modelguard::cli
