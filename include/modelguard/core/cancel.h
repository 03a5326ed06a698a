#pragma once
// Cancellation shared by every long-running command: one process-wide flag, set by SIGINT/SIGTERM once a
// command installed the handlers, read by directory walkers and between files and chunks of long work. A
// flag (not an exit from the handler) lets the work stop where its state is consistent: a scan writes the
// partial report it has, other commands return before writing anything.
#include <string>

#include "modelguard/core/result.h"

namespace modelguard::cancel {

// Installs the SIGINT/SIGTERM handlers (idempotent). The first signal only sets the flag; a second one
// restores the default action and re-raises it, so a command blocked where it does not check the flag
// (reading a terminal) still dies on a second Ctrl-C.
void InstallSignalHandlers();

// True once a signal (or Request) asked the process to stop. One relaxed atomic load: cheap enough for
// every file and every chunk, not meant for every byte.
bool Requested() noexcept;

// The signal that asked (SIGINT, SIGTERM), or 0 when Request was called without one or nothing asked.
int Signal() noexcept;

// Asks the process to stop, as a signal would (tests; embedding callers). Async-signal-safe.
void Request(int signal = 0) noexcept;
// Clears the flag (tests, which run many cancelled operations in one process).
void Reset() noexcept;

// "interrupted by SIGTERM" (or "interrupted"): what an aborted operation says.
std::string Describe();
// Ok, or a kLimit error "<what>: interrupted by SIGTERM" once cancellation was requested.
Status Check(const std::string& what);

// The exit status of a command the signal stopped without finishing: 128 + the signal number (130 for
// SIGINT, 143 for SIGTERM), as a shell reports a process the signal killed; 130 when no signal is known.
int InterruptedExitCode() noexcept;

}  // namespace modelguard::cancel
