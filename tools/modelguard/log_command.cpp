#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "modelguard/core/bytes.h"
#include "modelguard/core/io.h"
#include "modelguard/integrity/encoding.h"
#include "modelguard/integrity/log.h"
#include "tools/modelguard/cli_util.h"
#include "tools/modelguard/commands.h"

namespace modelguard::cli {
namespace {

using json = nlohmann::ordered_json;
namespace merkle = integrity::merkle;

struct LogArgs {
  std::string database;
  std::string origin;
  std::string key;
  std::string input;
  std::string kind = "blob";
  std::string format = "text";
  std::string entry_file;
  std::string checkpoint_file;
  uint64_t index = UINT64_MAX;
  uint64_t size = 0;  // 0: the current size
  uint64_t old_size = 0;
};

std::string B64(const merkle::Hash& h) { return Base64Encode(h); }

json HashList(const std::vector<merkle::Hash>& hashes) {
  auto out = json::array();
  for (const auto& h : hashes) out.push_back(B64(h));
  return out;
}

int Fail(const std::string& message) {
  std::cerr << "modelguard log: " << message << "\n";
  return 2;
}

// `mode`: kExisting for the commands that only read, so a mistyped path is an error, not a new empty log.
std::unique_ptr<integrity::TransparencyLog> OpenOrFail(const LogArgs& args,
                                                       integrity::LogOpen mode = integrity::LogOpen::kCreate) {
  auto log = integrity::TransparencyLog::Open(args.database, args.origin, mode);
  if (!log) {
    Fail(log.error().message);
    return nullptr;
  }
  return std::move(*log);
}

// The tree size a proof is made against: the one asked for, else the log's current size. A log whose size
// cannot be read is an error, never a proof against an empty tree.
Result<uint64_t> SizeOr(integrity::TransparencyLog& log, uint64_t size) {
  if (size) return size;
  auto current = log.Size();
  if (!current) return WithContext(current.error(), "cannot read the log's size: ");
  return *current;
}

int RunInit(const LogArgs& args) {
  auto log = OpenOrFail(args);
  if (!log) return 2;
  if (!args.key.empty()) {
    auto pem = ReadFile(args.key);
    if (!pem) return Fail(pem.error().message);
    auto checkpoint = log->SignCheckpoint(*pem);
    if (!checkpoint) return Fail(checkpoint.error().message);
    std::cout << checkpoint->note;
  } else {
    std::cout << "log '" << log->origin() << "' ready at " << args.database << "\n";
  }
  return 0;
}

int RunAppend(const LogArgs& args) {
  auto log = OpenOrFail(args);
  if (!log) return 2;
  auto data = ReadFile(args.input);
  if (!data) return Fail(data.error().message);
  auto index = log->Append(*data, args.kind);
  if (!index) return Fail(index.error().message);
  json doc{{"index", *index},
           {"leafHash", B64(merkle::LeafHash({reinterpret_cast<const uint8_t*>(data->data()), data->size()}))}};
  std::cout << ReportJson(doc) << "\n";
  return 0;
}

int RunCheckpoint(const LogArgs& args) {
  auto log = OpenOrFail(args);
  if (!log) return 2;
  auto pem = ReadFile(args.key);
  if (!pem) return Fail(pem.error().message);
  auto checkpoint = log->SignCheckpoint(*pem);
  if (!checkpoint) return Fail(checkpoint.error().message);
  std::cout << checkpoint->note;
  return 0;
}

int RunProve(const LogArgs& args) {
  auto log = OpenOrFail(args, integrity::LogOpen::kExisting);
  if (!log) return 2;
  uint64_t index = args.index;
  if (!args.entry_file.empty()) {
    auto data = ReadFile(args.entry_file);
    if (!data) return Fail(data.error().message);
    auto found = log->FindLeaf(merkle::LeafHash({reinterpret_cast<const uint8_t*>(data->data()), data->size()}));
    if (!found) return Fail(found.error().message);
    if (!*found) {
      std::cerr << "modelguard log: '" << args.entry_file << "' is not in the log\n";
      return 1;
    }
    index = **found;
  }
  if (index == UINT64_MAX) return Fail("give --index or --entry");
  auto tree_size = SizeOr(*log, args.size);
  if (!tree_size) return Fail(tree_size.error().message);
  const uint64_t size = *tree_size;
  auto entry = log->Entry(index);
  auto proof = log->InclusionProof(index, size);
  auto root = log->RootAt(size);
  if (!entry || !proof || !root)
    return Fail(!entry ? entry.error().message : !proof ? proof.error().message : root.error().message);
  // Field names follow the transparency-dev proof vectors, so the output can be checked by other tools.
  json doc{{"origin", log->origin()},           {"leafIdx", index},   {"treeSize", size},
           {"leafHash", B64(entry->leaf_hash)}, {"root", B64(*root)}, {"proof", HashList(*proof)}};
  std::cout << ReportJson(doc) << "\n";
  return merkle::VerifyInclusion(index, size, entry->leaf_hash, integrity::ToByteVectors(*proof), *root) ? 0 : 1;
}

int RunConsistency(const LogArgs& args) {
  auto log = OpenOrFail(args, integrity::LogOpen::kExisting);
  if (!log) return 2;
  uint64_t old_size = args.old_size;
  std::optional<integrity::Checkpoint> saved;
  if (!args.checkpoint_file.empty()) {
    auto note = ReadFile(args.checkpoint_file);
    if (!note) return Fail(note.error().message);
    auto pem = log->PublicKeyPem();
    if (!pem || pem->empty()) return Fail("the log has no checkpoint key yet");
    auto checkpoint = integrity::VerifyCheckpointNote(*note, *pem);
    if (!checkpoint) {
      std::cout << "INCONSISTENT: the saved checkpoint is not signed by this log: " << checkpoint.error().message
                << "\n";
      return 1;
    }
    saved = *checkpoint;
    old_size = checkpoint->size;
  }
  if (old_size == 0) return Fail("give --old-size or --checkpoint");
  auto tree_size = SizeOr(*log, args.size);
  if (!tree_size) return Fail(tree_size.error().message);
  const uint64_t size = *tree_size;
  auto proof = log->ConsistencyProof(old_size, size);
  auto old_root = log->RootAt(old_size);
  auto new_root = log->RootAt(size);
  if (!proof || !old_root || !new_root) {
    return Fail(!proof ? proof.error().message : !old_root ? old_root.error().message : new_root.error().message);
  }
  const merkle::Hash expected_old = saved ? saved->root : *old_root;
  const bool consistent = static_cast<bool>(
      merkle::VerifyConsistency(old_size, size, expected_old, *new_root, integrity::ToByteVectors(*proof)));
  json doc{{"origin", log->origin()},    {"size1", old_size},       {"size2", size},
           {"root1", B64(expected_old)}, {"root2", B64(*new_root)}, {"proof", HashList(*proof)},
           {"consistent", consistent}};
  std::cout << ReportJson(doc) << "\n";
  return consistent ? 0 : 1;
}

int RunAudit(const LogArgs& args) {
  auto log = OpenOrFail(args, integrity::LogOpen::kExisting);
  if (!log) return 2;
  auto audit = log->Audit();
  if (!audit) return Fail(audit.error().message);
  if (args.format == "json") {
    json doc{{"schema", "modelguard.log-verify/v1"},
             {"intact", audit->ok()},
             {"origin", log->origin()},
             {"size", audit->size},
             {"root", B64(audit->root)},
             {"checkpoints_verified", audit->checkpoints_verified},
             {"problems", audit->problems}};
    std::cout << ReportJson(doc) << "\n";
    return audit->ok() ? 0 : 1;
  }
  std::cout << (audit->ok() ? "log intact" : "LOG TAMPERED") << ": " << EscapeControlCharacters(log->origin()) << ", "
            << audit->size << " entries, root " << B64(audit->root) << ", " << audit->checkpoints_verified
            << " signed checkpoints verified\n";
  for (const auto& p : audit->problems) std::cout << "  problem: " << EscapeControlCharacters(p) << "\n";
  return audit->ok() ? 0 : 1;
}

}  // namespace

Action AddLog(CLI::App& command) {
  auto args = std::make_shared<LogArgs>();
  CLI::App* cmd = &command;
  cmd->require_subcommand(1);
  constexpr const char* kExit = "0 ok, 1 proof failed or log tampered, 2 usage or I/O error";
  constexpr const char* kDatabase = "DATABASE is an SQLite file, or a PostgreSQL URI (postgresql://...).";
  Describe(cmd, kDatabase, {"modelguard log init models.db --key log-key.pem", "modelguard log verify models.db"},
           kExit);
  auto db = [&](CLI::App* sub, bool creates) {
    sub->add_option("database", args->database,
                    creates ? "SQLite file (created if absent) or postgresql:// URI"
                            : "SQLite file of an existing log (never created) or postgresql:// URI")
        ->required();
  };
  CLI::App* init = cmd->add_subcommand("init", "Create a log; with --key, sign its first checkpoint (pins the key)");
  db(init, true);
  init->add_option("--origin", args->origin, "Log name written in checkpoints (default modelguard.local/log)");
  init->add_option("--key", args->key, "PEM private key that signs checkpoints (ECDSA or Ed25519)");
  Describe(init, kDatabase, {"modelguard log init models.db --origin example.com/models --key log-key.pem"},
           "0 created, 2 usage or I/O error");
  CLI::App* append = cmd->add_subcommand("append", "Append a file's bytes as one entry");
  db(append, true);
  append->add_option("input", args->input, "File to append ('-' for stdin)")->required();
  append->add_option("--kind", args->kind, "Entry kind label")->capture_default_str();
  Describe(append, "Prints the entry's index and leaf hash as JSON.",
           {"modelguard log append models.db model.sig --kind model-signature"}, "0 appended, 2 usage or I/O error");
  CLI::App* checkpoint = cmd->add_subcommand("checkpoint", "Sign and store a checkpoint of the current head");
  db(checkpoint, true);
  checkpoint->add_option("--key", args->key, "PEM private key pinned for this log")->required();
  Describe(checkpoint, "Prints the signed checkpoint note; keep it to check consistency later.",
           {"modelguard log checkpoint models.db --key log-key.pem > checkpoint.txt"},
           "0 signed, 2 usage, key or I/O error");
  CLI::App* prove = cmd->add_subcommand("prove", "Inclusion proof of an entry (by --index or by content --entry FILE)");
  db(prove, false);
  prove->add_option("--index", args->index, "Entry index");
  prove->add_option("--entry", args->entry_file, "Find the entry whose bytes equal this file");
  prove->add_option("--size", args->size, "Tree size to prove against (default: current)");
  Describe(prove, "Prints the proof as JSON (transparency-dev field names).",
           {"modelguard log prove models.db --entry model.sig", "modelguard log prove models.db --index 3 --size 10"},
           "0 proved, 1 the entry is not in the log or the proof fails, 2 usage or I/O error");
  CLI::App* consistency = cmd->add_subcommand(
      "consistency", "Consistency proof: the log only grew since an earlier size or saved checkpoint");
  db(consistency, false);
  consistency->add_option("--old-size", args->old_size, "Earlier tree size");
  consistency->add_option("--checkpoint", args->checkpoint_file,
                          "A checkpoint note saved earlier (checked against the log's key)");
  consistency->add_option("--size", args->size, "Later tree size (default: current)");
  Describe(consistency, "Prints the proof as JSON.",
           {"modelguard log consistency models.db --checkpoint checkpoint.txt"},
           "0 consistent, 1 inconsistent or the checkpoint is not the log's, 2 usage or I/O error");
  CLI::App* verify =
      cmd->add_subcommand("verify", "Recompute every entry and every signed checkpoint; detect tampering");
  db(verify, false);
  AddFormatOption(verify, args->format, {"text", "json"});
  Describe(verify, "", {"modelguard log verify models.db", "modelguard log verify models.db --format json"},
           "0 intact, 1 tampered, 2 usage or I/O error");
  return [=] {
    if (init->parsed()) return RunInit(*args);
    if (append->parsed()) return RunAppend(*args);
    if (checkpoint->parsed()) return RunCheckpoint(*args);
    if (prove->parsed()) return RunProve(*args);
    if (consistency->parsed()) return RunConsistency(*args);
    return RunAudit(*args);
  };
}

}  // namespace modelguard::cli
