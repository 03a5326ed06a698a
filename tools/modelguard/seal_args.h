#pragma once
// The key options `seal`, `unseal` and `rekey` share (seal_args.cpp), and how they become a KeySource.
#include <CLI/CLI.hpp>
#include <string>

#include "modelguard/seal/seal.h"

namespace modelguard::cli {

struct SealKeyArgs {
  std::string key_file, passphrase_file, key_command;
};

// --key-file, --passphrase-file and --key-command (with `prefix`, e.g. "new-" for rekey's new key), one
// of them required.
void AddSealKeyOptions(CLI::App* command, SealKeyArgs& args, const std::string& prefix = "");
// The key source, or a message for the user: exactly one option given; a passphrase file is read whole
// (its last line break dropped); MODELGUARD_SEAL_PASSPHRASE stands in for a passphrase file named "env:".
Result<seal::KeySource> SealKeySource(const SealKeyArgs& args, const std::string& prefix = "");

}  // namespace modelguard::cli
