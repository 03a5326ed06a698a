#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "modelguard/core/bytes.h"
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

std::unique_ptr<integrity::TransparencyLog> OpenOrFail(const LogArgs& args) {
  auto log = integrity::TransparencyLog::Open(args.database, args.origin);
  if (!log) {
    Fail(log.error().message);
    return nullptr;
  }
  return std::move(*log);
}

uint64_t SizeOr(integrity::TransparencyLog& log, uint64_t size) {
  if (size) return size;
  auto current = log.Size();
  return current ? *current : 0;
}

int RunInit(const LogArgs& args) {
  auto log = OpenOrFail(args);
  if (!log) return 2;
  if (!args.key.empty()) {
    auto pem = ReadFileText(args.key);
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
  auto data = ReadFileText(args.input);
  if (!data) return Fail(data.error().message);
  auto index = log->Append(*data, args.kind);
  if (!index) return Fail(index.error().message);
  json doc{{"index", *index},
           {"leafHash", B64(merkle::LeafHash({reinterpret_cast<const uint8_t*>(data->data()), data->size()}))}};
  std::cout << doc.dump(2) << "\n";
  return 0;
}

int RunCheckpoint(const LogArgs& args) {
  auto log = OpenOrFail(args);
  if (!log) return 2;
  auto pem = ReadFileText(args.key);
  if (!pem) return Fail(pem.error().message);
  auto checkpoint = log->SignCheckpoint(*pem);
  if (!checkpoint) return Fail(checkpoint.error().message);
  std::cout << checkpoint->note;
  return 0;
}

int RunProve(const LogArgs& args) {
  auto log = OpenOrFail(args);
  if (!log) return 2;
  uint64_t index = args.index;
  if (!args.entry_file.empty()) {
    auto data = ReadFileText(args.entry_file);
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
  const uint64_t size = SizeOr(*log, args.size);
  auto entry = log->Entry(index);
  auto proof = log->InclusionProof(index, size);
  auto root = log->RootAt(size);
  if (!entry || !proof || !root)
    return Fail(!entry ? entry.error().message : !proof ? proof.error().message : root.error().message);
  // Field names follow the transparency-dev proof vectors, so the output can be checked by other tools.
  json doc{{"origin", log->origin()},           {"leafIdx", index},   {"treeSize", size},
           {"leafHash", B64(entry->leaf_hash)}, {"root", B64(*root)}, {"proof", HashList(*proof)}};
  std::cout << doc.dump(2) << "\n";
  return merkle::VerifyInclusion(index, size, entry->leaf_hash, integrity::ToByteVectors(*proof), *root) ? 0 : 1;
}

int RunConsistency(const LogArgs& args) {
  auto log = OpenOrFail(args);
  if (!log) return 2;
  uint64_t old_size = args.old_size;
  std::optional<integrity::Checkpoint> saved;
  if (!args.checkpoint_file.empty()) {
    auto note = ReadFileText(args.checkpoint_file);
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
  const uint64_t size = SizeOr(*log, args.size);
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
  std::cout << doc.dump(2) << "\n";
  return consistent ? 0 : 1;
}

int RunAudit(const LogArgs& args) {
  auto log = OpenOrFail(args);
  if (!log) return 2;
  auto audit = log->Audit();
  if (!audit) return Fail(audit.error().message);
  std::cout << (audit->ok() ? "log intact" : "LOG TAMPERED") << ": " << log->origin() << ", " << audit->size
            << " entries, root " << B64(audit->root) << ", " << audit->checkpoints_verified
            << " signed checkpoints verified\n";
  for (const auto& p : audit->problems) std::cout << "  problem: " << p << "\n";
  return audit->ok() ? 0 : 1;
}

}  // namespace

Action RegisterLog(CLI::App& app) {
  auto args = std::make_shared<LogArgs>();
  CLI::App* cmd = app.add_subcommand(
      "log", "Append-only transparency log (RFC 9162 Merkle tree in SQLite or PostgreSQL, signed checkpoints)");
  cmd->require_subcommand(1);
  cmd->footer(
      "DATABASE is an SQLite file, or a PostgreSQL URI (postgresql://...).\nExit 0 ok, 1 proof failed or log tampered, "
      "2 usage or I/O error.");
  auto db = [&](CLI::App* sub) {
    sub->add_option("database", args->database, "SQLite file (created if absent) or postgresql:// URI")->required();
  };
  CLI::App* init = cmd->add_subcommand("init", "Create a log; with --key, sign its first checkpoint (pins the key)");
  db(init);
  init->add_option("--origin", args->origin, "Log name written in checkpoints (default modelguard.local/log)");
  init->add_option("--key", args->key, "PEM private key that signs checkpoints (ECDSA or Ed25519)");
  CLI::App* append = cmd->add_subcommand("append", "Append a file's bytes as one entry");
  db(append);
  append->add_option("input", args->input, "File to append ('-' for stdin)")->required();
  append->add_option("--kind", args->kind, "Entry kind label")->capture_default_str();
  CLI::App* checkpoint = cmd->add_subcommand("checkpoint", "Sign and store a checkpoint of the current head");
  db(checkpoint);
  checkpoint->add_option("--key", args->key, "PEM private key pinned for this log")->required();
  CLI::App* prove = cmd->add_subcommand("prove", "Inclusion proof of an entry (by --index or by content --entry FILE)");
  db(prove);
  prove->add_option("--index", args->index, "Entry index");
  prove->add_option("--entry", args->entry_file, "Find the entry whose bytes equal this file");
  prove->add_option("--size", args->size, "Tree size to prove against (default: current)");
  CLI::App* consistency = cmd->add_subcommand(
      "consistency", "Consistency proof: the log only grew since an earlier size or saved checkpoint");
  db(consistency);
  consistency->add_option("--old-size", args->old_size, "Earlier tree size");
  consistency->add_option("--checkpoint", args->checkpoint_file,
                          "A checkpoint note saved earlier (checked against the log's key)");
  consistency->add_option("--size", args->size, "Later tree size (default: current)");
  CLI::App* verify =
      cmd->add_subcommand("verify", "Recompute every entry and every signed checkpoint; detect tampering");
  db(verify);
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
