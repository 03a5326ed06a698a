#pragma once
#include <CLI/CLI.hpp>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <string>

namespace modelguard::cli {

// Each subcommand registers its options and returns the action that runs it (exit code).
using Action = std::function<int()>;
Action RegisterScan(CLI::App& app);

// The stream for --output: stdout when `path` is empty, else `file` opened on it. nullptr (with a message
// on stderr naming `command`) when the file cannot be written.
inline std::ostream* OpenOutput(const std::string& path, std::ofstream& file, const char* command) {
  if (path.empty()) return &std::cout;
  file.open(path);
  if (!file) {
    std::cerr << "modelguard " << command << ": cannot write '" << path << "'\n";
    return nullptr;
  }
  return &file;
}

// Parses the command line. nullopt: go on and run the chosen subcommand; otherwise the exit code (0 after
// --help or --version, 2 for usage errors, with CLI11's message printed).
inline std::optional<int> ParseCommandLine(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  return std::nullopt;
}

Action RegisterHash(CLI::App& app);
Action RegisterVerify(CLI::App& app);
Action RegisterSign(CLI::App& app);
Action RegisterLog(CLI::App& app);
Action RegisterData(CLI::App& app);
Action RegisterBom(CLI::App& app);
Action RegisterGuard(CLI::App& app);
// Registers "gateway" and "audit"; the action runs whichever was given.
Action RegisterGateway(CLI::App& app);
// In modelguard-assess only (libtorch): "assess" and "harden".
Action RegisterAssess(CLI::App& app);
Action RegisterHarden(CLI::App& app);

}  // namespace modelguard::cli
