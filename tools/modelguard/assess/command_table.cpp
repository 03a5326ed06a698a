// modelguard-assess's subcommands: the ones that need libtorch. Each also has an entry in
// ../command_table.cpp naming this binary, so `modelguard --help` lists it and `modelguard <name>` lands here.
#include "tools/modelguard/commands.h"

namespace modelguard::cli {

Action AddAssess(CLI::App& command);
Action AddHarden(CLI::App& command);
Action AddDataAudit(CLI::App& command);

namespace {

constexpr Command kCommands[] = {
    {"assess", "Attack a classifier (TorchScript file or http:// endpoint): evasion, extraction, membership inference",
     AddAssess},
    {"harden", "Train classifiers that resist attack (TorchScript in, TorchScript out)", AddHarden},
    {"data", "Training-data audit: poisoned, backdoored and mislabelled samples (data audit)", AddDataAudit},
};

}  // namespace

std::span<const Command> AssessCommands() { return kCommands; }

}  // namespace modelguard::cli
