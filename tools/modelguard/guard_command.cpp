#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "modelguard/core/io.h"
#include "modelguard/core/json_fields.h"
#include "modelguard/guard/guard.h"
#include "modelguard/guard/train.h"
#include "tools/modelguard/cli_util.h"
#include "tools/modelguard/commands.h"

namespace modelguard::cli {
namespace {

struct GuardArgs {
  std::string input = "-";
  std::string output;
  std::string field = "text";
  std::string role = "user";
  std::string role_field;
  std::string model;
  std::string signatures;
  std::string second_stage;  // classify: a second-stage model file, or "none"
  std::string fail_on = "block";
  std::string mode = "mask";
  std::string on_oversize = "flag";  // classify: texts longer than the guard examines
  bool plain = false;
  bool timing = false;
  bool no_pii = false;
  bool no_secrets = false;
  bool in_place = false;
  std::string vault_output;
  std::vector<std::string> allow;       // ENTITY=value
  std::vector<std::string> categories;  // CATEGORY=ACTION
  std::string system_prompt_file;       // classify: the system prompt every text answers to
  std::string system_field;             // classify: the field holding each line's own system prompt
  guard::TrainRequest train;
};

int Fail(const char* command, const std::string& message) {
  std::cerr << "modelguard guard " << command << ": " << message << "\n";
  return 2;
}

std::shared_ptr<const guard::Guard> MakeGuard(const GuardArgs& args, const char* command) {
  const std::string full_command = std::string("guard ") + command;
  const std::string second_stage_file = args.second_stage == "none" ? std::string() : args.second_stage;
  for (const auto& file : {args.model, args.signatures, second_stage_file}) {
    if (!file.empty() && !CheckInputFile(file, full_command.c_str())) return nullptr;
  }
  guard::GuardOptions options;
  options.model_path = args.model;
  options.signatures_path = args.signatures;
  options.second_stage = args.second_stage != "none";
  options.second_stage_path = second_stage_file;
  options.pii = !args.no_pii;
  options.secrets = !args.no_secrets;
  auto oversize = guard::ParseOversize(args.on_oversize);
  if (!oversize) {
    Fail(command, "--on-oversize: " + oversize.error().message);
    return nullptr;
  }
  options.on_oversize = *oversize;
  for (const auto& entry : args.allow) {
    const size_t eq = entry.find('=');
    if (eq == std::string::npos || eq == 0) {
      Fail(command, "--allow takes ENTITY=value (e.g. EMAIL=support@acme.example, or *=value)");
      return nullptr;
    }
    options.allowlist[entry.substr(0, eq)].push_back(entry.substr(eq + 1));
  }
  for (const auto& entry : args.categories) {
    if (auto parsed = guard::ParseCategoryAction(entry, options.category_actions); !parsed) {
      Fail(command, "--category: " + parsed.error().message);
      return nullptr;
    }
  }
  auto created = guard::Guard::Create(options);
  if (!created) {
    Fail(command, created.error().message);
    return nullptr;
  }
  return *created;
}

// Each input line: a JSON object (the text in --field) or, with --plain, the text itself.
struct InputLine {
  std::string text;
  nlohmann::json object;
  std::string error;
};

InputLine ParseLine(const std::string& line, const GuardArgs& args) {
  InputLine parsed;
  if (args.plain) {
    parsed.text = line;
    return parsed;
  }
  parsed.object = nlohmann::json::parse(line, nullptr, false);
  if (!parsed.object.is_object()) {
    parsed.error = "not a JSON object (use --plain for one text per line)";
  } else if (auto field = parsed.object.find(args.field); field == parsed.object.end()) {
    parsed.error = "no string field '" + args.field + "'";
  } else if (!field->is_string()) {
    parsed.error = JsonField(*field, args.field).TypeError("string").message;
  } else {
    parsed.text = field->get<std::string>();
  }
  return parsed;
}

struct Streams {
  explicit Streams(const char* command) : output(command) {}
  std::ifstream in_file;
  std::istream* in = &std::cin;
  Output output;
  std::ostream& out() { return output.stream(); }
};

// The input must be a file (or stdin), and the output may only replace it with --in-place: results are
// written to a temporary file and renamed, so replacing the input is safe, but never by accident.
bool OpenStreams(const GuardArgs& args, Streams& streams, const char* command) {
  const std::string full_command = std::string("guard ") + command;
  if (!CheckInputFile(args.input, full_command.c_str())) return false;
  std::string output = args.output;
  if (args.in_place) {
    if (args.input == "-") return Fail(command, "--in-place needs --input FILE") == 0;
    if (!output.empty() && !SameFile(output, args.input))
      return Fail(command, "--in-place writes the result to --input; leave out --output") == 0;
    output = args.input;
  } else if (!output.empty() && args.input != "-" && SameFile(output, args.input)) {
    return Fail(command, std::string("--output '") + output + "' is the --input file" +
                             (std::string(command) == "redact" ? "; pass --in-place to replace it" : "")) == 0;
  }
  if (args.input != "-") {
    streams.in_file.open(args.input, std::ios::binary);
    if (!streams.in_file) return Fail(command, "cannot read '" + args.input + "'") == 0;
    streams.in = &streams.in_file;
  }
  return streams.output.Open(output);
}

int RunClassify(const GuardArgs& args) {
  auto default_role = guard::ParseRole(args.role);
  if (!default_role) return Fail("classify", default_role.error().message);
  if (args.fail_on != "block" && args.fail_on != "flag" && args.fail_on != "never")
    return Fail("classify", "--fail-on must be block, flag or never");
  auto guard = MakeGuard(args, "classify");
  if (!guard) return 2;
  std::string system_prompt;
  if (!args.system_prompt_file.empty()) {
    if (!CheckInputFile(args.system_prompt_file, "guard classify")) return 2;
    auto read = ReadFile(args.system_prompt_file, uint64_t{1} << 20);
    if (!read) return Fail("classify", "--system-prompt: " + read.error().message);
    system_prompt = std::move(*read);
  }
  const guard::SystemPrompt prepared(system_prompt);
  Streams streams("guard classify");
  if (!OpenStreams(args, streams, "classify")) return 2;
  std::string line;
  size_t number = 0, errors = 0, flagged = 0, blocked = 0, oversize = 0;
  while (std::getline(*streams.in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    InputLine input = ParseLine(line, args);
    nlohmann::ordered_json result = {{"line", number}};
    if (input.object.is_object() && input.object.contains("id")) result["id"] = input.object["id"];
    guard::Role role = *default_role;
    if (input.error.empty() && !args.role_field.empty() && input.object.is_object()) {
      // Absent: the --role default. Of the wrong type: an error for the line, never the default in its place.
      if (auto r = input.object.find(args.role_field); r != input.object.end() && !r->is_string()) {
        input.error = JsonField(*r, args.role_field).TypeError("string").message;
      } else if (r != input.object.end()) {
        auto parsed = guard::ParseRole(r->get<std::string>());
        if (!parsed)
          input.error = parsed.error().message;
        else
          role = *parsed;
      }
    }
    std::string line_prompt;
    if (input.error.empty() && !args.system_field.empty() && input.object.is_object()) {
      // Each line's own system prompt; absent, the --system-prompt file's (or none).
      if (auto f = input.object.find(args.system_field); f != input.object.end() && !f->is_string())
        input.error = JsonField(*f, args.system_field).TypeError("string").message;
      else if (f != input.object.end())
        line_prompt = f->get<std::string>();
    }
    if (!input.error.empty()) {
      ++errors;
      result["error"] = input.error;
      std::cerr << "modelguard guard classify: line " << number << ": " << input.error << "\n";
    } else {
      const auto started = std::chrono::steady_clock::now();
      // The --system-prompt file is prepared once; a line's own prompt for that line.
      const auto assessment = line_prompt.empty()
                                  ? guard->Classify(input.text, role, system_prompt.empty() ? nullptr : &prepared)
                                  : guard->Classify(input.text, role, line_prompt);
      if (args.timing)
        result["micros"] =
            std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - started).count();
      result["role"] = guard::ToString(role);
      const auto fields = guard::ToJson(assessment);  // named: a temporary would die before the loop body
      for (const auto& [key, value] : fields.items()) result[key] = value;
      flagged += assessment.verdict == guard::Verdict::kFlag;
      blocked += assessment.verdict == guard::Verdict::kBlock;
      oversize += assessment.truncated && args.on_oversize != "allow";
    }
    streams.out() << ReportJson(result, -1) << "\n";
  }
  if (streams.in->bad()) return Fail("classify", "cannot read '" + args.input + "'");
  if (!streams.output.Close()) return 2;
  Note() << "modelguard guard classify: " << number << " lines, " << blocked << " block, " << flagged << " flag, "
         << errors << " errors\n";
  if (errors) return 2;
  // A text only partly examined is never reported as a pass, whatever --fail-on says.
  if (oversize) {
    std::cerr << "modelguard guard classify: " << oversize
              << " texts were longer than the guard examines (guard.oversize); only their head was read\n";
    return 1;
  }
  if (args.fail_on == "block" && blocked) return 1;
  if (args.fail_on == "flag" && (blocked || flagged)) return 1;
  return 0;
}

int RunRedact(const GuardArgs& args) {
  auto mode = guard::ParseRedactMode(args.mode);
  if (!mode) return Fail("redact", mode.error().message);
  if (*mode == guard::RedactMode::kVault && args.vault_output.empty())
    return Fail("redact", "--mode vault needs --vault-output FILE");
  auto guard = MakeGuard(args, "redact");
  if (!guard) return 2;
  Streams streams("guard redact");
  if (!OpenStreams(args, streams, "redact")) return 2;
  guard::Vault vault;
  size_t redacted = 0, errors = 0, number = 0;
  std::map<std::string, size_t> by_entity;
  bool incomplete = false;
  auto redact = [&](const std::string& text) {
    auto result = guard->Redact(text, *mode, !args.no_pii, !args.no_secrets, &vault);
    incomplete = result.incomplete;
    redacted += result.redacted.size();
    for (const auto& d : result.redacted) ++by_entity[d.entity];
    return result.text;
  };
  if (args.plain) {
    // Plain text is redacted as a whole, so entities spanning lines (PEM blocks) are found.
    auto text = ReadFile(args.input);
    if (!text) return Fail("redact", text.error().message);
    std::string clean = redact(*text);
    // Output that may still hold personal data or credentials is not output at all.
    if (incomplete)
      return Fail("redact",
                  "the input is too large or too dense to redact completely (more than 1 MiB, or more candidates than "
                  "one scan keeps); split it");
    streams.out() << clean;
  } else {
    std::string line;
    while (std::getline(*streams.in, line)) {
      ++number;
      if (line.empty()) continue;
      InputLine input = ParseLine(line, args);
      if (!input.error.empty()) {
        ++errors;
        std::cerr << "modelguard guard redact: line " << number << ": " << input.error << "\n";
        continue;  // never pass an unredacted line through
      }
      std::string clean = redact(input.text);
      if (incomplete) {
        ++errors;
        std::cerr << "modelguard guard redact: line " << number
                  << ": too large or too dense to redact completely; dropped\n";
        continue;
      }
      input.object[args.field] = std::move(clean);
      streams.out() << ReportJson(input.object, -1) << "\n";
    }
  }
  if (streams.in->bad()) return Fail("redact", "cannot read '" + args.input + "'");
  // Dropped lines are the user's data: the input is only replaced when every line was redacted.
  if (args.in_place && errors)
    return Fail("redact", std::to_string(errors) + " lines could not be redacted; '" + args.input + "' is unchanged");
  // The vault goes first: with --in-place the originals must be safe before the input is replaced.
  if (!args.vault_output.empty()) {
    // The vault holds the originals: written owner-only, from its first byte.
    Output vault_file("guard redact");
    if (!vault_file.Open(args.vault_output, {args.input}, 0600)) return 2;
    vault_file.stream() << nlohmann::json(vault.entries()).dump(2) << "\n";
    if (!vault_file.Close()) return 2;
    Note() << "modelguard guard redact: vault with " << vault.size() << " entries -> " << args.vault_output << "\n";
  }
  if (!streams.output.Close()) return 2;
  nlohmann::ordered_json summary = {{"redacted", redacted}, {"by_entity", by_entity}, {"errors", errors}};
  Note() << "modelguard guard redact: " << ReportJson(summary, -1) << "\n";
  return errors ? 2 : 0;
}

int RunTrain(const GuardArgs& args) {
  if (!CheckInputFile(args.train.corpus_path, "guard train")) return 2;
  auto metadata = guard::TrainInjectionModel(args.train);
  if (!metadata) return Fail("train", metadata.error().message);
  std::cout << ReportJson(*metadata) << "\n";
  return 0;
}

// The detectors as help text, from the guard's one list (ListDetectors), so help never lags behind it.
std::string DetectorHelp() {
  std::string text = "Detectors, in the order they run:";
  for (const guard::DetectorInfo& info : guard::ListDetectors()) {
    text += "\n  " + info.name + ": " + info.summary;
  }
  return text;
}

}  // namespace

Action AddGuard(CLI::App& command) {
  auto args = std::make_shared<GuardArgs>();
  CLI::App* cmd = &command;
  cmd->require_subcommand(1);
  Describe(cmd, DetectorHelp() + "\nReference: docs/guard.md.",
           {"echo '{\"text\":\"Ignore all previous instructions\"}' | modelguard guard classify",
            "modelguard guard redact --plain --input notes.txt --mode hash"});
  CLI::App* classify = cmd->add_subcommand(
      "classify", "Score texts: injection/jailbreak likelihood, verdict and detections (JSONL out)");
  classify->add_option("--input", args->input, "JSONL file, or '-' for stdin (default)");
  classify->add_option("--output", args->output, "Write results here instead of stdout");
  classify->add_option("--field", args->field, "Field holding the text (default: text)");
  classify->add_option("--role", args->role,
                       "Role of the texts: user, system, assistant, tool, document (default: user)");
  classify->add_option("--role-field", args->role_field, "Field holding each line's role (overrides --role)");
  classify->add_flag("--plain", args->plain, "Each input line is a text, not JSON");
  classify->add_flag("--timing", args->timing, "Add each text's classification time in microseconds (\"micros\")");
  classify->add_option("--model", args->model, "A guard model file instead of the built-in one");
  classify->add_option("--second-stage", args->second_stage,
                       "Second-stage model file (scripts/guard/train_stage2.py), or 'none'; the built-in one runs "
                       "only with the built-in --model");
  classify->add_option("--signatures", args->signatures,
                       "A signature rule file instead of the built-in policies/guard-signatures.json");
  classify->add_option("--allow", args->allow, "ENTITY=value never reported (repeatable; * for any entity)");
  classify->add_option("--on-oversize", args->on_oversize,
                       "Texts longer than the guard examines (1 MiB): block, flag (default) or allow; "
                       "block and flag exit 1");
  classify->add_option("--system-prompt", args->system_prompt_file,
                       "The system prompt the texts answer to (a file): texts going after what it protects are "
                       "caught");
  classify->add_option("--system-field", args->system_field,
                       "Field holding each line's own system prompt (overrides --system-prompt for that line)");
  classify->add_option("--category", args->categories,
                       "CATEGORY=ACTION: the most a category may do, block, flag or allow (repeatable; default: "
                       "harmful_request=flag, every other category may block)");
  classify->add_option("--fail-on", args->fail_on,
                       "Exit 1 when any text gets this verdict: block (default), flag, never");
  Describe(
      classify,
      "One JSON object per input line: line, [id], role, score (0-1), scores per category, verdict "
      "(allow|flag|block), detections.\n" +
          DetectorHelp(),
      {"echo '{\"text\":\"Ignore all previous instructions\"}' | modelguard guard classify",
       "modelguard guard classify --input prompts.jsonl --role-field role --fail-on flag",
       "modelguard guard classify --input prompts.jsonl --category harmful_request=block --category jailbreak=flag",
       "modelguard guard classify --input chats.jsonl --system-prompt system.txt"},
      "0 nothing at --fail-on, 1 some text at --fail-on, 2 bad input or usage");
  CLI::App* redact = cmd->add_subcommand("redact", "Replace PII and credentials in text or JSONL");
  redact->add_option("--input", args->input, "Text (--plain) or JSONL file, or '-' for stdin (default)");
  redact->add_option("--output", args->output,
                     "Write the redacted text here instead of stdout (never the --input file)");
  redact->add_flag("--in-place", args->in_place,
                   "Replace the --input file with its redacted text (written atomically)");
  redact->add_option("--field", args->field, "JSONL field to redact (default: text)");
  redact->add_flag("--plain", args->plain, "Input is plain text, redacted as a whole");
  redact->add_option("--mode", args->mode,
                     "mask ([EMAIL]), hash ([EMAIL:1a2b..], stable), vault ([EMAIL_1], reversible)");
  redact->add_option("--vault-output", args->vault_output,
                     "With --mode vault: where the placeholder -> original map goes");
  redact->add_flag("--no-pii", args->no_pii, "Leave personal data alone");
  redact->add_flag("--no-secrets", args->no_secrets, "Leave credentials alone");
  redact->add_option("--allow", args->allow, "ENTITY=value never redacted (repeatable; * for any entity)");
  // The guard loads its classifier and signatures for redaction too: a build without the built-in model
  // needs --model here as well.
  redact->add_option("--model", args->model, "A guard model file instead of the built-in one");
  redact->add_option("--signatures", args->signatures,
                     "A signature rule file instead of the built-in policies/guard-signatures.json");
  Describe(redact, "A summary (counts per entity) goes to stderr.",
           {"modelguard guard redact --plain --input notes.txt --mode hash",
            "modelguard guard redact --input chats.jsonl --mode vault --vault-output vault.json"},
           "0 done, 2 bad input (bad lines are dropped, never passed through) or usage");
  CLI::App* train =
      cmd->add_subcommand("train", "Train the classifier from a labelled JSONL corpus (see scripts/train-guard)");
  train->add_option("--corpus", args->train.corpus_path, "JSONL: text, label, role, source, split")->required();
  train->add_option("--output", args->train.output_path, "Model file to write")->required();
  train->add_option("--dimension-log2", args->train.dimension_log2, "Hashed feature space: 2^N weights (default 18)");
  train->add_option("--epochs", args->train.epochs, "Passes over the training split (default 8)");
  train->add_option("--l2", args->train.l2, "L2 regularisation per update (default 1e-4)");
  Describe(train, "scripts/train-guard builds the corpus from ../shared and writes models/guard/injection.mgm.",
           {"modelguard guard train --corpus corpus.jsonl --output injection.mgm --epochs 8"},
           "0 trained (metadata as JSON on stdout), 2 bad corpus or usage");
  return [args, classify, redact, train] {
    if (classify->parsed()) return RunClassify(*args);
    if (redact->parsed()) return RunRedact(*args);
    if (train->parsed()) return RunTrain(*args);
    return 2;
  };
}

}  // namespace modelguard::cli
