// modelguard incident open|note|close|show|list: AI incidents linked to registered models, with a timeline.
// The response steps themselves are a runbook (docs/incident-response.md).
#include <iostream>
#include <nlohmann/json.hpp>

#include "modelguard/core/clock.h"
#include "modelguard/core/number_text.h"
#include "tools/modelguard/cli_util.h"
#include "tools/modelguard/commands.h"
#include "tools/modelguard/governance_args.h"

namespace modelguard::cli {
namespace {

using json = nlohmann::ordered_json;

struct IncidentArgs {
  std::string db;
  std::string model;
  std::string title;
  std::string severity = "high";
  std::string text;
  std::string author;
  uint64_t id = 0;
  std::string format = "text";
  bool open_only = false;
};

int Fail(const char* command, const std::string& message) {
  std::cerr << "modelguard incident " << command << ": " << message << "\n";
  return 2;
}

json IncidentJson(const governance::Incident& i) {
  json timeline = json::array();
  for (const auto& e : i.timeline)
    timeline.push_back({{"time", e.time}, {"kind", e.kind}, {"text", e.text}, {"author", e.author}});
  return {{"id", i.id},     {"model", i.model},   {"title", i.title},   {"severity", i.severity},
          {"open", i.open}, {"opened", i.opened}, {"closed", i.closed}, {"timeline", timeline}};
}

int RunOpen(const IncidentArgs& args) {
  auto store = OpenGovernanceStore(args.db, governance::StoreOpen::kCreate, "incident open");
  if (!store) return 2;
  if (!args.model.empty()) {
    auto found = store->FindModel(args.model);
    if (!found) return Fail("open", found.error().message);
    if (!*found) return Fail("open", "no model '" + args.model + "' in the register");
  }
  governance::Incident incident;
  incident.model = args.model;
  incident.title = args.title;
  incident.severity = args.severity;
  incident.opened = NowUnixSeconds();
  incident.timeline.push_back({incident.opened, "opened", args.text.empty() ? args.title : args.text, args.author});
  auto id = store->OpenIncident(incident);
  if (!id) return Fail("open", id.error().message);
  std::cout << *id << "\n";
  return 0;
}

int RunEvent(const IncidentArgs& args, bool close) {
  const char* name = close ? "close" : "note";
  auto store =
      OpenGovernanceStore(args.db, governance::StoreOpen::kExisting, close ? "incident close" : "incident note");
  if (!store) return 2;
  const std::string text = args.text.empty() ? (close ? "closed" : "") : args.text;
  if (text.empty()) return Fail(name, "a note needs text");
  if (auto added =
          store->AddIncidentEvent(args.id, {NowUnixSeconds(), close ? "closed" : "note", text, args.author}, close);
      !added)
    return Fail(name, added.error().message);
  return 0;
}

int RunShow(const IncidentArgs& args) {
  auto store = OpenGovernanceStore(args.db, governance::StoreOpen::kExisting, "incident show");
  if (!store) return 2;
  auto found = store->FindIncident(args.id);
  if (!found) return Fail("show", found.error().message);
  if (!*found) return Fail("show", "no incident " + std::to_string(args.id));
  const auto& i = **found;
  if (args.format == "json") {
    std::cout << ReportJson(json{{"schema", "modelguard.incident/v1"}, {"incident", IncidentJson(i)}}) << "\n";
    return 0;
  }
  std::cout << "incident " << i.id << " (" << (i.open ? "open" : "closed") << ", " << i.severity << "): " << i.title
            << "\n";
  if (!i.model.empty()) std::cout << "model: " << i.model << "\n";
  for (const auto& e : i.timeline)
    std::cout << "  " << Iso8601Utc(e.time) << "  " << e.kind << (e.author.empty() ? "" : " by " + e.author) << ": "
              << e.text << "\n";
  return 0;
}

int RunList(const IncidentArgs& args) {
  auto store = OpenGovernanceStore(args.db, governance::StoreOpen::kExisting, "incident list");
  if (!store) return 2;
  auto snapshot = store->Snapshot();
  if (!snapshot) return Fail("list", snapshot.error().message);
  size_t open = 0;
  json list = json::array();
  for (const auto& i : snapshot->incidents) {
    if (args.open_only && !i.open) continue;
    open += i.open ? 1 : 0;
    if (args.format == "json") {
      list.push_back(IncidentJson(i));
    } else {
      std::cout << i.id << "  " << (i.open ? "open  " : "closed") << "  " << i.severity << "  "
                << (i.model.empty() ? "-" : i.model) << "  " << i.title << "\n";
    }
  }
  if (args.format == "json") {
    std::cout << ReportJson(json{{"schema", "modelguard.incidents/v1"}, {"open", open}, {"incidents", list}}) << "\n";
  } else {
    std::cout << open << " open incident(s)\n";
  }
  return open > 0 ? 1 : 0;
}

}  // namespace

Action AddIncident(CLI::App& command) {
  auto args = std::make_shared<IncidentArgs>();
  command.require_subcommand(1);
  Describe(&command, "The response steps are in docs/incident-response.md.",
           {"modelguard incident open --model support-bot --title 'Prompt leaked'", "modelguard incident list --open"});
  auto* open = command.add_subcommand("open", "Open an AI incident (prints its id)");
  AddGovernanceDbOption(open, args->db);
  open->add_option("--model", args->model, "The registered model it concerns");
  open->add_option("--title", args->title, "What happened, one line")->required();
  open->add_option("--severity", args->severity, "critical, high (default), medium or low")
      ->check(CLI::IsMember({"critical", "high", "medium", "low"}));
  open->add_option("--note", args->text, "First timeline entry (default: the title)");
  open->add_option("--author", args->author, "Who writes it");
  Describe(open, "Follow the runbook in docs/incident-response.md.",
           {"modelguard incident open --model support-bot --title 'System prompt leaked through the chat widget' "
            "--severity high"},
           "0 opened, 2 usage or I/O error");
  auto* note = command.add_subcommand("note", "Add to an incident's timeline");
  AddGovernanceDbOption(note, args->db);
  note->add_option("id", args->id, "Incident id")->required();
  note->add_option("text", args->text, "The note")->required();
  note->add_option("--author", args->author, "Who writes it");
  Describe(note, "", {"modelguard incident note 3 'Rotated the leaked key; gateway guard filter now blocks it'"},
           "0 noted, 2 usage or I/O error (a closed incident included)");
  auto* close = command.add_subcommand("close", "Close an incident, with its resolution");
  AddGovernanceDbOption(close, args->db);
  close->add_option("id", args->id, "Incident id")->required();
  close->add_option("--resolution", args->text, "How it ended");
  close->add_option("--author", args->author, "Who closes it");
  Describe(close, "", {"modelguard incident close 3 --resolution 'Fixed and reviewed; lessons in the wiki'"},
           "0 closed, 2 usage or I/O error");
  auto* show = command.add_subcommand("show", "One incident with its timeline");
  AddGovernanceDbOption(show, args->db);
  show->add_option("id", args->id, "Incident id")->required();
  AddFormatOption(show, args->format, {"text", "json"});
  Describe(show, "", {"modelguard incident show 3"}, "0 shown, 2 usage or I/O error");
  auto* list = command.add_subcommand("list", "Incidents");
  AddGovernanceDbOption(list, args->db);
  list->add_flag("--open", args->open_only, "Only open ones");
  AddFormatOption(list, args->format, {"text", "json"});
  Describe(list, "", {"modelguard incident list --open"}, "0 none open, 1 open incidents, 2 usage or I/O error");
  return [=]() {
    if (open->parsed()) return RunOpen(*args);
    if (note->parsed()) return RunEvent(*args, false);
    if (close->parsed()) return RunEvent(*args, true);
    if (show->parsed()) return RunShow(*args);
    if (list->parsed()) return RunList(*args);
    return 2;
  };
}

}  // namespace modelguard::cli
