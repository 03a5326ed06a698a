#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "modelguard/core/bytes.h"
#include "modelguard/core/cancel.h"
#include "modelguard/core/io.h"
#include "modelguard/data/pii.h"
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
  CLI::App* redact = cmd->add_subcommand("redact", "Write a copy of a dataset with personal data and credentials masked");
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
  return [=] {
    if (manifest->parsed()) return RunManifest(*args);
    if (scan->parsed()) return RunScan(*args);
    if (redact->parsed()) return RunRedact(*args);
    return RunVerify(*args);
  };
}

}  // namespace modelguard::cli
