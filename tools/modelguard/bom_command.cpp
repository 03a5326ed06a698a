#include <iostream>
#include <memory>

#include "modelguard/bom/bom.h"
#include "tools/modelguard/cli_util.h"
#include "tools/modelguard/commands.h"

namespace modelguard::cli {
namespace {

struct BomArgs {
  bom::BomOptions options;
  std::string format = "cyclonedx-1.6";
  std::string output;
  bool no_scan = false;
};

int RunBom(BomArgs& args) {
  if (args.format == "cyclonedx-1.6" || args.format == "cyclonedx")
    args.options.spec_version = "1.6";
  else if (args.format == "cyclonedx-1.7")
    args.options.spec_version = "1.7";
  else {
    std::cerr << "modelguard bom: --format must be cyclonedx-1.6 or cyclonedx-1.7\n";
    return 2;
  }
  args.options.scan = !args.no_scan;
  if (!args.options.policy_path.empty() && !CheckInputFile(args.options.policy_path, "bom")) return 2;
  auto document = bom::BuildBom(args.options);
  if (!document) {
    std::cerr << "modelguard bom: " << document.error().message << "\n";
    return 2;
  }
  Output output("bom");
  std::vector<std::string> inputs = args.options.dataset_manifest_paths;
  inputs.push_back(args.options.model_path);
  inputs.push_back(args.options.signature_path);
  if (!args.options.policy_path.empty()) inputs.push_back(args.options.policy_path);
  if (!output.Open(args.output, inputs)) return 2;
  output.stream() << *document;
  return output.Close() ? 0 : 2;
}

}  // namespace

Action AddBom(CLI::App& command) {
  auto args = std::make_shared<BomArgs>();
  CLI::App* cmd = &command;
  cmd->add_option("path", args->options.model_path, "Model file or directory")->required();
  AddFormatOption(cmd, args->format, {"cyclonedx-1.6", "cyclonedx-1.7", "cyclonedx"});
  cmd->add_option("--signature", args->options.signature_path,
                  "model_signing bundle to reference (and compare digests with)");
  cmd->add_option("--dataset-manifest", args->options.dataset_manifest_paths,
                  "Dataset manifest from 'modelguard data manifest'; repeatable");
  cmd->add_flag("--no-scan", args->no_scan, "Do not scan the model (no verdict or detected formats in the BOM)");
  cmd->add_option("--policy", args->options.policy_path, "Scanner policy overrides");
  cmd->add_option("-o,--output", args->output, "Write the BOM to FILE (default stdout)");
  cmd->add_option("-j,--jobs", args->options.jobs, "Parallel threads (default: all cores)");
  Describe(cmd, "The BOM is JSON (CycloneDX); cyclonedx means cyclonedx-1.6.",
           {"modelguard bom ./my-model --signature my-model/model.sig --dataset-manifest corpus.json -o bom.json"},
           "0 written, 2 usage or I/O error");
  return [args] { return RunBom(*args); };
}

}  // namespace modelguard::cli
