// modelguard's command table: every command follows the CLI conventions (docs/extending.md, "Adding a CLI
// command"). The checks walk the table, so a new command is covered without touching this file.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "tests/tools/command_checks.h"

namespace modelguard::cli {
namespace {

TEST(CommandTable, OptionsAndPositionalsGoInAnyOrder) { testing::ExpectAnyOrder(Commands()); }

TEST(CommandTable, EveryCommandHasHelpWithAnExampleAndExitCodes) { testing::ExpectHelpAndConventions(Commands()); }

TEST(CommandTable, NamesAreUniqueAndEveryEntryRunsSomewhere) {
  std::set<std::string> names;
  for (const Command& entry : Commands()) {
    EXPECT_TRUE(names.insert(entry.name).second) << entry.name;
    EXPECT_NE(std::string(entry.summary), "") << entry.name;
    EXPECT_TRUE((entry.add != nullptr) != (entry.helper_binary != nullptr)) << entry.name;
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

}  // namespace
}  // namespace modelguard::cli
