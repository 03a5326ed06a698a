#include <iostream>
#include <memory>

#include "modelguard/core/io.h"
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
};

int RunServe(const GatewayArgs& args) {
  if (!CheckInputFile(args.config, "gateway")) return 2;
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
  auto key = ReadFile(args.key);
  if (!key) {
    std::cerr << "modelguard gateway hash-key: " << key.error().message << "\n";
    return 2;
  }
  std::string text = *key;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  std::cout << gateway::HashApiKey(text) << "\n";
  return 0;
}

}  // namespace

Action AddGateway(CLI::App& command) {
  auto args = std::make_shared<GatewayArgs>();
  CLI::App* cmd = &command;
  cmd->require_subcommand(1);
  Describe(cmd, "Configuration reference: docs/gateway.md.",
           {"modelguard gateway serve --config examples/gateway/gateway.yaml"},
           "0 stopped cleanly, 2 bad configuration, cannot listen, or usage error");
  CLI::App* serve =
      cmd->add_subcommand("serve", "Run the gateway: SIGHUP reloads the configuration, SIGTERM drains and stops");
  serve->add_option("--config", args->config, "Gateway configuration (.yaml/.yml or .json, see docs/gateway.md)")
      ->required();
  Describe(serve, "Logs are JSON lines on stderr.", {"modelguard gateway serve --config examples/gateway/gateway.yaml"},
           "0 stopped cleanly, 2 bad configuration or cannot listen");
  CLI::App* hash_key = cmd->add_subcommand("hash-key", "Print the SHA-256 form of an API key for the configuration");
  hash_key->add_option("key_file", args->key, "File holding the key ('-' for stdin)")->required();
  Describe(hash_key, "A trailing newline in the file is not part of the key.",
           {"modelguard gateway hash-key client.key", "printf '%s' \"$KEY\" | modelguard gateway hash-key -"},
           "0 printed, 2 unreadable key file");
  return [=] { return serve->parsed() ? RunServe(*args) : RunHashKey(*args); };
}

}  // namespace modelguard::cli
