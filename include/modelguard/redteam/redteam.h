#pragma once
// `modelguard redteam llm`: a campaign of attacks against a chat endpoint (the ChatTarget of target.h).
// Probe families are data (policies/redteam/<family>.json, shipped in the binary; users add their own);
// converters rewrite a probe's payload (base64, rot13, ...); detectors decide from the answer whether the
// attack succeeded and point at the evidence. Converters and detectors each sit in one registry list, which
// help text, `redteam list` and docs read. The runner plans family x probe x goal x converter x attempt
// with stable ids, runs them on a fixed number of threads and can resume from a state file.
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "modelguard/core/result.h"
#include "modelguard/redteam/target.h"

namespace modelguard::redteam {

inline constexpr const char* kFamilySchema = "modelguard.redteam-family/v1";
inline constexpr const char* kReportSchema = "modelguard.redteam/v1";
inline constexpr const char* kStateSchema = "modelguard.redteam-state/v1";

// Limits on probe files (user files are input like any other).
inline constexpr uint64_t kMaxFamilyFileBytes = uint64_t{4} << 20;
inline constexpr size_t kMaxProbesPerFamily = 10000;
inline constexpr size_t kMaxTurnsPerProbe = 256;
inline constexpr unsigned kMaxAttempts = 1000;
inline constexpr unsigned kMaxConcurrency = 256;

// ---- Converters -------------------------------------------------------------------------------------------

struct ConverterDescriptor {
  std::string_view name;
  std::string_view description;
  // Put in front of the converted payload so a model can read it ("" when the text stays readable).
  std::string_view preamble;
  std::string (*apply)(std::string_view payload);
  // The inverse, for converters that lose nothing (tests check the round trip); nullptr when lossy.
  std::string (*decode)(std::string_view converted);
};

// The registry (src/redteam/converters/registry.cpp), in the order help and reports list them.
std::span<const ConverterDescriptor> Converters();
const ConverterDescriptor* FindConverter(std::string_view name);
// The payload as a probe sends it through `converter`: preamble + converted text.
std::string ApplyConverter(const ConverterDescriptor& converter, std::string_view payload);

// ---- Detectors --------------------------------------------------------------------------------------------

struct DetectorInput {
  const ChatAnswer& answer;
  std::string_view canary;         // the canary planted in this probe's system prompt
  std::string_view system_prompt;  // the system prompt sent (for leak overlap)
  const nlohmann::json& settings;  // the probe's detector settings, placeholders already filled in
};

struct Detection {
  bool success = false;     // the attack worked
  std::string evidence;     // the matched span of the answer (or tool call), for highlighting
  std::string explanation;  // one line: what matched, or why nothing did
};

struct DetectorDescriptor {
  std::string_view name;
  std::string_view description;
  std::string_view settings_doc;  // the settings it reads, one line
  // Checks a probe's settings when the family loads (unknown keys, wrong types, bad regexes).
  Status (*validate)(const nlohmann::json& settings);
  Detection (*detect)(const DetectorInput& input);
};

// The registry (src/redteam/detectors/registry.cpp).
std::span<const DetectorDescriptor> Detectors();
const DetectorDescriptor* FindDetector(std::string_view name);

// ---- Families ---------------------------------------------------------------------------------------------

struct Turn {
  std::string role;     // system | user | assistant | tool
  std::string content;  // template: {{canary}} {{marker}} {{goal}} {{payload}} {{attacker_domain}} {{system_prompt}}
  std::string name;     // role tool: the tool's name
};

struct ProbeSpec {
  std::string id;
  std::string description;
  std::vector<Turn> turns;
  std::string payload;  // template; what {{payload}} in the turns becomes after a converter rewrote it
  std::vector<ToolDeclaration> tools;
  std::string detector;
  nlohmann::json detector_settings = nlohmann::json::object();
  std::vector<std::string> converters;  // names; ["none"] when the file gives none
  bool uses_goal = false;               // a turn or the payload says {{goal}}: one plan item per goal
};

struct Family {
  std::string name;
  std::string description;
  std::string source;  // "builtin:<file>" or the path it was read from
  std::vector<std::string> goals;
  std::vector<ProbeSpec> probes;
};

// Parses and validates one family file (schema, ids, roles, placeholders, detector settings, converters).
Result<Family> ParseFamily(std::string_view json_text, const std::string& source);
// The families shipped in the binary (policies/redteam/*.json), by name.
Result<std::vector<Family>> BuiltinFamilies();
struct EmbeddedFile {
  std::string_view name;
  std::string_view text;
};
std::span<const EmbeddedFile> BuiltinFamilyFiles();
// A family file, or every *.json in a directory (sorted by name).
Result<std::vector<Family>> LoadFamilies(const std::string& path);

// ---- Plan and run -----------------------------------------------------------------------------------------

struct CampaignConfig {
  std::vector<Family> families;  // what runs, in order
  // Converters allowed besides "none" (empty: every converter a probe names).
  std::vector<std::string> converters;
  unsigned attempts = 1;
  std::optional<uint64_t> seed;  // canaries and markers derive from it and the probe id; random when unset
  std::string system_prompt;     // the user's own system prompt (a canary is appended); empty: a built-in one
  std::string attacker_domain = "attacker.example";
  // HTTP statuses that mean "a guard in front of the model refused this" (a gateway answering 400 to an
  // injection, 403 to a leaking answer): such a probe is judged a failed attack (blocked), not an error.
  std::vector<int> blocked_statuses;
};

struct PlanItem {
  std::string id;  // family/probe[/g<goal>]/converter/a<attempt>: stable across runs
  size_t family = 0;
  size_t probe = 0;
  int goal = -1;
  std::string converter;
  unsigned attempt = 1;
};
std::vector<PlanItem> BuildPlan(const CampaignConfig& config);

enum class ProbeStatus { kSuccess, kFailure, kError };
const char* ToString(ProbeStatus status);

struct ProbeOutcome {
  std::string id;
  std::string family;
  std::string probe;
  std::string converter;
  std::string goal;
  unsigned attempt = 1;
  ProbeStatus status = ProbeStatus::kFailure;
  std::string detector;
  std::string evidence;
  std::string explanation;
  std::string error;     // status kError: why the probe could not be judged
  bool blocked = false;  // refused with one of the blocked statuses (status kFailure)
  std::string canary;
  std::vector<ChatMessage> transcript;  // what was sent and every answer, in order
  std::vector<ToolCall> tool_calls;     // of the judged (last) answer
  uint64_t requests = 0;
  uint64_t prompt_tokens = 0;
  uint64_t completion_tokens = 0;
  double seconds = 0;
  // The judge's verdict (RunOptions::judge), recorded beside the detector's and never replacing it:
  // "success" (the attack worked), "failure", "error" (no usable verdict: judge_reason says why), or ""
  // when no judge ran (no judge, or the probe got no answer).
  std::string judge_verdict;
  std::string judge_reason;
};
nlohmann::json OutcomeToJson(const ProbeOutcome& outcome);
Result<ProbeOutcome> OutcomeFromJson(const nlohmann::json& json);

struct RunOptions {
  unsigned concurrency = 4;
  std::string state_path;  // "": no state file
  // Stop when this many probes in a row could not get an answer before any probe got one: an endpoint
  // that is down or misconfigured fails fast instead of once per probe (0: never).
  unsigned stop_after_errors = 5;
  std::function<void(const ProbeOutcome&, size_t done, size_t total)> progress;  // called under a lock
  // An LLM judge (any chat endpoint): each answered probe is also sent to it with the family's and the
  // probe's description as the rubric; its verdict is recorded next to the detector's. Null: none.
  ChatTarget* judge = nullptr;
};

// The judge's verdict on one answered probe: fills judge_verdict and judge_reason (an unusable answer is
// "error" with the reason, never a guess).
void JudgeOutcome(ChatTarget& judge, const Family& family, const ProbeSpec& probe, ProbeOutcome& outcome);

struct CampaignResult {
  std::string target;
  uint64_t seed = 0;
  size_t planned = 0;
  size_t resumed = 0;  // outcomes read back from the state file
  bool complete = false;
  std::string stop_reason;  // "budget: ..." or "interrupted" when not complete
  bool interrupted = false;
  double seconds = 0;                  // wall time of this process's run
  std::vector<ProbeOutcome> outcomes;  // in plan order
};

// Runs the plan against `target`. Errors are only for the campaign itself (state file unreadable or from
// another seed); a probe that fails to get an answer is an outcome with status kError. The state file gets
// one line per judged probe (success or failure); probes that errored or were cut off by a budget or
// Ctrl-C are not written, so a resumed run tries them again and never repeats a judged one.
Result<CampaignResult> RunCampaign(ChatTarget& target, const CampaignConfig& config, const RunOptions& options);

// One probe, rendered and sent (the runner's unit of work; tests use it directly).
ProbeOutcome RunProbe(ChatTarget& target, const CampaignConfig& config, uint64_t seed, const PlanItem& item,
                      Status* stop);

// ---- Report -----------------------------------------------------------------------------------------------

struct Rate {
  std::string name;
  uint64_t attempts = 0;  // judged probes (errors excluded)
  uint64_t successes = 0;
  uint64_t errors = 0;
  uint64_t blocked = 0;  // judged failures because the endpoint refused the request
  double success_rate() const {
    return attempts == 0 ? 0.0 : static_cast<double>(successes) / static_cast<double>(attempts);
  }
};
struct Summary {
  Rate overall;
  std::vector<Rate> families;    // in campaign order
  std::vector<Rate> converters;  // in registry order, those that ran
  uint64_t requests = 0;
  uint64_t prompt_tokens = 0;
  uint64_t completion_tokens = 0;
  double probe_seconds = 0;  // sum of the probes' own wall time
};
Summary Summarize(const CampaignResult& result, const CampaignConfig& config);

nlohmann::ordered_json ReportJson(const CampaignResult& result, const CampaignConfig& config);
std::string ReportText(const CampaignResult& result, const CampaignConfig& config);
nlohmann::ordered_json ReportSarif(const CampaignResult& result, const CampaignConfig& config);
// A self-contained page (no scripts, no external resources): bars per family and converter, the successful
// probes' transcripts with the detector's evidence marked, the cost.
std::string ReportHtml(const CampaignResult& result, const CampaignConfig& config);

// Markdown tables of the families, the converter registry and the detector registry (docs/redteam.md).
std::string CatalogMarkdown(const std::vector<Family>& families);

// 1 when the overall or any family's success rate is at or above fail_on (fail_on < 0: never), else 0.
int FailOnExitCode(const Summary& summary, double fail_on);

}  // namespace modelguard::redteam
