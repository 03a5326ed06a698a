#include <iostream>
#include <memory>

#include "modelguard/gateway/audit.h"
#include "modelguard/gateway/gateway.h"
#include "src/gateway/filters/api_key/api_key_filter.h"
#include "src/gateway/log.h"
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
  auto loader = std::make_shared<gateway::ConfigLoader>();
  auto config = loader->Load(args.config);
  if (!config) {
    std::cerr << "modelguard gateway: " << config.error().message << "\n";
    return 2;
  }
  gateway::RunOptions options;
  options.on_listening = [&](uint16_t port, uint16_t admin_port) {
    nlohmann::ordered_json fields = {{"routes", config->routes.size()}, {"tls", !config->tls_certificate.empty()}};
    if (admin_port) fields["admin"] = config->admin_host + ":" + std::to_string(admin_port);
    gateway::LogEvent("info", "listening on " + config->listen_host + ":" + std::to_string(port), fields);
    if (admin_port)
      gateway::LogEvent("info", "admin API listening on " + config->admin_host + ":" + std::to_string(admin_port));
  };
  // The loader remembers filter instances, so a reload keeps buckets and budgets whose settings stayed.
  options.reload = [loader, path = args.config] { return loader->Load(path); };
  auto served = gateway::RunGateway(*config, options);
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
  std::cout << (check->problems.empty() ? "audit chain intact" : "AUDIT CHAIN BROKEN") << ": " << check->events
            << " events\n";
  for (const auto& p : check->problems) std::cout << "  problem: " << p << "\n";
  return check->problems.empty() ? 0 : 1;
}

}  // namespace

Action RegisterGateway(CLI::App& app) {
  auto args = std::make_shared<GatewayArgs>();
  CLI::App* cmd = app.add_subcommand(
      "gateway", "Inference firewall: reverse proxy with filters (API keys, ...) and an audit trail");
  cmd->require_subcommand(1);
  CLI::App* serve =
      cmd->add_subcommand("serve", "Run the gateway: SIGHUP reloads the configuration, SIGTERM drains and stops");
  serve->add_option("--config", args->config, "Gateway configuration (.yaml/.yml or .json, see docs/gateway.md)")
      ->required();
  serve->footer(
      "Logs are JSON lines on stderr. Exit codes: 0 stopped cleanly, 2 bad configuration or cannot listen.\n"
      "Example:\n  modelguard gateway serve --config examples/gateway/gateway.yaml");
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
