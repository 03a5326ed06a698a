#pragma once
// The key options `seal`, `unseal` and `rekey` share (seal_args.cpp), and how they become a KeySource.
#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "modelguard/integrity/manifest.h"
#include "modelguard/scan/scanner.h"
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

// For the commands that read sealed files through their key (scan, hash, sign, verify): --seal-key-file,
// --seal-passphrase-file and --seal-key-command, at most one of them.
void AddSealReadOptions(CLI::App* command, SealKeyArgs& args);
// nullopt when no seal key was given.
Result<std::optional<seal::KeySource>> SealReadKeySource(const SealKeyArgs& args);
// Hooks that read sealed files' plaintext with `key`: streamed (hash, sign, verify) or held in memory up to
// `max_bytes` (scan).
integrity::SealedReader SealedReaderFor(const seal::KeySource& key);
scan::Unsealer UnsealerFor(const seal::KeySource& key, uint64_t max_bytes);

}  // namespace modelguard::cli
