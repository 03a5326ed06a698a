// modelguard's subcommands, in the order `modelguard --help` lists them. To add one: write
// <name>_command.cpp defining its Add function (the build picks the file up), declare it here and add its
// entry. main.cpp, --help and the CLI tests (tests/tools/command_table_test.cpp) read this table.
#include "tools/modelguard/commands.h"

namespace modelguard::cli {

Action AddScan(CLI::App& command);
Action AddHash(CLI::App& command);
Action AddSign(CLI::App& command);
Action AddVerify(CLI::App& command);
Action AddLog(CLI::App& command);
Action AddData(CLI::App& command);
Action AddBom(CLI::App& command);
Action AddGateway(CLI::App& command);
Action AddAudit(CLI::App& command);
Action AddGuard(CLI::App& command);
Action AddRedteam(CLI::App& command);
Action AddPrivacy(CLI::App& command);
Action AddMonitor(CLI::App& command);
Action AddWatermark(CLI::App& command);
Action AddSeal(CLI::App& command);
Action AddUnseal(CLI::App& command);
Action AddRekey(CLI::App& command);
Action AddInventory(CLI::App& command);
Action AddRegister(CLI::App& command);
Action AddIncident(CLI::App& command);
Action AddReport(CLI::App& command);

namespace {

constexpr Command kCommands[] = {
    {"scan", "Scan model files and directories for code execution and format abuse", AddScan},
    {"hash", "Compute the OpenSSF model-signing manifest of a model file or directory", AddHash},
    {"sign", "Sign a model: OpenSSF model-signing bundle (DSSE, in-toto, Sigstore bundle v0.3)", AddSign},
    {"verify", "Verify an OpenSSF model-signing bundle against the model", AddVerify},
    {"log", "Append-only transparency log (RFC 9162 Merkle tree in SQLite or PostgreSQL, signed checkpoints)", AddLog},
    {"data", "Training data: manifests, personal data, schemas and validation with drift, poisoning and backdoor audit",
     AddData, "modelguard-assess", "audit"},
    {"bom", "CycloneDX ML-BOM of a model: hashes, format, model card, datasets, signature, scan verdict", AddBom},
    {"gateway", "Inference firewall: reverse proxy with filters (API keys, ...) and an audit trail", AddGateway},
    {"guard", "Prompt-injection/jailbreak classifier, signatures, PII and secret detection and redaction", AddGuard},
    {"audit", "Check the gateway's hash-chained audit file", AddAudit},
    {"redteam", "Red-team an LLM endpoint: injection, jailbreak, extraction, tool and output attacks, scored",
     AddRedteam},
    {"privacy", "Differential privacy: DP-SGD accounting (RDP, PRV), private statistics of tables with a budget ledger",
     AddPrivacy},
    {"monitor", "Drift between a reference and current data (CSV, JSONL, audit logs, NPY): per-column tests, report",
     AddMonitor},
    {"watermark", "Detect the green-list watermark (Kirchenbauer et al. 2023) in generated token sequences",
     AddWatermark},
    {"seal", "Encrypt a model file at rest: AES-256-GCM chunks, data key wrapped by a key file, passphrase or KMS",
     AddSeal},
    {"unseal", "Decrypt a sealed model file, every chunk authenticated (or show its header)", AddUnseal},
    {"rekey", "Wrap a sealed model's data key under another key without re-encrypting the model", AddRekey},
    {"inventory", "Discover AI assets (models, SDK use, AI APIs and keys, agent tools, MCP servers) and shadow AI",
     AddInventory},
    {"register", "The register of models: owners, risk tier, identifiers, evidence attached from any result",
     AddRegister},
    {"incident", "AI incidents linked to models, with a timeline (runbook: docs/incident-response.md)", AddIncident},
    {"report",
     "Governance dashboard: a static site of inventory, register, evidence, controls and the AI-security checklist",
     AddReport},
    // Run by modelguard-assess (assess/command_table.cpp holds their Add functions): only they load libtorch.
    {"assess", "Attack a classifier (TorchScript or http:// endpoint): evasion, extraction, membership inference",
     nullptr, "modelguard-assess"},
    {"harden",
     "Train classifiers that resist attack: PGD adversarial training (harden adversarial), baselines (harden train)",
     nullptr, "modelguard-assess"},
};

}  // namespace

std::span<const Command> Commands() { return kCommands; }

}  // namespace modelguard::cli
