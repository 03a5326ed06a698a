// modelguard-assess: the libtorch half of the modelguard CLI. `modelguard assess|harden ...` runs this
// binary (it sits next to `modelguard`), so only these commands pay libtorch's start-up. Its commands are
// the entries of assess/command_table.cpp.
#include <string>

#include "modelguard/core/version.h"
#include "tools/modelguard/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"modelguard assess / harden: attack your own classifier, and train it to resist"};
  app.name("modelguard");
  app.set_version_flag("--version", std::string("modelguard ") + modelguard::kVersion);
  app.require_subcommand(1);
  return modelguard::cli::RunCommandLine(app, modelguard::cli::AssessCommands(), argc, argv);
}
