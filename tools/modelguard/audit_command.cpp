// `modelguard audit verify`: checks the gateway's hash-chained audit file.
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "modelguard/core/io.h"
#include "modelguard/gateway/audit.h"
#include "tools/modelguard/cli_util.h"
#include "tools/modelguard/commands.h"

namespace modelguard::cli {
namespace {

struct AuditArgs {
  std::string file;
  std::string format = "text";
};

int RunAuditVerify(const AuditArgs& args) {
  if (!CheckInputFile(args.file, "audit verify")) return 2;
  auto check = gateway::VerifyAuditChain(args.file);
  if (!check) {
    std::cerr << "modelguard audit verify: " << check.error().message << "\n";
    return 2;
  }
  if (args.format == "json") {
    nlohmann::ordered_json doc{{"schema", "modelguard.audit-verify/v1"},
                               {"intact", check->problems.empty()},
                               {"events", check->events},
                               {"problems", check->problems}};
    std::cout << ReportJson(doc) << "\n";
  } else {
    std::cout << (check->problems.empty() ? "audit chain intact" : "AUDIT CHAIN BROKEN") << ": " << check->events
              << " events\n";
    for (const auto& p : check->problems) std::cout << "  problem: " << EscapeControlCharacters(p) << "\n";
  }
  return check->problems.empty() ? 0 : 1;
}

}  // namespace

Action AddAudit(CLI::App& command) {
  auto args = std::make_shared<AuditArgs>();
  CLI::App* cmd = &command;
  cmd->require_subcommand(1);
  constexpr const char* kExit = "0 intact, 1 a line was changed, removed or reordered, 2 unreadable file";
  Describe(cmd, "", {"modelguard audit verify /var/log/modelguard/audit.jsonl"}, kExit);
  CLI::App* verify = cmd->add_subcommand("verify", "Exit 1 when a line was changed, removed or reordered");
  verify->add_option("file", args->file, "Audit JSONL file")->required();
  AddFormatOption(verify, args->format, {"text", "json"});
  Describe(verify, "", {"modelguard audit verify audit.jsonl", "modelguard audit verify audit.jsonl --format json"},
           kExit);
  return [args] { return RunAuditVerify(*args); };
}

}  // namespace modelguard::cli
