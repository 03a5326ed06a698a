#include "tools/modelguard/manifest_args.h"

#include <iostream>

namespace modelguard::cli {

void AddManifestOptions(CLI::App* cmd, ManifestArgs& args) {
  cmd->add_option("--method", args.method, "files: one digest per file; shards: one per --shard-size bytes")
      ->capture_default_str();
  cmd->add_option("--shard-size", args.shard_size, "Shard size in bytes for --method shards")->capture_default_str();
  cmd->add_option("--hash", args.algorithm, "Digest per resource: sha256 or blake2b")->capture_default_str();
  cmd->add_option("--ignore", args.ignore, "Paths (relative to the model) to leave out; repeatable");
  cmd->add_flag("--allow-symlinks", args.allow_symlinks, "Hash the targets of symbolic links instead of refusing them");
  cmd->add_flag("--keep-git", args.keep_git, "Include .git, .gitattributes, .github and .gitignore");
  cmd->add_option("-j,--jobs", args.jobs, "Parallel hashing threads (default: all cores)");
}

std::optional<integrity::ManifestOptions> ToManifestOptions(const ManifestArgs& args, const char* command) {
  integrity::ManifestOptions options;
  if (args.method == "files")
    options.method = integrity::ManifestMethod::kFiles;
  else if (args.method == "shards")
    options.method = integrity::ManifestMethod::kShards;
  else {
    std::cerr << "modelguard " << command << ": --method must be files or shards\n";
    return std::nullopt;
  }
  if (args.algorithm == "sha256")
    options.algorithm = integrity::DigestAlgorithm::kSha256;
  else if (args.algorithm == "blake2b")
    options.algorithm = integrity::DigestAlgorithm::kBlake2b;
  else {
    std::cerr << "modelguard " << command << ": --hash must be sha256 or blake2b\n";
    return std::nullopt;
  }
  if (args.shard_size == 0) {
    std::cerr << "modelguard " << command << ": --shard-size must be positive\n";
    return std::nullopt;
  }
  options.shard_size = args.shard_size;
  options.ignore_paths = args.ignore;
  options.allow_symlinks = args.allow_symlinks;
  options.symlink_advice = "pass --allow-symlinks to hash its target";
  options.ignore_git = !args.keep_git;
  options.jobs = args.jobs;
  return options;
}

}  // namespace modelguard::cli
