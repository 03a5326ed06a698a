// modelguard's command table: every command follows the CLI conventions (docs/extending.md, "Adding a CLI
// command"). The checks walk the table, so a new command is covered without touching this file.
#include <gtest/gtest.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include <gtest/gtest-spi.h>

#include "tests/tools/command_checks.h"
#include "tools/modelguard/cli_util.h"

namespace modelguard::cli {
namespace {

TEST(CommandTable, OptionsAndPositionalsGoInAnyOrder) { testing::ExpectAnyOrder(Commands()); }

TEST(CommandTable, EveryCommandHasHelpWithAnExampleAndExitCodes) { testing::ExpectHelpAndConventions(Commands()); }

TEST(CommandTable, NamesAreUniqueAndEveryEntryRunsSomewhere) {
  std::set<std::string> names;
  for (const Command& entry : Commands()) {
    EXPECT_TRUE(names.insert(entry.name).second) << entry.name;
    EXPECT_NE(std::string(entry.summary), "") << entry.name;
    // Runs here, in the helper binary, or here with one subcommand handed to the helper binary.
    EXPECT_TRUE(entry.add != nullptr || entry.helper_binary != nullptr) << entry.name;
    EXPECT_EQ(entry.add != nullptr && entry.helper_binary != nullptr, entry.helper_subcommand != nullptr)
        << entry.name;
  }
}

// The case from issue 16: a repeatable option before the positional used to swallow it ("path is required").
TEST(CommandTable, RepeatableOptionBeforeThePositionalTakesOneValue) {
  CLI::App app("modelguard");
  const auto commands = AddCommands(app, Commands());
  std::vector<std::string> words{"model.sig",           "--signature",         "./model",
                                 "intermediate.pem",    "--certificate-chain", "ca.pem",
                                 "--certificate-chain", "certificate",         "verify"};
  ASSERT_NO_THROW(app.parse(words));
  CLI::App* certificate = app.get_subcommand("verify")->get_subcommand("certificate");
  EXPECT_EQ(certificate->get_option("path")->results(), std::vector<std::string>{"./model"});
  EXPECT_EQ(certificate->get_option("--certificate-chain")->results(),
            (std::vector<std::string>{"ca.pem", "intermediate.pem"}));
  EXPECT_EQ(certificate->get_option("--signature")->results(), std::vector<std::string>{"model.sig"});
}

// docs/extending.md, "Adding a CLI command", followed in a test: a command written to the checklist (an Add
// function using the shared helpers, one table entry) passes every check without further registration.
struct ExampleArgs {
  std::string path;
  std::vector<std::string> tags;
  std::string format;
};

Action AddExample(CLI::App& command) {
  auto args = std::make_shared<ExampleArgs>();
  command.add_option("path", args->path, "Model file or directory")->required();
  command.add_option("--tag", args->tags, "A tag; repeatable");
  AddFormatOption(&command, args->format, {"text", "json"});
  Describe(&command, "", {"modelguard example ./model --tag a --tag b"});
  return [args] { return args->tags.size() == 2 ? 0 : 1; };
}

// A command that skips the checklist's help step.
Action AddUndocumented(CLI::App& command) {
  auto path = std::make_shared<std::string>();
  command.add_option("path", *path, "Model file or directory")->required();
  return [path] { return 0; };
}

TEST(CommandTable, ANewCommandFollowingTheChecklistPassesEveryCheck) {
  const Command table[] = {{"example", "A command added by following docs/extending.md", AddExample}};
  testing::ExpectAnyOrder(table);
  testing::ExpectHelpAndConventions(table);

  CLI::App app("modelguard");
  const auto commands = AddCommands(app, table);
  std::vector<std::string> words{"b", "--tag", "./model", "a", "--tag", "example"};  // reversed
  ASSERT_NO_THROW(app.parse(words));
  EXPECT_EQ(commands[0].second(), 0);
}

// A command that throws (here nlohmann's type_error 316: a string that is not UTF-8 in a JSON dump).
Action AddThrowing(CLI::App& command) {
  Describe(&command, "", {"modelguard throwing"});
  return [] {
    const nlohmann::json doc{{"name", "bad\xff\xfe"}};
    std::cout << doc.dump() << "\n";
    return 0;
  };
}

// An exception no command handled is exit 2 with its message, never an abort (exit 134 with a core dump).
TEST(CommandTable, AnExceptionInACommandIsExitTwoWithItsMessage) {
  const Command table[] = {{"throwing", "A command that throws", AddThrowing}};
  CLI::App app("modelguard");
  std::string name = "modelguard", command = "throwing";
  char* argv[] = {name.data(), command.data(), nullptr};
  ::testing::internal::CaptureStderr();
  const int exit_code = RunCommandLine(app, table, 2, argv);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(exit_code, 2);
  EXPECT_NE(err.find("modelguard throwing: [json.exception.type_error.316]"), std::string::npos) << err;
}

TEST(CommandTable, TheChecksCatchACommandWithoutAnExample) {
  const Command table[] = {{"undocumented", "A command without Describe", AddUndocumented}};
  ::testing::TestPartResultArray failures;
  {
    ::testing::ScopedFakeTestPartResultReporter reporter(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &failures);
    testing::ExpectHelpAndConventions(table);
  }
  std::string messages;
  for (int i = 0; i < failures.size(); ++i) messages += failures.GetTestPartResult(i).message();
  EXPECT_NE(messages.find("no example names 'modelguard undocumented'"), std::string::npos) << messages;
  EXPECT_NE(messages.find("Exit codes: "), std::string::npos) << messages;
}

}  // namespace
}  // namespace modelguard::cli
