// modelguard: one binary, one file per subcommand; subcommands parse arguments and call the libraries.
#include <iostream>

#include "modelguard/core/version.h"
#include "tools/modelguard/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"modelguard: protect machine-learning models across their life cycle"};
  app.set_version_flag("--version", std::string("modelguard ") + modelguard::kVersion);
  app.require_subcommand(1);
  app.footer("Exit codes: 0 ok, 1 findings at or above --fail-on (or failed verification), 2 usage or I/O error.");
  auto scan = modelguard::cli::RegisterScan(app);
  auto hash = modelguard::cli::RegisterHash(app);
  auto sign = modelguard::cli::RegisterSign(app);
  auto verify = modelguard::cli::RegisterVerify(app);
  auto log = modelguard::cli::RegisterLog(app);
  auto data = modelguard::cli::RegisterData(app);
  auto bom = modelguard::cli::RegisterBom(app);
  auto gateway = modelguard::cli::RegisterGateway(app);
  auto guard = modelguard::cli::RegisterGuard(app);
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
  if (app.got_subcommand("scan")) return scan();
  if (app.got_subcommand("hash")) return hash();
  if (app.got_subcommand("sign")) return sign();
  if (app.got_subcommand("verify")) return verify();
  if (app.got_subcommand("log")) return log();
  if (app.got_subcommand("data")) return data();
  if (app.got_subcommand("bom")) return bom();
  if (app.got_subcommand("guard")) return guard();
  if (app.got_subcommand("gateway") || app.got_subcommand("audit")) return gateway();
  return 2;
}
