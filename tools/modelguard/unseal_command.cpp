// `modelguard unseal`: decrypts a sealed model (src/seal), or shows its header.
#include <unistd.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "modelguard/core/io.h"
#include "modelguard/seal/seal.h"
#include "tools/modelguard/cli_util.h"
#include "tools/modelguard/commands.h"
#include "tools/modelguard/seal_args.h"

namespace modelguard::cli {
namespace {

struct UnsealArgs {
  std::string input, output;
  SealKeyArgs key;
  bool info = false;
  unsigned threads = 0;
};

int RunUnseal(const UnsealArgs& args) {
  auto fail = [](const std::string& message) {
    std::cerr << "modelguard unseal: " << message << "\n";
    return 2;
  };
  if (!CheckInputFile(args.input, "unseal")) return 2;
  if (args.info) {
    auto header = seal::ReadHeader(args.input);
    if (!header) return fail(header.error().message);
    nlohmann::ordered_json doc = nlohmann::ordered_json::parse(seal::HeaderJson(*header));
    doc["key"].erase("wrapped");
    doc["chunks"] = header->Chunks();
    std::cout << ReportJson(doc) << "\n";
    return 0;
  }
  if (args.output.empty()) return fail("give -o MODEL (or - for standard output), or --info");
  auto source = SealKeySource(args.key);
  if (!source) return fail(source.error().message);
  if (args.output == "-") {
    // Standard output cannot be taken back: each chunk is written once it authenticated, and an error
    // after some were written means the output must be discarded (exit 2 says so).
    const Status streamed = seal::UnsealStream(args.input, *source, args.threads, [](std::string_view bytes) -> Status {
      std::cout.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      if (!std::cout) return MakeError(ErrorCode::kIo, "cannot write to standard output");
      return Ok{};
    });
    if (!streamed) return fail(streamed.error().message + " (discard what was written)");
    return 0;
  }
  if (SameFile(args.input, args.output)) return fail("the model would replace the sealed file itself");
  auto header = seal::UnsealFile(args.input, args.output, *source, args.threads);
  if (!header) return fail(header.error().message);
  std::cerr << "modelguard unseal: " << header->plaintext_size << " bytes, sha256 " << header->plaintext_sha256
            << ", every chunk authenticated\n";
  return 0;
}

}  // namespace

Action AddUnseal(CLI::App& command) {
  auto args = std::make_shared<UnsealArgs>();
  CLI::App* cmd = &command;
  cmd->add_option("sealed", args->input, "The sealed file")->required();
  cmd->add_option("-o,--output", args->output, "The model to write (replaced atomically; - for standard output)");
  AddSealKeyOptions(cmd, args->key);
  cmd->add_flag("--info", args->info, "Print the header (sizes, digests, key kind and id) without a key");
  cmd->add_option("--threads", args->threads, "Decrypting threads (0: every core)")->capture_default_str();
  Describe(cmd, "Nothing is written to a file unless every chunk authenticates and the SHA-256 matches.",
           {"modelguard unseal model.sealed -o model.safetensors --key-file model.key",
            "modelguard unseal model.sealed --info"},
           "0 unsealed, 2 wrong key, altered or truncated file, usage or I/O error");
  return [args] { return RunUnseal(*args); };
}

}  // namespace modelguard::cli
