#pragma once
// The manifest options shared by hash, sign and data manifest.
#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "modelguard/integrity/manifest.h"

namespace modelguard::cli {

struct ManifestArgs {
  std::string method = "files";
  uint64_t shard_size = uint64_t{1} << 30;
  std::string algorithm = "sha256";
  std::vector<std::string> ignore;
  bool allow_symlinks = false;
  bool keep_git = false;
  unsigned jobs = 0;
};

void AddManifestOptions(CLI::App* cmd, ManifestArgs& args);
// nullopt (after a message on stderr naming `command`) when an option has no valid value.
std::optional<integrity::ManifestOptions> ToManifestOptions(const ManifestArgs& args, const char* command);

}  // namespace modelguard::cli
