#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "modelguard/core/bytes.h"
#include "modelguard/core/cancel.h"
#include "modelguard/core/io.h"
#include "modelguard/data/pii.h"
#include "modelguard/data/validate.h"
#include "modelguard/integrity/dataset.h"
#include "modelguard/integrity/signing.h"
#include "tools/modelguard/cli_util.h"
#include "tools/modelguard/commands.h"
#include "tools/modelguard/integrity_output.h"
#include "tools/modelguard/manifest_args.h"

namespace modelguard::cli {
namespace {

struct DataArgs {
  std::string path;
  ManifestArgs manifest;
  bool records = false;
  std::string output;
  std::string manifest_path;
  std::string private_key;
  std::string public_key;
  std::string signature;
  std::string format = "text";
  std::string input_format;  // scan/redact: csv, tsv or jsonl (default: by extension)
  std::string mode = "mask";
  bool no_pii = false;
  bool no_secrets = false;
  // schema infer / validate
  std::string schema;
  std::string reference;
  std::string label;
  std::string labels;
  std::string fail_on = "medium";
};

int Fail(const std::string& message) {
  std::cerr << "modelguard data: " << message << "\n";
  return 2;
}

int RunManifest(const DataArgs& args) {
  cancel::InstallSignalHandlers();  // SIGINT/SIGTERM: stop hashing, exit 2, write nothing
  auto options = ToManifestOptions(args.manifest, "data manifest");
  if (!options) return 2;
  integrity::DatasetOptions dataset_options{*options, args.records};
  auto manifest = integrity::BuildDatasetManifest(args.path, dataset_options);
  if (!manifest) return Fail(manifest.error().message);
  const std::string json = integrity::DatasetManifestJson(*manifest);
  Output output("data manifest");
  if (!output.Open(args.output, {args.path})) return 2;
  output.stream() << json;
  if (!output.Close()) return 2;
  if (!args.private_key.empty()) {
    auto pem = ReadFile(args.private_key);
    if (!pem) return Fail(pem.error().message);
    auto bundle = integrity::SignPayload(json, integrity::kDatasetManifestPayloadType, *pem);
    if (!bundle) return Fail(bundle.error().message);
    const std::string signature =
        args.signature.empty() ? (args.output.empty() ? "dataset.sig" : args.output + ".sig") : args.signature;
    if (auto written = WriteFileAtomic(signature, *bundle); !written) return Fail(written.error().message);
    Note() << "signed manifest -> " << signature << "\n";
  }
  Note() << manifest->files.resources.size() << " files, " << manifest->files.bytes_hashed << " bytes, "
         << manifest->records.size() << " record files; root sha256:" << HexEncode(manifest->files.root_digest) << "\n";
  return 0;
}

int RunVerify(const DataArgs& args) {
  cancel::InstallSignalHandlers();  // SIGINT/SIGTERM: stop hashing, exit 2, write nothing
  std::string manifest_text;
  if (!args.signature.empty()) {
    // A signed manifest: the signature's payload is the manifest, so the signature alone is enough.
    if (args.public_key.empty()) return Fail("--signature needs --public-key");
    auto bundle = ReadFile(args.signature);
    auto pem = ReadFile(args.public_key);
    if (!bundle || !pem) return Fail(!bundle ? bundle.error().message : pem.error().message);
    auto payload = integrity::VerifyPayloadBundle(*bundle, integrity::kDatasetManifestPayloadType, *pem);
    // A bundle that cannot be read is an error in the input; one that does not verify a failed check.
    if (!payload && payload.error().code == ErrorCode::kParse)
      return Fail("'" + args.signature + "': " + payload.error().message);
    if (!payload) {
      std::cout << "VERIFICATION FAILED: " << args.path << "\n  signature: " << payload.error().message << "\n";
      return 1;
    }
    manifest_text = std::move(*payload);
    if (!args.manifest_path.empty()) {
      auto given = ReadFile(args.manifest_path);
      if (!given) return Fail(given.error().message);
      if (*given != manifest_text) {
        std::cout << "VERIFICATION FAILED: " << args.path
                  << "\n  the manifest file differs from the one that was signed\n";
        return 1;
      }
    }
  } else {
    if (args.manifest_path.empty()) return Fail("give --manifest, or --signature with --public-key");
    auto text = ReadFile(args.manifest_path);
    if (!text) return Fail(text.error().message);
    manifest_text = std::move(*text);
  }
  auto expected = integrity::ParseDatasetManifest(manifest_text);
  if (!expected) return Fail(expected.error().message);
  auto options = integrity::OptionsOf(*expected);
  options.files.ignore_paths = args.manifest.ignore;
  options.files.symlink_advice = "remove it, or leave it out with --ignore";
  for (const auto& own : {args.manifest_path, args.signature}) {
    if (!own.empty()) options.files.ignore_paths.push_back(own);
  }
  auto actual = integrity::BuildDatasetManifest(args.path, options);
  if (!actual) return Fail(actual.error().message);
  const auto comparison = integrity::CompareDatasets(*expected, *actual);
  const bool ok = comparison.ok() && expected->files.root_digest == actual->files.root_digest;
  if (args.format == "json") {
    nlohmann::ordered_json doc;
    doc["schema"] = "modelguard.data-verify/v1";
    doc["verified"] = ok;
    doc["signed_digest"] = HexEncode(expected->files.root_digest);
    doc["computed_digest"] = HexEncode(actual->files.root_digest);
    doc["differences"] = DifferencesJson(comparison.files);
    doc["records"] = comparison.records;
    std::cout << ReportJson(doc) << "\n";
  } else {
    std::cout << (ok ? "verified" : "VERIFICATION FAILED") << ": " << EscapeControlCharacters(args.path) << " ("
              << actual->files.resources.size() << " files)\n";
    PrintDifferences(std::cout, comparison.files);
    for (const auto& r : comparison.records) std::cout << "  records: " << EscapeControlCharacters(r) << "\n";
  }
  return ok ? 0 : 1;
}

// scan and redact: the dataset as a stream ("-" for stdin), and the guard's recognisers.
struct TableInput {
  std::ifstream file;
  std::istream* stream = nullptr;
  data::DataScanOptions options;
  std::shared_ptr<const guard::Guard> guard;
};

bool OpenTable(const DataArgs& args, const char* command, TableInput& input) {
  auto format = data::TableFormatOf(args.path, args.input_format);
  if (!format) {
    std::cerr << "modelguard " << command << ": " << format.error().message << "\n";
    return false;
  }
  input.options.format = *format;
  input.options.pii = !args.no_pii;
  input.options.secrets = !args.no_secrets;
  if (args.path == "-") {
    input.stream = &std::cin;
  } else {
    if (!CheckInputFile(args.path, command)) return false;
    input.file.open(args.path, std::ios::binary);
    if (!input.file) {
      std::cerr << "modelguard " << command << ": cannot open '" << args.path << "'\n";
      return false;
    }
    input.stream = &input.file;
  }
  auto guard = guard::Guard::Create(guard::GuardOptions{});
  if (!guard) {
    std::cerr << "modelguard " << command << ": " << guard.error().message << "\n";
    return false;
  }
  input.guard = *guard;
  return true;
}

void PrintScan(std::ostream& out, const std::string& path, const data::DataScanReport& report) {
  out << (report.clean() ? "clean" : "FOUND") << ": " << EscapeControlCharacters(path) << " (" << report.records
      << " records, " << report.values << " text values, " << report.bytes << " bytes)\n";
  for (const auto& [entity, count] : report.by_entity) out << "  " << entity << ": " << count << "\n";
  for (const auto& [column, counts] : report.columns) {
    if (counts.entities.empty() && counts.unexamined == 0) continue;
    out << "  column " << EscapeControlCharacters(column) << ": " << counts.values_with_entities << " of "
        << counts.values << " values";
    for (const auto& [entity, count] : counts.entities) out << ", " << entity << " " << count;
    if (counts.unexamined) out << ", " << counts.unexamined << " not examined completely";
    out << "\n";
  }
  for (const auto& problem : report.problems) out << "  problem: " << EscapeControlCharacters(problem) << "\n";
}

int RunScan(const DataArgs& args) {
  cancel::InstallSignalHandlers();  // SIGINT/SIGTERM: stop reading, print what was counted, exit 130
  TableInput input;
  if (!OpenTable(args, "data scan", input)) return 2;
  auto report = data::ScanTable(*input.stream, *input.guard, input.options);
  if (!report) return Fail("'" + args.path + "': " + report.error().message);
  if (args.format == "json") {
    std::cout << ReportJson(data::ToJson(*report)) << "\n";
  } else {
    PrintScan(std::cout, args.path, *report);
  }
  if (report->interrupted) return cancel::InterruptedExitCode();
  return report->clean() ? 0 : 1;
}

int RunRedact(const DataArgs& args) {
  cancel::InstallSignalHandlers();  // SIGINT/SIGTERM: stop, write nothing
  auto mode = guard::ParseRedactMode(args.mode);
  if (!mode || *mode == guard::RedactMode::kVault) return Fail("--mode is mask or hash");
  if (args.output.empty() || args.output == "-")
    return Fail("-o FILE is required: the redacted copy is written only when every value was examined");
  TableInput input;
  if (!OpenTable(args, "data redact", input)) return 2;
  Output output("data redact");
  if (!output.Open(args.output, {args.path})) return 2;
  auto report = data::RedactTable(*input.stream, output.stream(), *input.guard, *mode, input.options);
  if (!report) return Fail("'" + args.path + "': " + report.error().message);  // the output is discarded
  if (!output.Close()) return 2;
  if (args.format == "json") {
    std::cout << ReportJson(data::ToJson(*report)) << "\n";
  } else {
    Note() << "modelguard data redact: " << report->entities << " values redacted in " << report->records
           << " records -> " << args.output << "\n";
  }
  return 0;
}

// schema infer / validate: any dataset format (source.h), read once.
Result<std::unique_ptr<data::DatasetSource>> OpenSource(const DataArgs& args, const std::string& path) {
  data::SourceOptions options;
  options.format = args.input_format;
  options.labels = args.labels;
  return data::OpenDataset(path, options);
}

data::ProfileOptions ProfileOptionsOf(const DataArgs& args) {
  data::ProfileOptions options;
  options.label_column = args.label;
  return options;
}

int RunSchemaInfer(const DataArgs& args) {
  cancel::InstallSignalHandlers();  // SIGINT/SIGTERM: stop reading, write nothing
  auto source = OpenSource(args, args.path);
  if (!source) return Fail("'" + args.path + "': " + source.error().message);
  auto profile = data::ProfileDataset(**source, ProfileOptionsOf(args));
  if (!profile) return Fail("'" + args.path + "': " + profile.error().message);
  if (profile->interrupted) {
    std::cerr << "modelguard data schema infer: interrupted; no schema written\n";
    return cancel::InterruptedExitCode();
  }
  if (profile->records == profile->problems)
    return Fail("'" + args.path + "': no readable records to infer a schema from");
  const auto schema = data::InferSchema(*profile);
  Output output("data schema infer");
  if (!output.Open(args.output, {args.path})) return 2;
  output.stream() << data::ToJson(schema).dump(2) << "\n";
  if (!output.Close()) return 2;
  Note() << "modelguard data schema infer: " << profile->records << " records, " << schema.columns.size() << " columns"
         << (schema.label.empty() ? "" : ", label '" + schema.label + "'");
  if (profile->problems) Note() << ", " << profile->problems << " unreadable records left out";
  Note() << (args.output.empty() ? "\n" : " -> " + args.output + "\n");
  return 0;
}

void PrintValidation(std::ostream& out, const std::string& path, const data::ValidationReport& report,
                     Severity fail_on) {
  size_t failing = 0;
  for (const auto& v : report.violations) failing += v.severity >= fail_on;
  out << (failing ? "FAILED" : "passed") << ": " << EscapeControlCharacters(path) << " (" << report.profile.records
      << " records, " << report.violations.size() << " violations, " << failing << " at or above " << ToString(fail_on)
      << ")\n";
  for (const auto& v : report.violations) {
    out << "  " << ToString(v.severity) << " " << v.rule;
    if (!v.column.empty()) out << " [" << EscapeControlCharacters(v.column) << "]";
    out << ": " << EscapeControlCharacters(v.message);
    if (!v.locations.empty()) {
      out << " (at";
      for (uint64_t at : v.locations) out << " " << at;
      out << ")";
    }
    out << "\n";
  }
  if (!report.drift.empty()) {
    out << "  drift: " << (report.dataset_drift ? "DATASET DRIFT, " : "") << report.drift.size() << " columns tested\n";
    for (const auto& d : report.drift) {
      if (!d.drift) continue;
      out << "    " << EscapeControlCharacters(d.column) << ": " << d.test << " " << d.statistic;
      if (d.p_value) out << " (p = " << *d.p_value << ")";
      out << "\n";
    }
  }
  if (report.profile.interrupted) out << "  interrupted: the figures cover part of the data\n";
}

int RunValidate(const DataArgs& args) {
  cancel::InstallSignalHandlers();  // SIGINT/SIGTERM: stop, report what was read, exit 130/143
  auto fail_on = ParseSeverity(args.fail_on);
  if (!fail_on) return Fail("--fail-on must be info, low, medium, high or critical");
  auto schema_text = ReadFile(args.schema);
  if (!schema_text) return Fail(schema_text.error().message);
  auto schema = data::ParseSchema(*schema_text);
  if (!schema) return Fail("'" + args.schema + "': " + schema.error().message);
  std::optional<data::DatasetProfile> reference;
  if (!args.reference.empty()) {
    DataArgs reference_args = args;
    reference_args.labels.clear();  // --labels names the current dataset's labels only
    auto source = OpenSource(reference_args, args.reference);
    if (!source) return Fail("'" + args.reference + "': " + source.error().message);
    auto options = ProfileOptionsOf(args);
    if (options.label_column.empty()) options.label_column = schema->label;
    auto profile = data::ProfileDataset(**source, options);
    if (!profile) return Fail("'" + args.reference + "': " + profile.error().message);
    if (profile->interrupted) return cancel::InterruptedExitCode();
    reference = std::move(*profile);
  }
  auto source = OpenSource(args, args.path);
  if (!source) return Fail("'" + args.path + "': " + source.error().message);
  auto report = data::ValidateDataset(**source, *schema, reference ? &*reference : nullptr, ProfileOptionsOf(args));
  if (!report) return Fail("'" + args.path + "': " + report.error().message);
  if (args.format == "json") {
    std::cout << ReportJson(data::ToJson(*report)) << "\n";
  } else {
    PrintValidation(std::cout, args.path, *report, *fail_on);
  }
  if (report->profile.interrupted) return cancel::InterruptedExitCode();
  for (const auto& v : report->violations)
    if (v.severity >= *fail_on) return 1;
  return 0;
}

}  // namespace

Action AddData(CLI::App& command) {
  auto args = std::make_shared<DataArgs>();
  CLI::App* cmd = &command;
  cmd->require_subcommand(1);
  Describe(cmd, "",
           {"modelguard data manifest ./corpus -o corpus.manifest.json",
            "modelguard data verify ./corpus --manifest corpus.manifest.json", "modelguard data scan train.jsonl"});
  CLI::App* manifest = cmd->add_subcommand("manifest", "Write the manifest of a dataset file or directory");
  manifest->add_option("path", args->path, "Dataset file or directory")->required();
  AddManifestOptions(manifest, args->manifest);
  manifest->add_flag("--records", args->records,
                     "Also hash every record of .jsonl/.ndjson/.csv files (Merkle root per file)");
  manifest->add_option("-o,--output", args->output, "Write the manifest to FILE (default stdout)");
  manifest->add_option("--private-key", args->private_key,
                       "Sign the manifest (DSSE bundle next to it, or --signature)");
  manifest->add_option("--signature", args->signature, "Where to write the manifest's signature bundle");
  Describe(manifest, "The manifest is JSON; a summary goes to stderr.",
           {"modelguard data manifest ./corpus --records -o corpus.manifest.json --private-key curator.pem"},
           "0 written, 2 usage, key or I/O error");
  CLI::App* verify =
      cmd->add_subcommand("verify", "Check a dataset against its (signed) manifest; exit 1 with a diff on change");
  verify->add_option("path", args->path, "Dataset file or directory")->required();
  verify->add_option("--manifest", args->manifest_path, "Manifest written by 'data manifest'");
  verify->add_option("--signature", args->signature, "Signature bundle of the manifest");
  verify->add_option("--public-key", args->public_key, "Key that signed the manifest");
  verify->add_option("--ignore", args->manifest.ignore, "Paths to leave out; repeatable");
  AddFormatOption(verify, args->format, {"text", "json"});
  Describe(verify, "",
           {"modelguard data verify ./corpus --signature corpus.manifest.json.sig --public-key curator.pub",
            "modelguard data verify ./corpus --manifest corpus.manifest.json --ignore cache --format json"},
           "0 verified, 1 changed data or bad signature, 2 usage or I/O error");
  CLI::App* scan = cmd->add_subcommand("scan", "Personal data and credentials in a CSV, TSV or JSONL dataset");
  scan->add_option("path", args->path, "Dataset file, or - for stdin")->required();
  scan->add_option("--input-format", args->input_format, "csv, tsv or jsonl (default: by the file's extension)");
  scan->add_flag("--no-pii", args->no_pii, "Leave personal data alone");
  scan->add_flag("--no-secrets", args->no_secrets, "Leave credentials alone");
  AddFormatOption(scan, args->format, {"text", "json"});
  Describe(scan,
           "Every text value (CSV cells, JSONL strings at any depth) is examined with the guard's recognisers, one "
           "record at a time; counts per column and entity, never the values themselves.",
           {"modelguard data scan train.jsonl", "modelguard data scan customers.csv --format json"},
           "0 clean, 1 personal data or credentials found, or values not examined completely, or lines that are "
           "not records; 2 usage or I/O error; 130 interrupted");
  CLI::App* redact =
      cmd->add_subcommand("redact", "Write a copy of a dataset with personal data and credentials masked");
  redact->add_option("path", args->path, "Dataset file, or - for stdin")->required();
  redact->add_option("-o,--output", args->output, "The redacted copy (required; never the input)")->required();
  redact->add_option("--input-format", args->input_format, "csv, tsv or jsonl (default: by the file's extension)");
  redact->add_option("--mode", args->mode, "mask ([EMAIL]) or hash ([EMAIL:1a2b3c4d5e6f], stable for joins)");
  redact->add_flag("--no-pii", args->no_pii, "Leave personal data alone");
  redact->add_flag("--no-secrets", args->no_secrets, "Leave credentials alone");
  AddFormatOption(redact, args->format, {"text", "json"});
  Describe(redact,
           "The copy keeps the format: the CSV header and quoting, JSONL key order. Fail-closed: when a value "
           "cannot be examined completely or a line is not a record, nothing is written.",
           {"modelguard data redact train.jsonl -o train.redacted.jsonl",
            "modelguard data redact customers.csv -o customers.clean.csv --mode hash"},
           "0 written, 2 usage or I/O error, or values that could not be examined (nothing written)");
  CLI::App* schema = cmd->add_subcommand("schema", "Dataset schemas: types, ranges, categories, classes");
  schema->require_subcommand(1);
  Describe(schema, "", {"modelguard data schema infer train.csv -o train.schema.json"});
  CLI::App* infer = schema->add_subcommand("infer", "Write the schema of a dataset, inferred from its content");
  const auto add_source_options = [&](CLI::App* sub) {
    sub->add_option("--input-format", args->input_format,
                    "csv, tsv, jsonl, npy, npz, idx or images (default: by extension; a directory is images)");
    sub->add_option("--labels", args->labels, "npy/idx: the labels file of the features array");
    sub->add_option("--label", args->label, "The label column (default: label, class, target or y)");
  };
  infer->add_option("path", args->path, "Dataset: CSV/TSV/JSONL file (- for stdin), .npy/.npz, IDX, image folder")
      ->required();
  infer->add_option("-o,--output", args->output, "Write the schema to FILE (default stdout)");
  add_source_options(infer);
  Describe(infer,
           "The schema is JSON (modelguard.data-schema/v1): per column its type, whether it may be missing, range, "
           "categories, string lengths; class shares and duplicate shares. Edit it to loosen or tighten a check.",
           {"modelguard data schema infer train.csv -o train.schema.json",
            "modelguard data schema infer x.npy --labels y.npy -o digits.schema.json",
            "modelguard data schema infer ./images -o images.schema.json"},
           "0 written, 2 usage or I/O error, or no readable record");
  CLI::App* validate =
      cmd->add_subcommand("validate", "Check a dataset against its schema, and for drift against a reference");
  validate->add_option("path", args->path, "Dataset (same formats as schema infer)")->required();
  validate->add_option("--schema", args->schema, "Schema written by 'data schema infer'")->required();
  validate->add_option("--reference", args->reference,
                       "Reference dataset: test every column for distribution shift (KS, chi-square, Wasserstein, "
                       "Jensen-Shannon)");
  validate->add_option("--fail-on", args->fail_on, "Exit 1 when a violation is at or above this severity")
      ->capture_default_str();
  add_source_options(validate);
  AddFormatOption(validate, args->format, {"text", "json"});
  Describe(validate,
           "Violations: data.type, data.range, data.domain, data.length, data.missing-values, data.missing-column, "
           "data.unexpected-column, data.duplicates, data.near-duplicates, data.unknown-class, data.missing-class, "
           "data.class-balance, data.unreadable-records, data.empty, data.drift, data.dataset-drift (docs/data.md).",
           {"modelguard data validate new.csv --schema train.schema.json",
            "modelguard data validate batch.jsonl --schema train.schema.json --reference train.jsonl --format json"},
           "0 no violation at or above --fail-on, 1 some, 2 usage or I/O error, 130/143 interrupted");
  return [=] {
    if (manifest->parsed()) return RunManifest(*args);
    if (infer->parsed()) return RunSchemaInfer(*args);
    if (validate->parsed()) return RunValidate(*args);
    if (scan->parsed()) return RunScan(*args);
    if (redact->parsed()) return RunRedact(*args);
    return RunVerify(*args);
  };
}

}  // namespace modelguard::cli
