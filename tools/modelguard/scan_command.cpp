#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>

#include "modelguard/core/cancel.h"
#include "modelguard/core/version.h"
#include "modelguard/scan/reporters.h"
#include "modelguard/scan/scanner.h"
#include "tools/modelguard/cli_util.h"
#include "tools/modelguard/commands.h"
#include "tools/modelguard/seal_args.h"

namespace modelguard::cli {
namespace {

struct ScanArgs {
  std::vector<std::string> paths;
  std::string format = "text";
  std::string output;
  std::string fail_on = "high";
  std::string policy;
  unsigned jobs = 0;
  bool show_info = false;
  uint64_t max_member_size = 0;
  uint64_t max_total_unpacked = 0;
  uint64_t max_unpacked_held = 0;
  std::optional<uint64_t> max_compression_ratio;
  SealKeyArgs seal_key;
  uint64_t max_unsealed_size = uint64_t{8} << 30;
};

int RunScan(const ScanArgs& args) {
  auto format = scan::ParseReportFormat(args.format);
  if (!format) {
    std::cerr << "modelguard scan: " << format.error().message << "\n";
    return 2;
  }
  auto fail_on = ParseSeverity(args.fail_on);
  if (!fail_on) {
    std::cerr << "modelguard scan: --fail-on must be info, low, medium, high or critical\n";
    return 2;
  }
  if (!args.policy.empty() && !CheckInputFile(args.policy, "scan")) return 2;
  auto policy = args.policy.empty() ? scan::Policy::Default() : scan::Policy::LoadWithOverrides(args.policy);
  if (!policy) {
    std::cerr << "modelguard scan: " << policy.error().message << "\n";
    return 2;
  }

  scan::ScanOptions options;
  options.jobs = args.jobs;
  auto seal_key = SealReadKeySource(args.seal_key);
  if (!seal_key) {
    std::cerr << "modelguard scan: " << seal_key.error().message << "\n";
    return 2;
  }
  if (*seal_key) options.unsealer = UnsealerFor(**seal_key, args.max_unsealed_size);
  if (args.max_member_size) {
    options.limits.max_member_size = args.max_member_size;
    // A larger member must also fit the in-memory budget, or raising the one limit would change nothing.
    options.limits.max_unpacked_held = std::max(options.limits.max_unpacked_held, args.max_member_size);
    options.limits.max_total_unpacked = std::max(options.limits.max_total_unpacked, args.max_member_size);
  }
  if (args.max_total_unpacked) options.limits.max_total_unpacked = args.max_total_unpacked;
  if (args.max_unpacked_held) options.limits.max_unpacked_held = args.max_unpacked_held;
  if (args.max_compression_ratio) options.limits.max_compression_ratio = *args.max_compression_ratio;
  const bool tty = isatty(STDERR_FILENO) && !Quiet();
  if (tty) {
    options.on_progress = [](const scan::Progress& p) {
      std::fprintf(stderr, "\r\033[Kscanning %zu/%zu files, %.1f/%.1f MB", p.files_done, p.files_total,
                   static_cast<double>(p.bytes_done) / 1e6, static_cast<double>(p.bytes_total) / 1e6);
    };
  }
  // SIGINT/SIGTERM stop the scan where it is; the partial report is still written, marked incomplete.
  cancel::InstallSignalHandlers();

  scan::Scanner scanner(*policy, options);
  Result<scan::ScanReport> report = MakeError(ErrorCode::kIo, "");
  std::vector<std::string> paths = args.paths;
  if (paths.size() == 1 && paths[0] == "-") {
    std::vector<uint8_t> data((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    scan::ScanReport r;
    r.tool_version = kVersion;
    r.files.push_back(scanner.ScanBytes("<stdin>", {data.data(), data.size()}));
    r.seconds = r.files[0].seconds;
    if (cancel::Requested()) {  // the read stopped at the signal: only part of the input was scanned
      r.complete = false;
      r.incomplete_reason = cancel::Describe() + " while reading standard input";
    }
    report = std::move(r);
  } else {
    report = scanner.Scan(paths);
  }
  if (tty) std::fprintf(stderr, "\r\033[K");
  if (!report) {
    std::cerr << "modelguard scan: " << report.error().message << "\n";
    return 2;
  }
  Detail() << "modelguard scan: " << report->files.size() << " files in " << report->seconds << " s\n";

  Output output("scan");
  if (!output.Open(args.output, args.paths)) return 2;
  std::ostream* out = &output.stream();
  switch (*format) {
    case scan::ReportFormat::kText: {
      scan::ReportOptions ro;
      ro.color = args.output.empty() && isatty(STDOUT_FILENO);
      ro.min_severity = args.show_info ? Severity::kInfo : Severity::kLow;
      scan::WriteTextReport(*report, ro, *out);
      break;
    }
    case scan::ReportFormat::kJson:
      scan::WriteJsonReport(*report, *out);
      break;
    case scan::ReportFormat::kSarif:
      scan::WriteSarifReport(*report, policy->DescribeRules(), *out);
      break;
  }
  if (!output.Close()) return 2;
  if (!report->complete) {
    std::cerr << "modelguard scan: incomplete, " << report->incomplete_reason << "\n";
    return cancel::InterruptedExitCode();
  }
  return report->CountAtOrAbove(*fail_on) > 0 ? 1 : 0;
}

}  // namespace

Action AddScan(CLI::App& command) {
  auto args = std::make_shared<ScanArgs>();
  CLI::App* cmd = &command;
  cmd->add_option("paths", args->paths, "Files or directories to scan ('-' reads stdin)")->required();
  AddFormatOption(cmd, args->format, {"text", "json", "sarif"});
  cmd->add_option("-o,--output", args->output, "Write the report to FILE instead of stdout");
  cmd->add_option("--fail-on", args->fail_on, "Exit 1 when a finding is at or above this severity")
      ->capture_default_str();
  cmd->add_option("--policy", args->policy, "Policy file (JSON) merged over the built-in policy");
  cmd->add_option("-j,--jobs", args->jobs, "Parallel scans (default: all cores)");
  cmd->add_option("--max-member-size", args->max_member_size,
                  "Largest decompressed member to analyse, in bytes (default 128 MiB)");
  cmd->add_option("--max-total-unpacked", args->max_total_unpacked,
                  "Decompressed bytes per scanned file, all members and levels (default 1 GiB)");
  cmd->add_option("--max-unpacked-held", args->max_unpacked_held,
                  "Decompressed bytes held in memory at once per file, nested members together (default 192 MiB)");
  cmd->add_option("--max-compression-ratio", args->max_compression_ratio,
                  "Largest decompressed:compressed ratio of a member past 4 MiB (default 200; 0 = no check)");
  cmd->add_flag("--show-info", args->show_info, "Show info-level findings in text output");
  AddSealReadOptions(cmd, args->seal_key);
  cmd->add_option("--max-unsealed-size", args->max_unsealed_size,
                  "Largest plaintext of a sealed file to unseal into memory for scanning, in bytes (default 8 GiB)")
      ->group("Sealed files (read as their plaintext, never written to disk)");
  Describe(cmd,
           "Formats are detected by content: pickle (protocols 0-5), PyTorch zip/legacy/TorchScript, numpy\n"
           ".npy/.npz, joblib, safetensors, GGUF, ONNX, Keras (.keras, .h5), TensorFlow SavedModel/GraphDef,\n"
           "TFLite, skops, Hydra/NeMo and Hugging Face configs, zip, tar, 7z, gzip, bzip2, xz, lzma, lz4, zstd.\n"
           "Rules: docs/rules.md. Policy file format: docs/scan.md. Sealed models (modelguard seal) are reported\n"
           "as unscannable unless their key is given (--seal-key-file ...): then their plaintext is scanned in memory.",
           {"modelguard scan model.pt", "modelguard scan ./downloads --format sarif --output scan.sarif",
            "modelguard scan model.pkl --fail-on medium --policy my-policy.json",
            "modelguard scan model.pt.sealed --seal-key-file model.key"},
           "0 no finding at or above --fail-on, 1 some, 2 usage or I/O error, 130/143 interrupted by SIGINT/SIGTERM\n"
           "(the report of the files scanned so far is still written, marked incomplete)");
  return [args] { return RunScan(*args); };
}

}  // namespace modelguard::cli
