#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "modelguard/core/bytes.h"
#include "modelguard/core/cancel.h"
#include "modelguard/core/io.h"
#include "modelguard/integrity/manifest.h"
#include "modelguard/seal/seal.h"
#include "tools/modelguard/cli_util.h"
#include "tools/modelguard/commands.h"
#include "tools/modelguard/manifest_args.h"
#include "tools/modelguard/seal_args.h"

namespace modelguard::cli {
namespace {

struct HashArgs {
  std::string path;
  ManifestArgs manifest;
  std::string format = "text";
  std::string output;
  SealKeyArgs seal_key;
};

int RunHash(const HashArgs& args) {
  cancel::InstallSignalHandlers();  // SIGINT/SIGTERM: stop hashing, exit 2, write nothing
  auto options = ToManifestOptions(args.manifest, "hash");
  if (!options) return 2;
  auto seal_key = SealReadKeySource(args.seal_key);
  if (!seal_key) {
    std::cerr << "modelguard hash: " << seal_key.error().message << "\n";
    return 2;
  }
  if (*seal_key) options->sealed = SealedReaderFor(**seal_key);
  auto manifest = integrity::BuildManifest(args.path, *options);
  if (!manifest) {
    std::cerr << "modelguard hash: " << manifest.error().message << "\n";
    return 2;
  }
  Detail() << "modelguard hash: " << manifest->resources.size() << " resources, " << manifest->bytes_hashed
           << " bytes\n";
  // Hashing a sealed file is allowed (a sealed artifact can be signed as it ships), but its digest is never
  // the model's: said on stderr, so nobody takes one for the other. With the key, sealed files were read as
  // their plaintext.
  for (const auto& name : *seal_key ? std::vector<std::string>() : seal::SealedFilesAt(args.path)) {
    std::cerr << "modelguard hash: warning: "
              << EscapeControlCharacters(name.empty() ? args.path : args.path + "/" + name)
              << " is a sealed model file (modelguard seal): its digest is the sealed bytes', not the model's; hash "
                 "the model before sealing it, or give its key (--seal-key-file ...) to hash its plaintext\n";
  }
  Output output("hash");
  if (!output.Open(args.output, {args.path})) return 2;
  std::ostream* out = &output.stream();
  if (args.format == "text") {
    // One line per resource: a name with a newline or an escape sequence is escaped (--format json keeps it).
    for (const auto& r : manifest->resources)
      *out << EscapeControlCharacters(integrity::ManifestLine(*manifest, r)) << "\n";
    *out << "root:sha256:" << HexEncode(manifest->root_digest) << "\n";
  } else {
    nlohmann::ordered_json doc;
    doc["schema"] = "modelguard.manifest/v1";
    doc["method"] = args.manifest.method;
    doc["hash"] = integrity::ToString(manifest->algorithm);
    if (manifest->shard_size) doc["shard_size"] = manifest->shard_size;
    doc["root_digest"] = {{"algorithm", "sha256"}, {"value", HexEncode(manifest->root_digest)}};
    doc["bytes"] = manifest->bytes_hashed;
    auto resources = nlohmann::ordered_json::array();
    for (const auto& r : manifest->resources) {
      nlohmann::ordered_json rj;
      rj["name"] = r.name;
      if (manifest->shard_size) {
        rj["start"] = r.start;
        rj["end"] = r.end;
      }
      rj["digest"] = HexEncode(r.digest);
      resources.push_back(std::move(rj));
    }
    doc["resources"] = std::move(resources);
    *out << ReportJson(doc) << "\n";
  }
  return output.Close() ? 0 : 2;
}

}  // namespace

Action AddHash(CLI::App& command) {
  auto args = std::make_shared<HashArgs>();
  CLI::App* cmd = &command;
  cmd->add_option("path", args->path, "Model file or directory")->required();
  AddManifestOptions(cmd, args->manifest);
  AddFormatOption(cmd, args->format, {"text", "json"});
  cmd->add_option("-o,--output", args->output, "Write the manifest to FILE");
  AddSealReadOptions(cmd, args->seal_key);
  Describe(
      cmd,
      "Output lines match model_signing's serializer (name:digest, or name:start:end:digest for shards),\n"
      "then the root digest: SHA-256 over the resource digests in path order. With a seal key, sealed\n"
      "files are hashed as their plaintext (streamed, never written) and named without \".sealed\".",
      {"modelguard hash ./my-model", "modelguard hash model.safetensors --method shards --format json -o manifest.json",
       "modelguard hash ./my-model --seal-key-file model.key"},
      "0 hashed, 2 usage or I/O error");
  return [args] { return RunHash(*args); };
}

}  // namespace modelguard::cli
