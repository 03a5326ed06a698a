// `modelguard redteam llm URL ...`: the red-team campaign against a chat endpoint, and `redteam list`: the
// families, converters and detectors it knows. The work is in src/redteam/; this file parses and prints.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>

#include "modelguard/core/cancel.h"
#include "modelguard/core/io.h"
#include "modelguard/redteam/redteam.h"
#include "tools/modelguard/cli_util.h"
#include "tools/modelguard/commands.h"

namespace modelguard::cli {
namespace {

// Inputs the command reads whole.
constexpr uint64_t kMaxSystemPromptBytes = uint64_t{1} << 20;
constexpr uint64_t kMaxTemplateBytes = uint64_t{1} << 20;

struct RedteamArgs {
  std::string url;
  std::string model;
  std::string api_key_env;
  std::string system_prompt_file;
  std::string families;
  std::string converters;
  unsigned attempts = 1;
  unsigned concurrency = 4;
  double rate = 0;
  uint64_t budget_requests = 0;
  uint64_t budget_tokens = 0;
  std::string state;
  std::string report_dir;
  std::string format;
  double fail_on = -1;
  bool stream = false;
  std::string request_template;
  std::string answer_pointer;
  std::vector<std::string> probes;
  uint64_t seed = 0;
  double timeout = 60;
  unsigned retries = 4;
  std::string ca_file;
  std::string attacker_domain = "attacker.example";
  std::string blocked_statuses;
  std::string judge_url;
  std::string judge_model;
  std::string judge_api_key_env;
  CLI::Option* seed_option = nullptr;
  CLI::Option* fail_on_option = nullptr;
};

int Fail(const std::string& message) {
  std::cerr << "modelguard redteam llm: " << message << "\n";
  return 2;
}

// Built-in families, then the user's (--probes); a user family with a built-in's name replaces it.
Result<std::vector<redteam::Family>> Families(const RedteamArgs& args) {
  MG_ASSIGN_OR_RETURN(std::vector<redteam::Family> families, redteam::BuiltinFamilies());
  for (const std::string& path : args.probes) {
    MG_ASSIGN_OR_RETURN(std::vector<redteam::Family> mine, redteam::LoadFamilies(path));
    for (redteam::Family& family : mine) {
      auto same = std::find_if(families.begin(), families.end(), [&](const auto& f) { return f.name == family.name; });
      if (same != families.end()) {
        *same = std::move(family);
      } else {
        families.push_back(std::move(family));
      }
    }
  }
  const std::vector<std::string> wanted = SplitCommaList(args.families);
  if (wanted.empty()) return families;
  std::vector<redteam::Family> chosen;
  for (const std::string& name : wanted) {
    auto it = std::find_if(families.begin(), families.end(), [&](const auto& f) { return f.name == name; });
    if (it == families.end()) {
      std::string known;
      for (const auto& f : families) known += (known.empty() ? "" : ", ") + f.name;
      return MakeError(ErrorCode::kInvalidArgument, "--families: unknown family '" + name + "' (known: " + known + ")");
    }
    chosen.push_back(*it);
  }
  return chosen;
}

int RunLlm(const RedteamArgs& args) {
  const std::string format = args.format.empty() ? "text" : args.format;
  if (args.attempts == 0 || args.attempts > redteam::kMaxAttempts) {
    return Fail("--attempts must be 1 to " + std::to_string(redteam::kMaxAttempts));
  }
  if (args.concurrency == 0 || args.concurrency > redteam::kMaxConcurrency) {
    return Fail("--concurrency must be 1 to " + std::to_string(redteam::kMaxConcurrency));
  }
  if (args.fail_on_option->count() && (args.fail_on < 0 || args.fail_on > 1)) {
    return Fail("--fail-on is a success rate from 0 to 1");
  }
  if (args.rate < 0) return Fail("--rate must not be negative");
  if (!(args.timeout > 0)) return Fail("--timeout must be positive");
  if (args.answer_pointer.empty() != args.request_template.empty()) {
    return Fail("--request-template and --answer-pointer go together");
  }

  redteam::CampaignConfig config;
  auto families = Families(args);
  if (!families) return Fail(families.error().message);
  config.families = std::move(families).value();
  config.converters = SplitCommaList(args.converters);
  for (const std::string& name : config.converters) {
    if (!redteam::FindConverter(name)) return Fail("--converters: unknown converter '" + name + "'");
  }
  config.attempts = args.attempts;
  if (args.seed_option->count()) config.seed = args.seed;
  config.attacker_domain = args.attacker_domain;
  for (const std::string& status : SplitCommaList(args.blocked_statuses)) {
    if (status.size() != 3 || status.find_first_not_of("0123456789") != std::string::npos || status[0] != '4') {
      return Fail("--blocked-status takes 4xx HTTP statuses (e.g. 400,403), not '" + status + "'");
    }
    config.blocked_statuses.push_back(std::stoi(status));
  }
  if (!args.system_prompt_file.empty()) {
    auto text = ReadFile(args.system_prompt_file, kMaxSystemPromptBytes);
    if (!text) return Fail("--system-prompt: " + text.error().message);
    config.system_prompt = std::move(text).value();
  }

  redteam::TargetOptions target_options;
  target_options.url = args.url;
  target_options.model = args.model;
  target_options.stream = args.stream;
  target_options.ca_file = args.ca_file;
  target_options.timeout = std::chrono::milliseconds(static_cast<int64_t>(args.timeout * 1000));
  target_options.max_retries = args.retries;
  target_options.requests_per_second = args.rate;
  target_options.budget_requests = args.budget_requests;
  target_options.budget_tokens = args.budget_tokens;
  target_options.answer_pointer = args.answer_pointer;
  if (!args.request_template.empty()) {
    auto text = ReadFile(args.request_template, kMaxTemplateBytes);
    if (!text) return Fail("--request-template: " + text.error().message);
    target_options.request_template = std::move(text).value();
  }
  if (!args.api_key_env.empty()) {
    const char* key = std::getenv(args.api_key_env.c_str());
    if (!key || !*key) return Fail("--api-key-env: the environment variable " + args.api_key_env + " is not set");
    target_options.api_key = key;
  }
  auto target = redteam::MakeChatTarget(target_options);
  if (!target) return Fail(target.error().message);
  // The judge: its own endpoint, key and model; the target's timeout and retries, none of its budgets.
  std::unique_ptr<redteam::ChatTarget> judge;
  if (!args.judge_url.empty()) {
    redteam::TargetOptions judge_options;
    judge_options.url = args.judge_url;
    judge_options.model = args.judge_model;
    judge_options.ca_file = args.ca_file;
    judge_options.timeout = target_options.timeout;
    judge_options.max_retries = args.retries;
    if (!args.judge_api_key_env.empty()) {
      const char* key = std::getenv(args.judge_api_key_env.c_str());
      if (!key || !*key)
        return Fail("--judge-api-key-env: the environment variable " + args.judge_api_key_env + " is not set");
      judge_options.api_key = key;
    }
    auto made = redteam::MakeChatTarget(judge_options);
    if (!made) return Fail("--judge: " + made.error().message);
    judge = std::move(made).value();
  }

  // SIGINT/SIGTERM: no new probe starts; what finished is in the state file and the partial report.
  cancel::InstallSignalHandlers();
  redteam::RunOptions run;
  run.concurrency = args.concurrency;
  run.state_path = args.state;
  run.judge = judge.get();
  const bool tty = isatty(STDERR_FILENO) && !Quiet();
  run.progress = [tty](const redteam::ProbeOutcome& o, size_t done, size_t total) {
    Detail() << "modelguard redteam llm: " << o.id << ": " << redteam::ToString(o.status)
             << (o.error.empty() ? "" : " (" + o.error + ")") << "\n";
    if (tty && !Verbose()) std::fprintf(stderr, "\r\033[Kprobes %zu/%zu", done, total);
  };
  Note() << "modelguard redteam llm: " << redteam::BuildPlan(config).size() << " probes against "
         << (*target)->Describe() << "\n";
  auto result = redteam::RunCampaign(**target, config, run);
  if (tty && !Verbose()) std::fprintf(stderr, "\r\033[K");
  if (!result) return Fail(result.error().message);
  if (result->resumed)
    Note() << "modelguard redteam llm: " << result->resumed << " probes read back from " << args.state << "\n";

  const nlohmann::ordered_json json = redteam::ReportJson(*result, config);
  const std::string text = redteam::ReportText(*result, config);
  const nlohmann::ordered_json sarif = redteam::ReportSarif(*result, config);
  if (!args.report_dir.empty()) {
    std::vector<std::string> inputs = args.probes;
    inputs.insert(inputs.end(), {args.system_prompt_file, args.request_template, args.state});
    if (auto written = WriteReportFolder(args.report_dir,
                                         {{"report.json", ReportJson(json) + "\n"},
                                          {"report.sarif", ReportJson(sarif) + "\n"},
                                          {"report.txt", text},
                                          {"report.html", redteam::ReportHtml(*result, config)}},
                                         inputs, "--report");
        !written)
      return Fail(written.error().message);
    Note() << "modelguard redteam llm: reports in " << args.report_dir
           << "/ (report.json, report.sarif, report.txt, report.html)\n";
  }
  if (format == "json") {
    std::cout << ReportJson(json) << "\n";
  } else if (format == "sarif") {
    std::cout << ReportJson(sarif) << "\n";
  } else {
    std::cout << text;
  }

  if (result->interrupted) {
    std::cerr << "modelguard redteam llm: interrupted after " << result->outcomes.size() << " of " << result->planned
              << " probes" << (args.state.empty() ? "" : "; rerun with the same --state to resume") << "\n";
    return cancel::InterruptedExitCode();
  }
  const redteam::Summary summary = redteam::Summarize(*result, config);
  if (summary.overall.attempts == 0 && summary.overall.errors > 0) {
    std::string first_error;
    for (const auto& o : result->outcomes) {
      if (!o.error.empty()) {
        first_error = o.error;
        break;
      }
    }
    return Fail("no probe got an answer: " + (result->complete ? first_error : result->stop_reason));
  }
  if (!result->complete) {
    std::cerr << "modelguard redteam llm: stopped after " << result->outcomes.size() << " of " << result->planned
              << " probes: " << result->stop_reason << "\n";
  }
  return redteam::FailOnExitCode(summary, args.fail_on_option->count() ? args.fail_on : -1);
}

int RunList() {
  auto families = redteam::BuiltinFamilies();
  if (!families) return Fail(families.error().message);
  std::cout << "Families (policies/redteam/; add your own with --probes):\n";
  for (const auto& f : *families) {
    std::cout << "  " << f.name << " (" << f.probes.size() << " probes): " << f.description << "\n";
  }
  std::cout << "\nConverters (--converters):\n";
  for (const auto& c : redteam::Converters()) std::cout << "  " << c.name << ": " << c.description << "\n";
  std::cout << "\nDetectors (\"detector\": {\"kind\": ...} in a family file):\n";
  for (const auto& d : redteam::Detectors()) {
    std::cout << "  " << d.name << ": " << d.description << "\n      settings: " << d.settings_doc << "\n";
  }
  return 0;
}

std::string ConverterNames() {
  std::string names;
  for (const auto& c : redteam::Converters()) names += (names.empty() ? "" : ", ") + std::string(c.name);
  return names;
}

}  // namespace

Action AddRedteam(CLI::App& command) {
  auto args = std::make_shared<RedteamArgs>();
  CLI::App* cmd = &command;
  cmd->require_subcommand(1);
  Describe(cmd, "Reference: docs/redteam.md.",
           {"modelguard redteam llm http://127.0.0.1:8000/v1/chat/completions --model my-model --fail-on 0.2",
            "modelguard redteam list"});
  CLI::App* llm = cmd->add_subcommand("llm", "Attack an OpenAI-compatible (or templated HTTP JSON) chat endpoint");
  llm->add_option("url", args->url, "The endpoint: chat completions URL (or any URL with --request-template)")
      ->required();
  llm->add_option("--model", args->model, "The \"model\" field sent with each request");
  llm->add_option("--api-key-env", args->api_key_env, "Environment variable holding the API key (sent as Bearer)");
  llm->add_option("--system-prompt", args->system_prompt_file,
                  "Your application's system prompt (a file); a fresh canary is appended to it per probe");
  llm->add_option("--families", args->families, "Comma-separated families to run (default: all; see redteam list)");
  llm->add_option("--converters", args->converters,
                  "Comma-separated converters besides none (default: every one a probe names): " + ConverterNames());
  llm->add_option("--attempts", args->attempts, "Times each probe is sent (default 1)");
  llm->add_option("--concurrency", args->concurrency, "Probes in flight at once (default 4)");
  llm->add_option("--rate", args->rate, "Requests per second at most, all threads together (default: unlimited)");
  llm->add_option("--budget-requests", args->budget_requests, "Stop after this many requests (retries count)");
  llm->add_option("--budget-tokens", args->budget_tokens, "Stop after this many tokens (as the endpoint reports)");
  llm->add_option("--state", args->state,
                  "Append each judged probe here (JSON lines); a rerun with the same file skips them");
  llm->add_option("--report", args->report_dir,
                  "Write report.json, report.sarif, report.txt and report.html into this directory");
  AddFormatOption(llm, args->format, {"text", "json", "sarif"});
  args->fail_on_option = llm->add_option(
      "--fail-on", args->fail_on, "Exit 1 when the overall or any family's success rate is at or above this (0-1)");
  llm->add_flag("--stream", args->stream, "Ask for server-sent-event streams (\"stream\": true)");
  llm->add_option("--request-template", args->request_template,
                  "A JSON request body with {{prompt}} and {{system}} placeholders (a file), for non-OpenAI APIs");
  llm->add_option("--answer-pointer", args->answer_pointer,
                  "JSON pointer to the answer text (with --request-template)");
  llm->add_option("--probes", args->probes,
                  "A family file or a directory of them, added to the built-ins (repeatable)");
  args->seed_option = llm->add_option(
      "--seed", args->seed, "Canaries and markers derive from it (default: random, kept in the --state file)");
  llm->add_option("--timeout", args->timeout, "Seconds per request, connect to last byte (default 60)");
  llm->add_option("--retries", args->retries, "Retries on 429, 5xx and connection failures (default 4)");
  llm->add_option("--ca-file", args->ca_file, "PEM CA certificates for an https:// endpoint");
  llm->add_option("--blocked-status", args->blocked_statuses,
                  "Comma-separated 4xx statuses a guard in front of the model refuses with (e.g. 400,403): such "
                  "probes count as blocked attacks, not errors");
  llm->add_option("--judge", args->judge_url,
                  "An OpenAI-compatible chat endpoint that also grades every answered probe; its verdict is "
                  "recorded beside the detectors', never instead of them");
  llm->add_option("--judge-model", args->judge_model, "The \"model\" field sent to the judge");
  llm->add_option("--judge-api-key-env", args->judge_api_key_env, "Environment variable holding the judge's API key");
  llm->add_option("--attacker-domain", args->attacker_domain,
                  "The domain output probes use for exfiltration links (default attacker.example)");
  Describe(llm,
           "Runs every probe of the chosen families (x goals x converters x attempts) and judges each answer with "
           "the probe's detector. Prints the summary (--format) and writes the reports (--report). Ctrl-C stops "
           "cleanly: judged probes are in the --state file and a rerun with it resumes.",
           {"modelguard redteam llm http://127.0.0.1:8000/v1/chat/completions --model my-model --fail-on 0.2",
            "modelguard redteam llm https://api.example/v1/chat/completions --api-key-env API_KEY "
            "--families injection,extraction --state rt.jsonl --report rt-report --budget-requests 500",
            "modelguard redteam llm http://127.0.0.1:9000/ask --request-template body.json --answer-pointer "
            "/output/text"},
           "0 done and below --fail-on, 1 a success rate at or above --fail-on, 2 usage, I/O or endpoint error "
           "(no probe answered), 130 interrupted (state saved)");
  CLI::App* list = cmd->add_subcommand("list", "The probe families, converters and detectors");
  Describe(list, "", {"modelguard redteam list"}, "0 listed, 2 a built-in family failed to load");
  return [args, llm, list] {
    if (llm->parsed()) return RunLlm(*args);
    if (list->parsed()) return RunList();
    return 2;
  };
}

}  // namespace modelguard::cli
