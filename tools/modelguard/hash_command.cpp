#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "modelguard/integrity/manifest.h"
#include "tools/modelguard/commands.h"

namespace modelguard::cli {
namespace {

struct HashArgs {
  std::string path;
  std::string method = "files";
  uint64_t shard_size = uint64_t{1} << 30;
  std::string algorithm = "sha256";
  std::vector<std::string> ignore;
  bool allow_symlinks = false;
  bool keep_git = false;
  std::string format = "text";
  std::string output;
  unsigned jobs = 0;
};

int RunHash(const HashArgs& args) {
  integrity::ManifestOptions options;
  if (args.method == "files") options.method = integrity::ManifestMethod::kFiles;
  else if (args.method == "shards") options.method = integrity::ManifestMethod::kShards;
  else {
    std::cerr << "modelguard hash: --method must be files or shards\n";
    return 2;
  }
  if (args.algorithm == "sha256") options.algorithm = integrity::DigestAlgorithm::kSha256;
  else if (args.algorithm == "blake2b") options.algorithm = integrity::DigestAlgorithm::kBlake2b;
  else {
    std::cerr << "modelguard hash: --hash must be sha256 or blake2b\n";
    return 2;
  }
  if (args.format != "text" && args.format != "json") {
    std::cerr << "modelguard hash: --format must be text or json\n";
    return 2;
  }
  options.shard_size = args.shard_size;
  options.ignore_paths = args.ignore;
  options.allow_symlinks = args.allow_symlinks;
  options.ignore_git = !args.keep_git;
  options.jobs = args.jobs;
  auto manifest = integrity::BuildManifest(args.path, options);
  if (!manifest) {
    std::cerr << "modelguard hash: " << manifest.error().message << "\n";
    return 2;
  }
  std::ofstream file;
  std::ostream* out = OpenOutput(args.output, file, "hash");
  if (out == nullptr) return 2;
  if (args.format == "text") {
    for (const auto& r : manifest->resources) *out << integrity::ManifestLine(*manifest, r) << "\n";
    *out << "root:sha256:" << integrity::ToHex(manifest->root_digest) << "\n";
  } else {
    nlohmann::ordered_json doc;
    doc["schema"] = "modelguard.manifest/v1";
    doc["method"] = args.method;
    doc["hash"] = integrity::ToString(manifest->algorithm);
    if (manifest->shard_size) doc["shard_size"] = manifest->shard_size;
    doc["root_digest"] = {{"algorithm", "sha256"}, {"value", integrity::ToHex(manifest->root_digest)}};
    doc["bytes"] = manifest->bytes_hashed;
    auto resources = nlohmann::ordered_json::array();
    for (const auto& r : manifest->resources) {
      nlohmann::ordered_json rj;
      rj["name"] = r.name;
      if (manifest->shard_size) {
        rj["start"] = r.start;
        rj["end"] = r.end;
      }
      rj["digest"] = integrity::ToHex(r.digest);
      resources.push_back(std::move(rj));
    }
    doc["resources"] = std::move(resources);
    *out << doc.dump(2) << "\n";
  }
  return 0;
}

}  // namespace

Action RegisterHash(CLI::App& app) {
  auto args = std::make_shared<HashArgs>();
  CLI::App* cmd = app.add_subcommand("hash", "Compute the OpenSSF model-signing manifest of a model file or directory");
  cmd->add_option("path", args->path, "Model file or directory")->required();
  cmd->add_option("--method", args->method, "files: one digest per file; shards: one per --shard-size bytes")->capture_default_str();
  cmd->add_option("--shard-size", args->shard_size, "Shard size in bytes for --method shards")->capture_default_str();
  cmd->add_option("--hash", args->algorithm, "Digest per resource: sha256 or blake2b")->capture_default_str();
  cmd->add_option("--ignore", args->ignore, "Paths (relative to the model) to leave out; repeatable");
  cmd->add_flag("--allow-symlinks", args->allow_symlinks, "Hash the targets of symbolic links instead of refusing them");
  cmd->add_flag("--keep-git", args->keep_git, "Include .git, .gitattributes, .github and .gitignore");
  cmd->add_option("-f,--format", args->format, "text or json")->capture_default_str();
  cmd->add_option("-o,--output", args->output, "Write the manifest to FILE");
  cmd->add_option("-j,--jobs", args->jobs, "Parallel hashing threads (default: all cores)");
  cmd->footer(
      "Examples:\n"
      "  modelguard hash ./my-model\n"
      "  modelguard hash model.safetensors --method shards --format json -o manifest.json\n"
      "Output lines match model_signing's serializer (name:digest, or name:start:end:digest for shards),\n"
      "then the root digest: SHA-256 over the resource digests in path order.");
  return [args] { return RunHash(*args); };
}

}  // namespace modelguard::cli
