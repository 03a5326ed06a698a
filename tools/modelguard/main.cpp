// modelguard: one binary; its subcommands are the entries of command_table.cpp, one file each.
#include <string>

#include "modelguard/core/version.h"
#include "tools/modelguard/cli_util.h"
#include "tools/modelguard/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"modelguard: protect machine-learning models across their life cycle"};
  app.set_version_flag("--version", std::string("modelguard ") + modelguard::kVersion);
  app.require_subcommand(1);
  app.footer(std::string("Exit codes: ") + modelguard::cli::kExitCodes + ". Every command has --help with an example.");
  return modelguard::cli::RunCommandLine(app, modelguard::cli::Commands(), argc, argv);
}
