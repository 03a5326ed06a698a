// Every hint the CLI can print names options that exist (issue 17: `verify` with an added symbolic link
// advised --allow-symlinks, which only hash, sign and data manifest have). The test collects every string
// that mentions an --option from the sources that produce user-facing text (the CLI, the integrity, BOM,
// format and guard libraries, and the scan policy's descriptions and fix hints) and checks each option
// against the --help of the commands that can print it.
// GCC 12 at -O2 with the sanitizers reports std::regex's own std::function members as maybe used
// uninitialized (a false positive inside <regex>, with -Werror fatal in the asan build only).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "tools/modelguard/commands.h"

namespace modelguard::cli {
namespace {

namespace fs = std::filesystem;

std::string ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The string literals of a C++ source, adjacent ones joined ("a " "--b" is one hint), comments skipped.
std::vector<std::string> StringLiterals(const std::string& source) {
  std::vector<std::string> out;
  std::string current;
  bool open = false;  // the last token was a literal: a following one continues it
  for (size_t i = 0; i < source.size(); ++i) {
    const char c = source[i];
    if (c == '/' && i + 1 < source.size() && source[i + 1] == '/') {
      i = source.find('\n', i);
      if (i == std::string::npos) break;
      continue;
    }
    if (c == '/' && i + 1 < source.size() && source[i + 1] == '*') {
      i = source.find("*/", i + 2);
      if (i == std::string::npos) break;
      ++i;
      continue;
    }
    if (c == '\'') {  // a character literal: skip it, escapes included
      for (++i; i < source.size() && source[i] != '\''; ++i) {
        if (source[i] == '\\') ++i;
      }
      continue;
    }
    if (c == 'R' && i + 1 < source.size() && source[i + 1] == '"') {  // raw string: R"delim( ... )delim"
      const size_t paren = source.find('(', i + 2);
      const std::string close = ")" + source.substr(i + 2, paren - i - 2) + "\"";
      const size_t end = source.find(close, paren);
      if (!open) current.clear();
      current += source.substr(paren + 1, end - paren - 1);
      open = true;
      i = end + close.size() - 1;
      continue;
    }
    if (c == '"') {
      if (!open) current.clear();
      for (++i; i < source.size() && source[i] != '"'; ++i) {
        if (source[i] == '\\' && i + 1 < source.size()) {
          current += source[++i] == 'n' ? '\n' : source[i];
        } else {
          current += source[i];
        }
      }
      open = true;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    if (open) out.push_back(current);
    open = false;
  }
  if (open) out.push_back(current);
  return out;
}

void JsonStrings(const nlohmann::json& value, std::vector<std::string>& out) {
  if (value.is_string()) out.push_back(value.get<std::string>());
  for (const auto& item : value) {
    if (value.is_structured()) JsonStrings(item, out);
  }
}

// The command tree as built for the binary: each command path ("verify key") with its help text.
class CommandTree {
 public:
  CommandTree() : app_("modelguard") {
    app_.set_version_flag("--version", "test");
    AddCommands(app_, Commands());
    Collect(&app_, "");
  }
  // Help of `path` and of every command under it (a hint naming "verify" may mean any verify subcommand;
  // "" is the whole tree, for the framework that adds options to every command).
  std::vector<std::string> HelpsUnder(const std::string& path) const {
    std::vector<std::string> out;
    for (const auto& [name, help] : helps_) {
      if (path.empty() || name == path || name.rfind(path + " ", 0) == 0) out.push_back(help);
    }
    return out;
  }
  bool Has(const std::string& path) const { return helps_.contains(path); }
  // "modelguard verify key --x" or "scan --x": the command path a hint names itself, if any.
  std::string NamedCommand(const std::string& text, size_t before) const {
    std::string best;
    for (const auto& [name, help] : helps_) {
      if (name.empty()) continue;
      for (const std::string& spelling : {"modelguard " + name + " ", name + " --"}) {
        const size_t at = text.rfind(spelling, before);
        if (at != std::string::npos && at + name.size() <= before && name.size() > best.size()) best = name;
      }
    }
    return best;
  }

 private:
  void Collect(CLI::App* app, const std::string& path) {
    helps_[path] = app->help();
    for (CLI::App* sub : app->get_subcommands([](CLI::App*) { return true; }))
      Collect(sub, path.empty() ? sub->get_name() : path + " " + sub->get_name());
  }
  CLI::App app_;
  std::map<std::string, std::string> helps_;
};

bool HelpHasOption(const std::string& help, const std::string& option) {
  return std::regex_search(help, std::regex("(^|[^a-z0-9-])" + option + "($|[^a-z0-9-])"));
}

struct Source {
  std::string path;                   // relative to the source tree
  std::vector<std::string> commands;  // the commands that can print its text
  bool any = false;  // true: a CLI file, whose options need to exist in one of its commands; false: a library
                     // file, whose text every listed command may print, so every one needs the option
};

TEST(Hints, EveryOptionAHintNamesExistsInTheCommandThatPrintsIt) {
  const fs::path root = MODELGUARD_SOURCE_DIR;
  const CommandTree tree;
  const std::vector<std::string> manifest_builders = {
      "hash",        "sign key",   "sign certificate",   "data manifest",
      "data verify", "verify key", "verify certificate", "verify sigstore",
      "bom"};
  std::vector<Source> sources = {
      {"policies/default.json", {"scan"}},
      {"src/integrity/manifest/manifest.cpp", manifest_builders},
      {"tools/modelguard/manifest_args.cpp", {"hash", "sign key", "sign certificate", "data manifest"}},
      {"src/integrity/signing/verify.cpp", {"verify key", "verify certificate", "verify sigstore"}},
      {"src/integrity/signing/signer.cpp", {"verify sigstore"}},
      {"src/integrity/signing/sign.cpp", {"sign certificate"}},
      {"src/integrity/crypto/crypto.cpp", {"sign key", "sign certificate", "verify key"}},
      {"src/integrity/dataset/dataset.cpp", {"data manifest", "data verify", "bom"}},
      {"src/bom/bom.cpp", {"bom"}},
      {"src/formats/registry.cpp", {"scan"}},
      {"tools/modelguard/integrity_output.cpp", {"sign", "verify", "data"}, true},
      {"tools/modelguard/cli_util.cpp", {""}, true},
      {"tools/modelguard/commands.cpp", {""}, true},
      {"tools/modelguard/main.cpp", {""}, true},
  };
  for (const auto& dir : {"src/integrity/log", "src/guard"}) {
    for (const auto& entry : fs::recursive_directory_iterator(root / dir)) {
      if (entry.path().extension() != ".cpp") continue;
      sources.push_back({fs::relative(entry.path(), root).string(),
                         dir == std::string("src/guard") ? std::vector<std::string>{"guard classify", "guard redact"}
                                                         : std::vector<std::string>{"log"}});
    }
  }
  for (const auto& entry : fs::directory_iterator(root / "tools/modelguard")) {
    const std::string name = entry.path().filename().string();
    if (name.size() > 12 && name.ends_with("_command.cpp")) {
      const std::string command = name.substr(0, name.size() - 12);
      ASSERT_TRUE(tree.Has(command)) << name;
      sources.push_back({"tools/modelguard/" + name, {command}, true});
    }
  }

  const std::regex option_pattern("(^|[^A-Za-z0-9-])(--[a-z][a-z0-9-]*)");
  size_t checked = 0;
  for (const auto& source : sources) {
    const std::string text = ReadText(root / source.path);
    ASSERT_FALSE(text.empty()) << source.path;
    std::vector<std::string> strings;
    if (source.path.ends_with(".json"))
      JsonStrings(nlohmann::json::parse(text), strings);
    else
      strings = StringLiterals(text);
    for (const auto& hint : strings) {
      for (auto it = std::sregex_iterator(hint.begin(), hint.end(), option_pattern); it != std::sregex_iterator();
           ++it) {
        const std::string option = (*it)[2];
        const size_t at = static_cast<size_t>(it->position(2));
        if (option == "--help") continue;  // every command has it
        ++checked;
        // A hint that names its command ("modelguard verify key ... --x", "scan --x") is checked against it.
        const std::string named = tree.NamedCommand(hint, at);
        const std::vector<std::string> commands = named.empty() ? source.commands : std::vector<std::string>{named};
        const bool any = named.empty() ? source.any : true;
        bool in_some = false, in_all = true;
        std::string missing;
        for (const auto& command : commands) {
          bool here = false;
          for (const auto& help : tree.HelpsUnder(command)) here = here || HelpHasOption(help, option);
          in_some = in_some || here;
          if (!here) {
            in_all = false;
            missing += " '" + (command.empty() ? std::string("modelguard") : "modelguard " + command) + "'";
          }
        }
        EXPECT_TRUE(any ? in_some : in_all)
            << source.path << ": \"" << hint << "\" names " << option << ", which is not in the --help of" << missing;
      }
    }
  }
  EXPECT_GT(checked, 50u) << "the sources were read and their hints found";
}

// The collector itself: joined literals, comments and character literals skipped.
TEST(Hints, StringLiteralsAreJoinedAndCommentsSkipped) {
  const auto strings =
      StringLiterals("f(\"pass \" \"--a\"); // \"--b\"\nchar c = '\"'; g(\"x\\\"--c\");\n/* \"--d\" */");
  ASSERT_EQ(strings.size(), 2u);
  EXPECT_EQ(strings[0], "pass --a");
  EXPECT_EQ(strings[1], "x\"--c");
}

}  // namespace
}  // namespace modelguard::cli
