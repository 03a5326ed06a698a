// The key options of seal, unseal and rekey (seal_args.h).
#include "tools/modelguard/seal_args.h"

#include <cstdlib>

#include "modelguard/core/io.h"

namespace modelguard::cli {

void AddSealKeyOptions(CLI::App* command, SealKeyArgs& args, const std::string& prefix) {
  const std::string which = prefix == "new-" ? "new " : "";
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

void AddSealReadOptions(CLI::App* command, SealKeyArgs& args) {
  AddSealKeyOptions(command, args, "seal-");
  for (const char* name : {"--seal-key-file", "--seal-passphrase-file", "--seal-key-command"})
    command->get_option(name)->group("Sealed files (read as their plaintext, never written to disk)");
}

Result<std::optional<seal::KeySource>> SealReadKeySource(const SealKeyArgs& args) {
  if (args.key_file.empty() && args.passphrase_file.empty() && args.key_command.empty())
    return std::optional<seal::KeySource>();
  MG_ASSIGN_OR_RETURN(seal::KeySource source, SealKeySource(args, "seal-"));
  return std::optional<seal::KeySource>(std::move(source));
}

integrity::SealedReader SealedReaderFor(const seal::KeySource& key) {
  integrity::SealedReader reader;
  reader.is_sealed = [](std::string_view prefix) { return seal::LooksSealed(prefix); };
  reader.plaintext_size = [](const std::string& path) -> Result<uint64_t> {
    MG_ASSIGN_OR_RETURN(const seal::SealHeader header, seal::ReadHeader(path));
    return header.plaintext_size;
  };
  reader.read = [key](const std::string& path, const std::function<Status(std::string_view)>& consume) -> Status {
    Status read = seal::UnsealStream(path, key, 0, consume);
    if (!read) return MakeError(read.error().code, "cannot unseal '" + path + "': " + read.error().message);
    return Ok{};
  };
  return reader;
}

scan::Unsealer UnsealerFor(const seal::KeySource& key, uint64_t max_bytes) {
  scan::Unsealer unsealer;
  unsealer.is_sealed = [](formats::ByteView prefix) {
    return seal::LooksSealed(std::string_view(reinterpret_cast<const char*>(prefix.data()), prefix.size()));
  };
  unsealer.open = [key, max_bytes](const std::string& path) -> Result<scan::Unsealer::Plaintext> {
    // One thread: the scanner already scans one file per core.
    MG_ASSIGN_OR_RETURN(seal::PlaintextInMemory plaintext, seal::UnsealToMemory(path, key, max_bytes, 1));
    auto held = std::make_shared<seal::PlaintextInMemory>(std::move(plaintext));
    const std::string_view bytes = held->bytes();
    scan::Unsealer::Plaintext out;
    out.bytes = formats::ByteView(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    out.note = "unsealed in memory with the " + seal::KeyKindName(held->header().key.kind) + ": every chunk " +
               "authenticated and the plaintext's SHA-256 " + held->header().plaintext_sha256 +
               " matched the header; the findings for this file are its plaintext's";
    out.owner = std::move(held);
    return out;
  };
  return unsealer;
}

}  // namespace modelguard::cli
