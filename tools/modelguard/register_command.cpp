// modelguard register add|set|show|list|retire|attach|setting: the register of models and their evidence.
#include <iostream>
#include <nlohmann/json.hpp>

#include "modelguard/core/clock.h"
#include "modelguard/core/file_bytes.h"
#include "modelguard/core/hash.h"
#include "modelguard/core/io.h"
#include "modelguard/core/number_text.h"
#include "modelguard/governance/evidence.h"
#include "modelguard/integrity/log.h"
#include "tools/modelguard/cli_util.h"
#include "tools/modelguard/commands.h"
#include "tools/modelguard/governance_args.h"

namespace modelguard::cli {
namespace {

using json = nlohmann::ordered_json;

struct RegisterArgs {
  std::string db;
  std::string name;
  std::string format = "text";
  // Fields: set only when given (std::optional), so `register set` changes what it names and nothing else.
  std::optional<std::string> version, kind, business_owner, security_owner, intended_use, risk_tier, criticality,
      vendor, vendor_audited, last_review;
  std::optional<int> review_months;
  std::vector<std::string> data_sources, digests, model_ids, endpoints, paths, files;
  bool clear_identifiers = false;
  std::string evidence_file;
  std::string log;
  bool no_log = false;
  std::string setting_key;
  std::optional<std::string> setting_value;
};

int Fail(const char* command, const std::string& message) {
  std::cerr << "modelguard register " << command << ": " << message << "\n";
  return 2;
}

void AddFieldOptions(CLI::App* command, RegisterArgs& args) {
  command->add_option("--version", args.version, "Model version");
  command->add_option("--kind", args.kind, "llm, agent or ml (which checklist questions apply)")
      ->check(CLI::IsMember({"llm", "agent", "ml"}));
  command->add_option("--business-owner", args.business_owner, "Who answers for what the model is used for");
  command->add_option("--security-owner", args.security_owner, "Who answers for its security");
  command->add_option("--intended-use", args.intended_use, "What it is for, one sentence");
  command->add_option("--risk-tier", args.risk_tier, "EU AI Act category: prohibited, high, limited, minimal")
      ->check(CLI::IsMember({"prohibited", "high", "limited", "minimal"}));
  command->add_option("--criticality", args.criticality, "Internal criticality: critical, high, medium, low")
      ->check(CLI::IsMember({"critical", "high", "medium", "low"}));
  command->add_option("--data-source", args.data_sources,
                      "A training data source: dataset manifest path or id (repeatable)");
  command->add_option("--vendor", args.vendor, "Third-party provider of the model or API");
  command->add_option("--vendor-audited", args.vendor_audited, "Date of the vendor's last audit, YYYY-MM-DD");
  command->add_option("--review-months", args.review_months, "Months between reviews and assessments (default 6)")
      ->check(CLI::Range(1, 120));
  command->add_option("--last-review", args.last_review, "Date of the last review, YYYY-MM-DD");
  command->add_option("--digest", args.digests, "sha256:<hex> of a model file that is this model (repeatable)");
  command->add_option("--file", args.files, "A model file that is this model: its digest is recorded (repeatable)");
  command->add_option("--model-id", args.model_ids, "A hub id or hosted model name used for it (repeatable)");
  command->add_option("--endpoint", args.endpoints, "A hosted AI API host it is served by (repeatable)");
  command->add_option("--path", args.paths, "A directory whose AI use belongs to it (repeatable)");
}

// Applies the given options to `model`. An error message names the option at fault.
Result<bool> Apply(const RegisterArgs& args, governance::Model& model) {
  const auto set = [](const std::optional<std::string>& value, std::string& field) {
    if (value) field = *value;
  };
  for (const auto* date : {&args.vendor_audited, &args.last_review})
    if (*date && !ValidDate(**date))
      return MakeError(ErrorCode::kInvalidArgument, "'" + **date + "' is not a date (YYYY-MM-DD)");
  set(args.version, model.version);
  set(args.kind, model.kind);
  set(args.business_owner, model.business_owner);
  set(args.security_owner, model.security_owner);
  set(args.intended_use, model.intended_use);
  set(args.risk_tier, model.risk_tier);
  set(args.criticality, model.criticality);
  set(args.vendor, model.vendor);
  set(args.vendor_audited, model.vendor_audited);
  set(args.last_review, model.last_review);
  if (args.review_months) model.review_months = *args.review_months;
  for (const auto& source : args.data_sources)
    if (std::find(model.data_sources.begin(), model.data_sources.end(), source) == model.data_sources.end())
      model.data_sources.push_back(source);
  if (args.clear_identifiers) model.identifiers.clear();
  const auto add = [&model](const std::string& kind, const std::string& value) {
    for (const auto& id : model.identifiers)
      if (id.kind == kind && id.value == value) return;
    model.identifiers.push_back({kind, value});
  };
  for (const auto& digest : args.digests) {
    if (!digest.starts_with("sha256:") || digest.size() != 71 ||
        digest.find_first_not_of("0123456789abcdef", 7) != std::string::npos)
      return MakeError(ErrorCode::kInvalidArgument, "--digest '" + digest + "' is not sha256:<64 lower-case hex>");
    add("digest", digest);
  }
  for (const auto& file : args.files) {
    auto bytes = ReadFile(file, uint64_t{64} << 30);
    if (!bytes) return WithContext(std::move(bytes).error(), "--file: ");
    add("digest", "sha256:" + Sha256Hex(*bytes));
  }
  for (const auto& id : args.model_ids) add("model-id", id);
  for (const auto& host : args.endpoints) add("endpoint", host);
  for (const auto& path : args.paths) {
    std::error_code ec;
    const auto absolute = std::filesystem::absolute(path, ec);
    if (ec) return MakeError(ErrorCode::kInvalidArgument, "--path '" + path + "': " + ec.message());
    std::string text = absolute.lexically_normal().string();
    while (text.size() > 1 && text.back() == '/') text.pop_back();
    add("path", text);
  }
  return true;
}

json ModelJson(const governance::Model& m) { return json::parse(governance::ModelToJsonText(m)); }

int RunAdd(const RegisterArgs& args) {
  if (args.name.empty()) return Fail("add", "a model needs a name");
  governance::Model model;
  model.name = args.name;
  if (auto applied = Apply(args, model); !applied) return Fail("add", applied.error().message);
  model.registered = model.updated = NowUnixSeconds();
  auto store = OpenGovernanceStore(args.db, governance::StoreOpen::kCreate, "register add");
  if (!store) return 2;
  if (auto added = store->AddModel(model); !added) return Fail("add", added.error().message);
  Note() << "registered " << model.name << " in " << args.db << "\n";
  return 0;
}

int RunSet(const RegisterArgs& args) {
  auto store = OpenGovernanceStore(args.db, governance::StoreOpen::kExisting, "register set");
  if (!store) return 2;
  auto found = store->FindModel(args.name);
  if (!found) return Fail("set", found.error().message);
  if (!*found) return Fail("set", "no model '" + args.name + "' in the register (add it with register add)");
  governance::Model model = **found;
  if (auto applied = Apply(args, model); !applied) return Fail("set", applied.error().message);
  model.updated = NowUnixSeconds();
  if (auto updated = store->UpdateModel(model); !updated) return Fail("set", updated.error().message);
  return 0;
}

int RunRetire(const RegisterArgs& args) {
  auto store = OpenGovernanceStore(args.db, governance::StoreOpen::kExisting, "register retire");
  if (!store) return 2;
  auto found = store->FindModel(args.name);
  if (!found) return Fail("retire", found.error().message);
  if (!*found) return Fail("retire", "no model '" + args.name + "' in the register");
  governance::Model model = **found;
  if (model.retired) return Fail("retire", "'" + args.name + "' is retired already");
  model.retired = model.updated = NowUnixSeconds();
  if (auto updated = store->UpdateModel(model); !updated) return Fail("retire", updated.error().message);
  return 0;
}

int RunShow(const RegisterArgs& args) {
  auto store = OpenGovernanceStore(args.db, governance::StoreOpen::kExisting, "register show");
  if (!store) return 2;
  auto snapshot = store->Snapshot();
  if (!snapshot) return Fail("show", snapshot.error().message);
  const governance::Model* model = nullptr;
  for (const auto& m : snapshot->models)
    if (m.name == args.name) model = &m;
  if (!model) return Fail("show", "no model '" + args.name + "' in the register");
  json evidence = json::array();
  for (const auto& e : snapshot->evidence) {
    if (e.model != model->name) continue;
    json item{{"id", e.id},         {"kind", e.kind}, {"name", e.name},
              {"digest", e.digest}, {"time", e.time}, {"produced", e.produced}};
    item["summary"] = json::parse(e.summary_json, nullptr, false);
    item["log_index"] = e.log_index ? json(*e.log_index) : json(nullptr);
    evidence.push_back(std::move(item));
  }
  json assets = json::array();
  for (const auto& a : snapshot->assets) {
    if (a.registered_as != model->name || a.gone) continue;
    assets.push_back({{"kind", a.kind}, {"file", a.file}, {"line", a.line}, {"value", a.value}});
  }
  json incidents = json::array();
  for (const auto& i : snapshot->incidents)
    if (i.model == model->name)
      incidents.push_back({{"id", i.id}, {"title", i.title}, {"severity", i.severity}, {"open", i.open}});
  if (args.format == "json") {
    json doc{{"schema", "modelguard.register-entry/v1"},
             {"model", ModelJson(*model)},
             {"evidence", evidence},
             {"assets", assets},
             {"incidents", incidents}};
    std::cout << ReportJson(doc) << "\n";
    return 0;
  }
  const auto line = [](const char* label, const std::string& value) {
    std::cout << label << (value.empty() ? "(not set)" : value) << "\n";
  };
  line("name:            ", model->name);
  line("version:         ", model->version);
  line("kind:            ", model->kind);
  line("business owner:  ", model->business_owner);
  line("security owner:  ", model->security_owner);
  line("intended use:    ", model->intended_use);
  line("risk tier:       ", model->risk_tier);
  line("criticality:     ", model->criticality);
  line("vendor:          ", model->vendor);
  line("vendor audited:  ", model->vendor_audited);
  line("last review:     ", model->last_review);
  std::cout << "review every:    " << model->review_months << " months\n";
  if (model->retired) std::cout << "retired:         " << Iso8601Utc(model->retired) << "\n";
  for (const auto& id : model->identifiers) std::cout << "identifier:      " << id.kind << " " << id.value << "\n";
  for (const auto& source : model->data_sources) std::cout << "data source:     " << source << "\n";
  for (const auto& e : evidence)
    std::cout << "evidence #" << e["id"] << ":    " << e["kind"].get<std::string>() << " from "
              << e["name"].get<std::string>() << ", " << Iso8601Utc(e["time"].get<int64_t>()) << ": "
              << (e["summary"].is_object()
                      ? e["summary"].value("verdict", "") + ", " + e["summary"].value("summary", "")
                      : "")
              << "\n";
  std::cout << assets.size() << " asset(s) in the inventory, " << incidents.size() << " incident(s)\n";
  return 0;
}

int RunList(const RegisterArgs& args) {
  auto store = OpenGovernanceStore(args.db, governance::StoreOpen::kExisting, "register list");
  if (!store) return 2;
  auto models = store->Models();
  if (!models) return Fail("list", models.error().message);
  if (args.format == "json") {
    json list = json::array();
    for (const auto& m : *models) list.push_back(ModelJson(m));
    std::cout << ReportJson(json{{"schema", "modelguard.register/v1"}, {"models", list}}) << "\n";
    return 0;
  }
  for (const auto& m : *models) {
    std::cout << m.name << (m.version.empty() ? "" : " " + m.version) << "  " << m.kind << "  tier "
              << (m.risk_tier.empty() ? "?" : m.risk_tier) << "  owners "
              << (m.business_owner.empty() ? "?" : m.business_owner) << " / "
              << (m.security_owner.empty() ? "?" : m.security_owner) << (m.retired ? "  (retired)" : "") << "\n";
  }
  std::cout << models->size() << " model(s)\n";
  return 0;
}

int RunAttach(const RegisterArgs& args) {
  // Opened without blocking (a FIFO is refused, never waited on) and only when it is a regular file.
  auto file = FileBytes::Open(args.evidence_file);
  if (!file) {
    return Fail("attach", file.error().code == ErrorCode::kUnsupported
                              ? "'" + args.evidence_file + "' is a " + file.error().message + ", not a result file"
                              : file.error().message);
  }
  if (file->size() > governance::kMaxEvidenceBytes)
    return Fail("attach", "'" + args.evidence_file + "' is larger than the 64 MiB a result may be");
  const std::string_view bytes = file->text();
  auto store = OpenGovernanceStore(args.db, governance::StoreOpen::kExisting, "register attach");
  if (!store) return 2;
  auto found = store->FindModel(args.name);
  if (!found) return Fail("attach", found.error().message);
  if (!*found) return Fail("attach", "no model '" + args.name + "' in the register");
  auto evidence = governance::SummarizeEvidence(bytes);
  if (!evidence) return Fail("attach", args.evidence_file + ": " + evidence.error().message);
  evidence->model = args.name;
  evidence->name = std::filesystem::path(args.evidence_file).filename().string();
  evidence->time = NowUnixSeconds();
  if (!evidence->produced) evidence->produced = evidence->time;
  if (!args.no_log) {
    // The evidence trail is tamper-evident: each attachment is a leaf of the transparency log (by default
    // the log kept in the governance database itself; `modelguard log verify --db` checks it).
    const std::string log_location = args.log.empty() ? args.db : args.log;
    auto log = integrity::TransparencyLog::Open(log_location, "modelguard governance");
    if (!log) return Fail("attach", "transparency log: " + log.error().message);
    const json leaf{{"schema", "modelguard.evidence-attachment/v1"},
                    {"model", args.name},
                    {"kind", evidence->kind},
                    {"name", evidence->name},
                    {"digest", evidence->digest},
                    {"time", evidence->time}};
    auto index = (*log)->Append(ReportJson(leaf, -1), "evidence");
    if (!index) return Fail("attach", "transparency log: " + index.error().message);
    evidence->log_index = *index;
  }
  auto id = store->AddEvidence(*evidence, bytes);
  if (!id) return Fail("attach", id.error().message);
  const json summary = json::parse(evidence->summary_json, nullptr, false);
  std::cout << "evidence #" << *id << " attached to " << args.name << ": " << evidence->kind << ", "
            << (summary.is_object() ? summary.value("verdict", "") + " (" + summary.value("summary", "") + ")" : "")
            << (evidence->log_index ? ", log entry " + std::to_string(*evidence->log_index) : "") << "\n";
  return 0;
}

int RunSetting(const RegisterArgs& args) {
  static const std::vector<std::string> kKeys = {"organisation", "incident_plan", "governance_framework",
                                                 "assessment_months", "vendor_audit_months"};
  if (std::find(kKeys.begin(), kKeys.end(), args.setting_key) == kKeys.end())
    return Fail("setting", "unknown setting '" + args.setting_key +
                               "' (organisation, incident_plan, governance_framework, assessment_months, "
                               "vendor_audit_months)");
  if (args.setting_value && args.setting_key.ends_with("_months")) {
    const std::string& v = *args.setting_value;
    if (v.empty() || v.size() > 3 || v.find_first_not_of("0123456789") != std::string::npos || std::stoi(v) < 1)
      return Fail("setting", args.setting_key + " must be a number of months (1-999)");
  }
  auto store = OpenGovernanceStore(
      args.db, args.setting_value ? governance::StoreOpen::kCreate : governance::StoreOpen::kExisting,
      "register setting");
  if (!store) return 2;
  if (args.setting_value) {
    if (auto set = store->SetSetting(args.setting_key, *args.setting_value); !set)
      return Fail("setting", set.error().message);
    return 0;
  }
  auto value = store->Setting(args.setting_key);
  if (!value) return Fail("setting", value.error().message);
  if (!*value) {
    std::cout << args.setting_key << " is not set\n";
    return 1;
  }
  std::cout << **value << "\n";
  return 0;
}

}  // namespace

Action AddRegister(CLI::App& command) {
  auto args = std::make_shared<RegisterArgs>();
  command.require_subcommand(1);
  Describe(&command,
           "Models with owners, risk tier and the identifiers that claim inventory assets, and their evidence.",
           {"modelguard register add fraud-model --file models/fraud.safetensors --risk-tier high",
            "modelguard register attach fraud-model scan.json"});
  auto* add = command.add_subcommand("add", "Register a model (or agent, or hosted model used through an API)");
  AddGovernanceDbOption(add, args->db);
  add->add_option("name", args->name, "The model's name in the register")->required();
  AddFieldOptions(add, *args);
  Describe(add,
           "Identifiers (--digest, --file, --model-id, --endpoint, --path) say which inventory assets are this "
           "model; assets no entry claims are shadow AI.",
           {"modelguard register add support-bot --kind llm --vendor OpenAI --vendor-audited 2026-06-01 "
            "--model-id gpt-4o --endpoint api.openai.com --path services/support --business-owner 'Support lead' "
            "--security-owner 'AppSec' --risk-tier limited --criticality high"},
           "0 registered, 2 usage or I/O error (a name registered already included)");

  auto* set = command.add_subcommand("set", "Change a registered model: only the options given");
  AddGovernanceDbOption(set, args->db);
  set->add_option("name", args->name, "The model's name")->required();
  AddFieldOptions(set, *args);
  set->add_flag("--clear-identifiers", args->clear_identifiers, "Drop its identifiers before adding the ones given");
  Describe(set, "", {"modelguard register set fraud-model --last-review 2026-11-20 --security-owner 'Risk team'"},
           "0 changed, 2 usage or I/O error");

  auto* show = command.add_subcommand("show", "A model's entry, evidence, inventory assets and incidents");
  AddGovernanceDbOption(show, args->db);
  show->add_option("name", args->name, "The model's name")->required();
  AddFormatOption(show, args->format, {"text", "json"});
  Describe(show, "", {"modelguard register show support-bot --format json"}, "0 shown, 2 usage or I/O error");

  auto* list = command.add_subcommand("list", "Every registered model");
  AddGovernanceDbOption(list, args->db);
  AddFormatOption(list, args->format, {"text", "json"});
  Describe(list, "", {"modelguard register list"}, "0 listed, 2 usage or I/O error");

  auto* retire = command.add_subcommand("retire", "Take a model out of service (kept, with its evidence)");
  AddGovernanceDbOption(retire, args->db);
  retire->add_option("name", args->name, "The model's name")->required();
  Describe(retire, "", {"modelguard register retire old-ranker"}, "0 retired, 2 usage or I/O error");

  auto* attach = command.add_subcommand(
      "attach",
      "Attach a modelguard JSON result (scan, verify, bom, data, assess, redteam, guard, monitor) as evidence");
  AddGovernanceDbOption(attach, args->db);
  attach->add_option("name", args->name, "The model's name")->required();
  attach->add_option("result", args->evidence_file, "The JSON result")->required();
  attach->add_option("--log", args->log, "Transparency log to append the attachment to (default: the one inside --db)");
  attach->add_flag("--no-log", args->no_log, "Do not append to a transparency log");
  Describe(attach,
           "The result is kept whole with its SHA-256 and summarised (verdict, findings by severity, rule ids); "
           "its digest is appended to the transparency log so the evidence trail is tamper-evident.",
           {"modelguard scan models/ --format json -o scan.json; modelguard register attach fraud-model scan.json"},
           "0 attached, 2 usage or I/O error (not a modelguard result included)");

  auto* setting = command.add_subcommand("setting", "Show or set an organisation setting");
  AddGovernanceDbOption(setting, args->db);
  setting
      ->add_option("key", args->setting_key,
                   "organisation, incident_plan, governance_framework, assessment_months, vendor_audit_months")
      ->required();
  setting->add_option("value", args->setting_value, "The new value (omit to show the current one)");
  Describe(setting, "", {"modelguard register setting incident_plan docs/incident-response.md"},
           "0 shown or set, 1 not set, 2 usage or I/O error");

  return [=]() {
    if (add->parsed()) return RunAdd(*args);
    if (set->parsed()) return RunSet(*args);
    if (show->parsed()) return RunShow(*args);
    if (list->parsed()) return RunList(*args);
    if (retire->parsed()) return RunRetire(*args);
    if (attach->parsed()) return RunAttach(*args);
    if (setting->parsed()) return RunSetting(*args);
    return 2;
  };
}

}  // namespace modelguard::cli
