// `modelguard report`: the governance dashboard (src/governance/report) written from the governance database
// or a snapshot file, and the organisation's checklist printed. This file only reads options and prints.
#include <ctime>
#include <iomanip>
#include <memory>
#include <nlohmann/json.hpp>

#include "modelguard/core/io.h"
#include "modelguard/governance/checklist.h"
#include "modelguard/governance/controls.h"
#include "modelguard/governance/report.h"
#include "modelguard/governance/store.h"
#include "tools/modelguard/cli_util.h"
#include "tools/modelguard/commands.h"

namespace modelguard::cli {
namespace {

// A controls file is a few hundred kilobytes; refuse anything absurd.
constexpr uint64_t kMaxControlsBytes = uint64_t{16} << 20;

struct ReportArgs {
  std::string db, snapshot, output, controls, now, format = "text";
};

int Fail(const std::string& message) {
  std::cerr << "modelguard report: " << message << "\n";
  return 2;
}

Result<governance::Snapshot> LoadSnapshot(const ReportArgs& args) {
  using namespace governance;
  if (!args.snapshot.empty()) {
    MG_ASSIGN_OR_RETURN(const std::string text, ReadFile(args.snapshot, kMaxSnapshotBytes));
    MG_ASSIGN_OR_RETURN_CONTEXT(Snapshot snapshot, SnapshotFromJson(text),
                                EscapeControlCharacters(args.snapshot) + ": ");
    return snapshot;
  }
  MG_ASSIGN_OR_RETURN(auto store, Store::Open(args.db, StoreOpen::kExisting));
  return store->Snapshot();
}

int RunReport(const ReportArgs& args) {
  using namespace governance;
  if (args.db.empty() == args.snapshot.empty()) return Fail("give either --db DB or --snapshot FILE");
  if (!args.snapshot.empty() && !CheckInputFile(args.snapshot, "report")) return 2;
  int64_t now = static_cast<int64_t>(std::time(nullptr));
  if (!args.now.empty()) {
    auto parsed = ParseTime(args.now);
    if (!parsed) return Fail("--now: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, got \"" + args.now + "\"");
    now = *parsed;
  }
  const ControlCatalog* catalog = &DefaultControls();
  ControlCatalog custom;
  if (!args.controls.empty()) {
    if (!CheckInputFile(args.controls, "report")) return 2;
    auto text = ReadFile(args.controls, kMaxControlsBytes);
    if (!text) return Fail(text.error().message);
    auto parsed = ParseControls(*text);
    if (!parsed) return Fail(EscapeControlCharacters(args.controls) + ": " + parsed.error().message);
    custom = std::move(*parsed);
    catalog = &custom;
  }
  auto snapshot = LoadSnapshot(args);
  if (!snapshot) return Fail(snapshot.error().message);
  // Never a page written over an input (a snapshot or database kept in the site's folder).
  std::vector<std::string> inputs{args.snapshot, args.controls};
  if (args.db.find("://") == std::string::npos) inputs.push_back(args.db);
  if (auto checked = CheckReportFolder(args.output, SiteFileNames(*snapshot), inputs, "-o"); !checked)
    return Fail(checked.error().message);
  if (auto written = WriteSite(*snapshot, *catalog, args.output, SiteOptions{now}); !written)
    return Fail(written.error().message);
  const Checklist checklist = EvaluateChecklist(*snapshot, now);
  bool any_no = false;
  for (const auto& a : checklist.organisation) any_no |= a.answer == Answer::kNo;
  const std::string index = args.output + "/index.html";
  if (args.format == "json") {
    auto parsed = nlohmann::ordered_json::parse(ChecklistToJson(checklist), nullptr, false);
    nlohmann::ordered_json doc{{"schema", "modelguard.governance-report/v1"},
                               {"site", index},
                               {"now", parsed["now"]},
                               {"models", snapshot->models.size()},
                               {"organisation", parsed["organisation"]},
                               {"per_model", parsed["models"]}};
    std::cout << ReportJson(doc) << "\n";
  } else {
    const auto settings = ReadSettings(*snapshot);
    std::cout << "AI-security checklist"
              << (settings.organisation.empty() ? "" : " of " + EscapeControlCharacters(settings.organisation))
              << " on " << DateText(now) << " (" << snapshot->models.size() << " models):\n";
    const auto questions = ChecklistQuestions();
    for (size_t i = 0; i < checklist.organisation.size(); ++i) {
      const auto& a = checklist.organisation[i];
      std::cout << "  " << std::left << std::setw(15) << ToString(a.answer) << questions[i].text << "\n"
                << "  " << std::setw(15) << "" << EscapeControlCharacters(a.reason) << "\n";
    }
    Note() << "site written to " << EscapeControlCharacters(index) << "\n";
  }
  return any_no ? 1 : 0;
}

}  // namespace

Action AddReport(CLI::App& command) {
  auto args = std::make_shared<ReportArgs>();
  CLI::App* cmd = &command;
  cmd->add_option("--db", args->db, "The governance database: a SQLite file or a postgresql:// URI");
  cmd->add_option("--snapshot", args->snapshot,
                  "A snapshot file (modelguard.governance-snapshot/v1 JSON) instead of a database");
  cmd->add_option("-o,--output", args->output, "The folder to write the site into (created when missing)")->required();
  cmd->add_option("--controls", args->controls, "A control mapping file instead of the built-in one");
  cmd->add_option("--now", args->now,
                  "The date the site describes, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (default: now); periods and "
                  "overdue dates count from it");
  AddFormatOption(cmd, args->format, {"text", "json"});
  Describe(cmd,
           "Writes a static site (index.html and the pages it links; no external requests, readable without "
           "JavaScript) and prints the organisation's answers to the AI-security checklist. The rules behind "
           "each answer are in docs/dashboard.md.",
           {"modelguard report --db governance.db -o site/",
            "modelguard report --snapshot org.json --now 2026-12-01 -o site/ --format json"},
           "0 no checklist answer is \"no\", 1 some organisation-wide answer is \"no\", 2 usage or I/O error");
  return [args] { return RunReport(*args); };
}

}  // namespace modelguard::cli
