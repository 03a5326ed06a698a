// `modelguard rekey`: wraps a sealed model's data key under another key without re-encrypting it (src/seal).
#include <iostream>
#include <memory>

#include "modelguard/core/io.h"
#include "modelguard/seal/seal.h"
#include "tools/modelguard/cli_util.h"
#include "tools/modelguard/commands.h"
#include "tools/modelguard/seal_args.h"

namespace modelguard::cli {
namespace {

struct RekeyArgs {
  std::string input, output;
  SealKeyArgs old_key, new_key;
};

int RunRekey(const RekeyArgs& args) {
  auto fail = [](const std::string& message) {
    std::cerr << "modelguard rekey: " << message << "\n";
    return 2;
  };
  if (!CheckInputFile(args.input, "rekey")) return 2;
  if (args.output.empty()) return fail("give -o NEW (a new file: the old one stays until you remove it)");
  if (SameFile(args.input, args.output)) return fail("write the re-keyed file apart from the old one");
  auto old_source = SealKeySource(args.old_key);
  if (!old_source) return fail(old_source.error().message);
  auto new_source = SealKeySource(args.new_key, "new-");
  if (!new_source) return fail(new_source.error().message);
  auto header = seal::Rekey(args.input, args.output, *old_source, *new_source, seal::SealOptions{});
  if (!header) return fail(header.error().message);
  std::cout << "re-keyed " << EscapeControlCharacters(args.input) << " into " << EscapeControlCharacters(args.output)
            << " under a " << seal::KeyKindName(header->key.kind)
            << (header->key.key_id.empty() ? "" : " (key " + header->key.key_id + ")")
            << "; the body was copied, not re-encrypted\n";
  return 0;
}

}  // namespace

Action AddRekey(CLI::App& command) {
  auto args = std::make_shared<RekeyArgs>();
  CLI::App* cmd = &command;
  cmd->add_option("sealed", args->input, "The sealed file")->required();
  cmd->add_option("-o,--output", args->output, "The re-keyed file to write")->required();
  AddSealKeyOptions(cmd, args->old_key);
  AddSealKeyOptions(cmd, args->new_key, "new-");
  Describe(cmd, "", {"modelguard rekey model.sealed -o model.v2.sealed --key-file old.key --new-key-file new.key"},
           "0 re-keyed, 2 wrong key, altered file, usage or I/O error");
  return [args] { return RunRekey(*args); };
}

}  // namespace modelguard::cli
