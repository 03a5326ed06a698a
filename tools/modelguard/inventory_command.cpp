// modelguard inventory discover|list: shadow-AI discovery into the governance database, and its listing.
#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

#include "modelguard/core/cancel.h"
#include "modelguard/core/io.h"
#include "modelguard/governance/discover.h"
#include "tools/modelguard/cli_util.h"
#include "tools/modelguard/commands.h"
#include "tools/modelguard/governance_args.h"

namespace modelguard::cli {
namespace {

using json = nlohmann::ordered_json;

struct InventoryArgs {
  std::string db;
  std::vector<std::string> paths;
  std::vector<std::string> exclude;
  bool no_default_excludes = false;
  bool no_cache = false;
  std::string assets_file;
  unsigned threads = 0;
  std::string format = "text";
  std::string output;
  bool shadow_only = false;
  bool include_gone = false;
  std::string kind;
};

json AssetJson(const governance::Asset& a) {
  json j{{"kind", a.kind}, {"file", a.file}, {"line", a.line}, {"value", a.value}, {"detail", a.detail}};
  if (!a.digest.empty()) {
    j["digest"] = a.digest;
    j["size"] = a.size;
    j["signature"] = a.signature;
    j["bom"] = a.bom;
  }
  j["registered_as"] = a.registered_as.empty() ? json(nullptr) : json(a.registered_as);
  j["first_seen"] = a.first_seen;
  j["last_seen"] = a.last_seen;
  j["gone"] = a.gone;
  return j;
}

std::string AssetLine(const governance::Asset& a) {
  std::string line = a.kind + "  " + a.value + "  " + a.file;
  if (a.line) line += ":" + std::to_string(a.line);
  if (a.kind == "model-file")
    line += std::string("  ") + (a.signature ? "signed" : "unsigned") + (a.bom ? ", bom" : ", no bom");
  line += a.registered_as.empty() ? "  UNREGISTERED" : "  [" + a.registered_as + "]";
  if (a.gone) line += "  (gone)";
  return line;
}

bool Under(const std::string& file, const std::vector<std::string>& roots) {
  return std::any_of(roots.begin(), roots.end(), [&](const std::string& root) {
    return file == root || (file.starts_with(root) && (root == "/" || file[root.size()] == '/'));
  });
}

int RunDiscover(const InventoryArgs& args) {
  governance::DiscoverOptions options;
  if (!args.assets_file.empty()) {
    auto text = ReadFile(args.assets_file);
    if (!text) {
      std::cerr << "modelguard inventory discover: " << text.error().message << "\n";
      return 2;
    }
    auto rules = governance::CompileAssetRules(*text);
    if (!rules) {
      std::cerr << "modelguard inventory discover: " << args.assets_file << ": " << rules.error().message << "\n";
      return 2;
    }
    options.rules = *rules;
  }
  if (args.no_default_excludes) options.exclude.clear();
  for (const auto& name : args.exclude) options.exclude.push_back(name);
  options.use_cache = !args.no_cache;
  options.threads = args.threads;
  if (!Quiet()) {
    options.progress = [](uint64_t walked, uint64_t done) {
      Note() << "\rinventory: " << walked << " files, " << done << " read" << std::flush;
    };
  }
  Output out("inventory discover");
  if (!out.Open(args.output, {args.db})) return 2;
  auto store = OpenGovernanceStore(args.db, governance::StoreOpen::kCreate, "inventory discover");
  if (!store) return 2;
  cancel::InstallSignalHandlers();
  std::vector<std::string> roots;
  json runs = json::array();
  std::vector<std::string> problems;
  for (const auto& path : args.paths) {
    auto result = governance::Discover(*store, path, options);
    if (!Quiet() && options.progress) Note() << "\n";
    if (!result) {
      std::cerr << "modelguard inventory discover: " << path << ": " << result.error().message << "\n";
      return cancel::Requested() ? cancel::InterruptedExitCode() : 2;
    }
    roots.push_back(result->run.root);
    runs.push_back({{"root", result->run.root},
                    {"files", result->run.files},
                    {"read", result->run.read},
                    {"cached", result->run.files - result->run.read},
                    {"assets", result->run.assets},
                    {"added", result->added},
                    {"gone", result->gone},
                    {"skipped", result->skipped},
                    {"seconds", result->run.finished - result->run.started}});
    for (auto& p : result->problems) problems.push_back(std::move(p));
  }
  auto snapshot = store->Snapshot();
  if (!snapshot) {
    std::cerr << "modelguard inventory discover: " << snapshot.error().message << "\n";
    return 2;
  }
  std::vector<const governance::Asset*> present;
  size_t shadow = 0;
  for (const auto& a : snapshot->assets) {
    if (a.gone || !Under(a.file, roots)) continue;
    present.push_back(&a);
    if (a.registered_as.empty()) ++shadow;
  }
  if (args.format == "json") {
    json assets = json::array();
    for (const auto* a : present) assets.push_back(AssetJson(*a));
    json doc{{"schema", "modelguard.inventory/v1"},
             {"database", args.db},
             {"runs", runs},
             {"unregistered", shadow},
             {"assets", assets},
             {"problems", problems}};
    out.stream() << ReportJson(doc) << "\n";
  } else {
    for (const auto* a : present) out.stream() << AssetLine(*a) << "\n";
    for (const auto& run : runs)
      out.stream() << "discovered " << run["root"].get<std::string>() << ": " << run["files"] << " files ("
                   << run["read"] << " read, " << run["cached"] << " unchanged), " << run["assets"] << " assets, "
                   << run["added"] << " new, " << run["gone"] << " gone\n";
    out.stream() << shadow << " unregistered asset(s)\n";
    for (const auto& p : problems) Note() << "skipped: " << p << "\n";
  }
  if (!out.Close()) return 2;
  return shadow > 0 ? 1 : 0;
}

int RunList(const InventoryArgs& args) {
  Output out("inventory list");
  if (!out.Open(args.output, {args.db})) return 2;
  auto store = OpenGovernanceStore(args.db, governance::StoreOpen::kExisting, "inventory list");
  if (!store) return 2;
  auto snapshot = store->Snapshot();
  if (!snapshot) {
    std::cerr << "modelguard inventory list: " << snapshot.error().message << "\n";
    return 2;
  }
  std::vector<const governance::Asset*> listed;
  size_t shadow = 0;
  for (const auto& a : snapshot->assets) {
    if (a.gone && !args.include_gone) continue;
    if (args.shadow_only && !a.registered_as.empty()) continue;
    if (!args.kind.empty() && a.kind != args.kind) continue;
    listed.push_back(&a);
    if (!a.gone && a.registered_as.empty()) ++shadow;
  }
  if (args.format == "json") {
    json assets = json::array();
    for (const auto* a : listed) assets.push_back(AssetJson(*a));
    out.stream() << ReportJson(json{{"schema", "modelguard.inventory/v1"},
                                    {"database", args.db},
                                    {"unregistered", shadow},
                                    {"assets", assets}})
                 << "\n";
  } else {
    for (const auto* a : listed) out.stream() << AssetLine(*a) << "\n";
    out.stream() << listed.size() << " asset(s), " << shadow << " unregistered\n";
  }
  if (!out.Close()) return 2;
  return shadow > 0 ? 1 : 0;
}

}  // namespace

Action AddInventory(CLI::App& command) {
  auto args = std::make_shared<InventoryArgs>();
  command.require_subcommand(1);
  Describe(&command, "Find AI assets in file trees and list them; register them with `modelguard register`.",
           {"modelguard inventory discover ~/src --db governance.db", "modelguard inventory list --shadow"},
           "0 nothing unregistered, 1 unregistered assets, 2 usage or I/O error");
  auto* discover = command.add_subcommand(
      "discover",
      "Walk file trees and record AI assets: model files, AI SDK use, model ids, AI API addresses and keys, "
      "agent tools, MCP servers");
  AddGovernanceDbOption(discover, args->db);
  discover->add_option("paths", args->paths, "Directories or files to walk")->required();
  discover->add_option("--exclude", args->exclude, "Also skip directories of this name (repeatable)");
  discover->add_flag("--no-default-excludes", args->no_default_excludes,
                     "Enter .git, node_modules, virtual environments and caches too");
  discover->add_flag("--no-cache", args->no_cache, "Read every file, even those unchanged since the last run");
  discover->add_option("--assets", args->assets_file,
                       "What counts as AI use (default: the built-in policies/ai-assets.json)");
  discover->add_option("--threads", args->threads, "Worker threads (default: one per core)")
      ->check(CLI::Range(0u, 256u));
  AddFormatOption(discover, args->format, {"text", "json"});
  discover->add_option("-o,--output", args->output, "Write the result here instead of standard output");
  Describe(discover,
           "Records are kept by file and value (model files by digest); a re-run updates last_seen, marks what "
           "disappeared as gone and reads only files whose size or modification time changed. Assets no register "
           "entry claims are unregistered (shadow AI).",
           {"modelguard inventory discover ~/src ~/models --db governance.db"},
           "0 nothing unregistered, 1 unregistered assets found, 2 usage or I/O error");
  auto* list = command.add_subcommand("list", "List the inventory (what the last discoveries found)");
  AddGovernanceDbOption(list, args->db);
  list->add_flag("--shadow", args->shadow_only, "Only unregistered assets");
  list->add_flag("--gone", args->include_gone, "Include assets no longer found");
  list->add_option("--kind", args->kind, "Only this kind")
      ->check(CLI::IsMember({"model-file", "sdk", "model-id", "endpoint", "credential", "agent-tool", "mcp-server"}));
  AddFormatOption(list, args->format, {"text", "json"});
  list->add_option("-o,--output", args->output, "Write the result here instead of standard output");
  Describe(list, "", {"modelguard inventory list --db governance.db --shadow"},
           "0 nothing unregistered, 1 unregistered assets listed, 2 usage or I/O error");
  return [args, discover, list]() {
    if (discover->parsed()) return RunDiscover(*args);
    if (list->parsed()) return RunList(*args);
    return 2;
  };
}

}  // namespace modelguard::cli
