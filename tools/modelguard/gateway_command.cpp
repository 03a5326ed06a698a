#include <iostream>
#include <memory>

#include "modelguard/gateway/audit.h"
#include "modelguard/gateway/gateway.h"
#include "src/gateway/filters/api_key/api_key_filter.h"
#include "tools/modelguard/cli_util.h"
#include "tools/modelguard/commands.h"

namespace modelguard::cli {
namespace {

struct GatewayArgs {
  std::string config;
  std::string key;
  std::string audit_file;
};

int RunServe(const GatewayArgs& args) {
  auto config = gateway::LoadGatewayConfig(args.config);
  if (!config) {
    std::cerr << "modelguard gateway: " << config.error().message << "\n";
    return 2;
  }
  auto served = gateway::RunGateway(*config, nullptr, [&](uint16_t port) {
    std::cerr << "modelguard gateway: listening on " << config->listen_host << ":" << port << " (" << config->routes.size()
              << " routes)\n";
  });
  if (!served) {
    std::cerr << "modelguard gateway: " << served.error().message << "\n";
    return 2;
  }
  return 0;
}

int RunHashKey(const GatewayArgs& args) {
  auto key = ReadFileText(args.key);
  if (!key) {
    std::cerr << "modelguard gateway hash-key: " << key.error().message << "\n";
    return 2;
  }
  std::string text = *key;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  std::cout << gateway::HashApiKey(text) << "\n";
  return 0;
}

int RunAuditVerify(const GatewayArgs& args) {
  auto check = gateway::VerifyAuditChain(args.audit_file);
  if (!check) {
    std::cerr << "modelguard audit verify: " << check.error().message << "\n";
    return 2;
  }
  std::cout << (check->problems.empty() ? "audit chain intact" : "AUDIT CHAIN BROKEN") << ": " << check->events << " events\n";
  for (const auto& p : check->problems) std::cout << "  problem: " << p << "\n";
  return check->problems.empty() ? 0 : 1;
}

}  // namespace

Action RegisterGateway(CLI::App& app) {
  auto args = std::make_shared<GatewayArgs>();
  CLI::App* cmd = app.add_subcommand("gateway", "Inference firewall: reverse proxy with filters (API keys, ...) and an audit trail");
  cmd->require_subcommand(1);
  CLI::App* serve = cmd->add_subcommand("serve", "Run the gateway until SIGINT/SIGTERM");
  serve->add_option("--config", args->config, "Gateway configuration (JSON, see docs/gateway.md)")->required();
  serve->footer("Example:\n  modelguard gateway serve --config gateway.json");
  CLI::App* hash_key = cmd->add_subcommand("hash-key", "Print the SHA-256 form of an API key for the configuration");
  hash_key->add_option("key_file", args->key, "File holding the key ('-' for stdin)")->required();

  CLI::App* audit = app.add_subcommand("audit", "Check the gateway's hash-chained audit file");
  audit->require_subcommand(1);
  CLI::App* verify = audit->add_subcommand("verify", "Exit 1 when a line was changed, removed or reordered");
  verify->add_option("file", args->audit_file, "Audit JSONL file")->required();
  return [=, &app] {
    if (app.got_subcommand("audit")) return RunAuditVerify(*args);
    return serve->parsed() ? RunServe(*args) : RunHashKey(*args);
  };
}

}  // namespace modelguard::cli
