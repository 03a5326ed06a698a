// modelguard-assess's command table (assess, harden) follows the same CLI conventions as modelguard's.
#include <gtest/gtest.h>

#include "tests/tools/command_checks.h"

namespace modelguard::cli {
namespace {

TEST(AssessCommandTable, OptionsAndPositionalsGoInAnyOrder) { testing::ExpectAnyOrder(AssessCommands()); }

TEST(AssessCommandTable, EveryCommandHasHelpWithAnExampleAndExitCodes) {
  testing::ExpectHelpAndConventions(AssessCommands());
}

}  // namespace
}  // namespace modelguard::cli
