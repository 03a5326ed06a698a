// modelguard-assess: the libtorch half of the modelguard CLI. `modelguard assess|harden ...` runs this
// binary (it sits next to `modelguard`), so only these commands pay libtorch's start-up.
#include <iostream>

#include "modelguard/core/version.h"
#include "tools/modelguard/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"modelguard assess / harden: attack your own classifier, and train it to resist"};
  app.name("modelguard");
  app.set_version_flag("--version", std::string("modelguard ") + modelguard::kVersion);
  app.require_subcommand(1);
  auto assess = modelguard::cli::RegisterAssess(app);
  auto harden = modelguard::cli::RegisterHarden(app);
  if (auto exit_code = modelguard::cli::ParseCommandLine(app, argc, argv)) return *exit_code;
  if (app.got_subcommand("assess")) return assess();
  if (app.got_subcommand("harden")) return harden();
  return 2;
}
