// The key options of seal, unseal and rekey (seal_args.h).
#include "tools/modelguard/seal_args.h"

#include <cstdlib>

#include "modelguard/core/io.h"

namespace modelguard::cli {

void AddSealKeyOptions(CLI::App* command, SealKeyArgs& args, const std::string& prefix) {
  const std::string which = prefix.empty() ? "" : "new ";
  command->add_option("--" + prefix + "key-file", args.key_file,
                      "The " + which + "key file (64 hex digits, mode 0600; make one with seal --new-key)");
  command->add_option(
      "--" + prefix + "passphrase-file", args.passphrase_file,
      "A file holding the " + which + "passphrase (Argon2id makes the key); env: reads MODELGUARD_SEAL_PASSPHRASE");
  command->add_option(
      "--" + prefix + "key-command", args.key_command,
      "A command that wraps and unwraps the " + which + "data key (a KMS, Vault or HSM client; docs/seal.md)");
}

Result<seal::KeySource> SealKeySource(const SealKeyArgs& args, const std::string& prefix) {
  const int given = !args.key_file.empty() + !args.passphrase_file.empty() + !args.key_command.empty();
  if (given != 1)
    return MakeError(ErrorCode::kInvalidArgument, "give exactly one of --" + prefix + "key-file, --" + prefix +
                                                      "passphrase-file and --" + prefix + "key-command");
  seal::KeySource source;
  source.key_file = args.key_file;
  source.key_command = args.key_command;
  if (args.passphrase_file == "env:") {
    const char* value = std::getenv("MODELGUARD_SEAL_PASSPHRASE");
    if (!value || !*value) return MakeError(ErrorCode::kInvalidArgument, "MODELGUARD_SEAL_PASSPHRASE is not set");
    source.passphrase = value;
  } else if (!args.passphrase_file.empty()) {
    MG_ASSIGN_OR_RETURN(source.passphrase, ReadFile(args.passphrase_file, 4096));
    if (!source.passphrase.empty() && source.passphrase.back() == '\n') source.passphrase.pop_back();
    if (!source.passphrase.empty() && source.passphrase.back() == '\r') source.passphrase.pop_back();
    if (source.passphrase.empty())
      return MakeError(ErrorCode::kInvalidArgument, "the passphrase file '" + args.passphrase_file + "' is empty");
  }
  return source;
}

}  // namespace modelguard::cli
