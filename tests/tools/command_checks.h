#pragma once
// Checks every command of a CLI command table must pass; tests/tools runs them on modelguard's table and
// tests/assess on modelguard-assess's, so a new command is covered as soon as it has a table entry.
#include <span>

#include "tools/modelguard/commands.h"

namespace modelguard::cli::testing {

// Every leaf subcommand, given each positional and every option that takes a value (repeatable ones twice,
// one value per occurrence), parses to the same values with the options after the positionals, before
// them, and split around them.
void ExpectAnyOrder(std::span<const Command> table);

// Every subcommand's --help (leaves and the commands that group them) shows an example naming the
// subcommand and its exit codes; --help exits 0 and an unknown option exits 2; every leaf has
// -q/--quiet and -v/--verbose.
void ExpectHelpAndConventions(std::span<const Command> table);

}  // namespace modelguard::cli::testing
