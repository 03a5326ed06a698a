// `modelguard seal`: encrypts a model file at rest (src/seal; docs/seal.md). Also makes key files.
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

struct SealArgs {
  std::string input, output, new_key;
  SealKeyArgs key;
  uint64_t chunk_size = seal::kDefaultChunkSize;
  std::string manifest_sha256;
  unsigned threads = 0;
  std::string format = "text";
};

int RunSeal(const SealArgs& args) {
  auto fail = [](const std::string& message) {
    std::cerr << "modelguard seal: " << message << "\n";
    return 2;
  };
  if (!args.new_key.empty()) {
    if (!args.input.empty()) return fail("--new-key makes a key and seals nothing: give no model with it");
    if (auto made = seal::GenerateKeyFile(args.new_key); !made) return fail(made.error().message);
    std::cout << "new key in " << EscapeControlCharacters(args.new_key)
              << " (mode 0600): keep it apart from the models it seals\n";
    return 0;
  }
  if (args.input.empty() || args.output.empty()) return fail("give a model file and -o SEALED (or --new-key FILE)");
  if (SameFile(args.input, args.output)) return fail("the sealed file would replace the model itself");
  auto source = SealKeySource(args.key);
  if (!source) return fail(source.error().message);
  seal::SealOptions options;
  options.chunk_size = args.chunk_size;
  options.threads = args.threads;
  if (!args.manifest_sha256.empty()) options.manifest_sha256 = args.manifest_sha256;
  auto sealed = seal::SealFile(args.input, args.output, *source, options);
  if (!sealed) return fail(sealed.error().message);
  const seal::SealHeader& h = sealed->header;
  if (args.format == "json") {
    nlohmann::ordered_json doc{{"schema", "modelguard.seal/v1"},
                               {"input", args.input},
                               {"output", args.output},
                               {"plaintext_size", h.plaintext_size},
                               {"plaintext_sha256", h.plaintext_sha256},
                               {"sealed_size", sealed->sealed_bytes},
                               {"chunk_size", h.chunk_size},
                               {"chunks", h.Chunks()},
                               {"key_kind", h.key.kind}};
    if (!h.key.key_id.empty()) doc["key_id"] = h.key.key_id;
    std::cout << ReportJson(doc) << "\n";
  } else {
    std::cout << "sealed " << EscapeControlCharacters(args.input) << " (" << h.plaintext_size << " bytes, sha256 "
              << h.plaintext_sha256 << ") into " << EscapeControlCharacters(args.output) << " under a "
              << seal::KeyKindName(h.key.kind) << (h.key.key_id.empty() ? "" : " (key " + h.key.key_id + ")") << "\n";
  }
  return 0;
}

}  // namespace

Action AddSeal(CLI::App& command) {
  auto args = std::make_shared<SealArgs>();
  CLI::App* cmd = &command;
  cmd->add_option("model", args->input, "The model file to seal");
  cmd->add_option("-o,--output", args->output, "The sealed file to write (replaced atomically)");
  cmd->add_option("--new-key", args->new_key, "Write a new random key file (mode 0600) and exit");
  AddSealKeyOptions(cmd, args->key);
  cmd->add_option("--chunk-size", args->chunk_size, "Bytes per authenticated chunk (4 KiB to 64 MiB)")
      ->capture_default_str();
  cmd->add_option("--manifest-sha256", args->manifest_sha256,
                  "The model-signing manifest's digest, recorded in the authenticated header");
  cmd->add_option("--threads", args->threads, "Encrypting threads (0: every core)")->capture_default_str();
  AddFormatOption(cmd, args->format, {"text", "json"});
  Describe(
      cmd,
      "AES-256-GCM in chunks under a random data key; the data key is wrapped by the key file, the passphrase "
      "(Argon2id) or the key command. unseal and rekey read the result.",
      {"modelguard seal --new-key model.key", "modelguard seal model.safetensors -o model.sealed --key-file model.key",
       "MODELGUARD_SEAL_PASSPHRASE=... modelguard seal model.onnx -o model.sealed --passphrase-file env:"},
      "0 sealed, 2 usage, key or I/O error");
  return [args] { return RunSeal(*args); };
}

}  // namespace modelguard::cli
