// modelguard: one binary, one file per subcommand; subcommands parse arguments and call the libraries.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "modelguard/core/version.h"
#include "tools/modelguard/commands.h"

namespace {

// `assess` and `harden` live in modelguard-assess beside this binary: only they load libtorch, whose
// start-up (~0.5 s) every other command would otherwise pay.
int RunAssessBinary(char** argv) {
  std::error_code error;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", error);
  const std::string helper = (error ? std::filesystem::path(argv[0]) : self).parent_path() / "modelguard-assess";
  argv[0] = const_cast<char*>("modelguard");
  execv(helper.c_str(), argv);
  std::cerr << "modelguard: cannot run " << helper << ": " << std::strerror(errno)
            << " (assess and harden need the libtorch build: scripts/install-deps, then scripts/build)\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && (std::strcmp(argv[1], "assess") == 0 || std::strcmp(argv[1], "harden") == 0))
    return RunAssessBinary(argv);
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
  // Listed for --help; main() hands them to modelguard-assess before parsing.
  app.add_subcommand(
      "assess", "Attack a classifier (TorchScript or http:// endpoint): evasion, extraction, membership inference");
  app.add_subcommand(
      "harden",
      "Train classifiers that resist attack: PGD adversarial training (harden adversarial), baselines (harden train)");
  if (auto exit_code = modelguard::cli::ParseCommandLine(app, argc, argv)) return *exit_code;
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
