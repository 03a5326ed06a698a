#include "tests/tools/command_checks.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace modelguard::cli::testing {
namespace {

// An app built from the table. The actions own the variables the options write to, so they live as long
// as the app.
struct BuiltApp {
  std::unique_ptr<CLI::App> app = std::make_unique<CLI::App>("modelguard");
  std::vector<std::pair<CLI::App*, Action>> actions;
  CLI::App* operator->() const { return app.get(); }
  CLI::App& operator*() const { return *app; }
};

BuiltApp BuildApp(std::span<const Command> table) {
  BuiltApp built;
  built->name("modelguard");
  built->require_subcommand(1);
  built.actions = AddCommands(*built, table);
  return built;
}

std::vector<CLI::App*> Subcommands(CLI::App* app) {
  return app->get_subcommands([](CLI::App*) { return true; });
}

// Paths of every subcommand below the root ({"verify"}, {"verify", "key"}, ...), parents before children.
void CollectPaths(CLI::App* app, std::vector<std::string> prefix, std::vector<std::vector<std::string>>& out,
                  bool leaves_only) {
  for (CLI::App* sub : Subcommands(app)) {
    auto path = prefix;
    path.push_back(sub->get_name());
    const bool leaf = Subcommands(sub).empty();
    if (leaf || !leaves_only) out.push_back(path);
    CollectPaths(sub, path, out, leaves_only);
  }
}

std::vector<std::vector<std::string>> Paths(std::span<const Command> table, bool leaves_only) {
  auto app = BuildApp(table);
  std::vector<std::vector<std::string>> paths;
  for (const Command& entry : table) {
    // A helper-binary entry is a placeholder here; its own binary's table is checked where it is built.
    if (entry.add == nullptr) continue;
    CLI::App* command = app->get_subcommand(entry.name);
    const bool leaf = Subcommands(command).empty();
    if (leaf || !leaves_only) paths.push_back({entry.name});
    CollectPaths(command, {entry.name}, paths, leaves_only);
  }
  return paths;
}

CLI::App* Find(CLI::App& app, const std::vector<std::string>& path) {
  CLI::App* node = &app;
  for (const auto& name : path) node = node->get_subcommand(name);
  return node;
}

std::string Join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

// A value the option accepts: the first member of a {a,b} list, a number for numeric types, else text
// unique to the option and occurrence (so a value landing in the wrong place is seen).
std::string SampleValue(const CLI::Option* option, int occurrence) {
  const std::string type = option->get_type_name();
  if (const size_t open = type.find('{'); open != std::string::npos) {
    const size_t end = type.find_first_of(",}", open);
    return type.substr(open + 1, end - open - 1);
  }
  if (type.find("INT") != std::string::npos || type.find("FLOAT") != std::string::npos ||
      type.find("NUMBER") != std::string::npos)
    return std::to_string(occurrence + 1);
  std::string name = option->get_name(false, false);
  while (!name.empty() && name.front() == '-') name.erase(0, 1);
  return "value-" + name + "-" + std::to_string(occurrence);
}

struct Argument {
  const CLI::Option* option;
  std::vector<std::string> values;  // one per occurrence
};

// The arguments of the leaf at `path`: positionals (a repeatable positional gets two values) and every
// option that takes a value. Flags take none and cannot swallow anything.
void Arguments(CLI::App* leaf, std::vector<Argument>& positionals, std::vector<Argument>& options) {
  for (const CLI::Option* option : leaf->get_options()) {
    if (option->get_items_expected_max() == 0) continue;  // flags, --help
    const int count = option->get_items_expected_max() > 1 ? 2 : 1;
    Argument argument{option, {}};
    for (int i = 0; i < count; ++i) argument.values.push_back(SampleValue(option, i));
    (option->nonpositional() ? options : positionals).push_back(argument);
  }
}

// Parses `words` (after "modelguard") on a fresh app; a parse error fails the test and returns null.
std::optional<BuiltApp> Parse(std::span<const Command> table, const std::vector<std::string>& words) {
  auto app = BuildApp(table);
  std::vector<std::string> reversed(words.rbegin(), words.rend());
  try {
    app->parse(reversed);
  } catch (const CLI::ParseError& e) {
    ADD_FAILURE() << "modelguard " << Join(words) << ": " << e.get_name() << ": " << e.what();
    return std::nullopt;
  }
  return app;
}

}  // namespace

void ExpectAnyOrder(std::span<const Command> table) {
  const auto leaves = Paths(table, true);
  ASSERT_FALSE(leaves.empty());
  for (const auto& path : leaves) {
    SCOPED_TRACE("modelguard " + Join(path));
    auto app = BuildApp(table);
    std::vector<Argument> positionals, options;
    Arguments(Find(*app, path), positionals, options);
    std::vector<std::string> positional_words;
    for (const auto& p : positionals) positional_words.insert(positional_words.end(), p.values.begin(), p.values.end());
    auto option_words = [&](size_t occurrence) {
      std::vector<std::string> words;
      for (const auto& o : options) {
        if (occurrence < o.values.size()) {
          words.push_back(o.option->get_name(false, false));
          words.push_back(o.values[occurrence]);
        }
      }
      return words;
    };
    std::vector<std::string> all_options = option_words(0);
    for (const auto& w : option_words(1)) all_options.push_back(w);

    std::vector<std::vector<std::string>> orders;
    orders.push_back(path);  // positionals, then options
    orders.back().insert(orders.back().end(), positional_words.begin(), positional_words.end());
    orders.back().insert(orders.back().end(), all_options.begin(), all_options.end());
    orders.push_back(path);  // options, then positionals
    orders.back().insert(orders.back().end(), all_options.begin(), all_options.end());
    orders.back().insert(orders.back().end(), positional_words.begin(), positional_words.end());
    orders.push_back(path);  // first occurrences, positionals, second occurrences
    const auto first = option_words(0), second = option_words(1);
    orders.back().insert(orders.back().end(), first.begin(), first.end());
    orders.back().insert(orders.back().end(), positional_words.begin(), positional_words.end());
    orders.back().insert(orders.back().end(), second.begin(), second.end());

    for (const auto& words : orders) {
      auto parsed = Parse(table, words);
      if (!parsed) continue;
      CLI::App* leaf = Find(**parsed, path);
      EXPECT_TRUE(leaf->parsed()) << Join(words);
      for (const auto* group : {&positionals, &options}) {
        for (const auto& expected : *group) {
          const CLI::Option* option = leaf->get_option(expected.option->get_name(false, false));
          EXPECT_EQ(option->results(), expected.values) << option->get_name() << " in: modelguard " << Join(words);
        }
      }
    }
  }
}

void ExpectHelpAndConventions(std::span<const Command> table) {
  const auto nodes = Paths(table, false);
  ASSERT_FALSE(nodes.empty());
  for (const auto& path : nodes) {
    SCOPED_TRACE("modelguard " + Join(path));
    auto app = BuildApp(table);
    CLI::App* node = Find(*app, path);
    const std::string help = node->help();
    const std::string name = "modelguard " + Join(path);
    EXPECT_NE(help.find("Example"), std::string::npos) << help;
    // The example is this command's own, not one inherited from its parent's footer.
    bool names_command = false;
    size_t at = 0;
    while ((at = help.find(name, at)) != std::string::npos) {
      const char after = at + name.size() < help.size() ? help[at + name.size()] : '\n';
      names_command = names_command || after == ' ' || after == '\n';
      at += name.size();
    }
    EXPECT_TRUE(names_command) << "no example names '" << name << "':\n" << help;
    EXPECT_NE(help.find("Exit codes: "), std::string::npos) << help;
    if (Subcommands(node).empty()) {
      EXPECT_NE(node->get_option_no_throw("--quiet"), nullptr);
      EXPECT_NE(node->get_option_no_throw("-q"), nullptr);
      EXPECT_NE(node->get_option_no_throw("--verbose"), nullptr);
      EXPECT_NE(node->get_option_no_throw("-v"), nullptr);
    }

    // --help exits 0, an unknown option is a usage error (2).
    for (const auto& [extra, want] : {std::pair<const char*, int>{"--help", 0}, {"--no-such-option", 2}}) {
      auto fresh = BuildApp(table);
      std::vector<std::string> words{"modelguard"};
      words.insert(words.end(), path.begin(), path.end());
      words.push_back(extra);
      std::vector<char*> argv;
      for (auto& w : words) argv.push_back(w.data());
      ::testing::internal::CaptureStdout();
      ::testing::internal::CaptureStderr();
      const auto code = ParseCommandLine(*fresh, static_cast<int>(argv.size()), argv.data());
      ::testing::internal::GetCapturedStdout();
      ::testing::internal::GetCapturedStderr();
      ASSERT_TRUE(code.has_value()) << Join(words);
      EXPECT_EQ(*code, want) << Join(words);
    }
  }
}

}  // namespace modelguard::cli::testing
