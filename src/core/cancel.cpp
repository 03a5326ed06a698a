#include "modelguard/core/cancel.h"

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstring>

namespace modelguard::cancel {
namespace {

// -1: not requested; 0: requested without a signal; > 0: the signal. An int, not a bool, so the report
// can say which signal, and lock-free so the handler may store it.
std::atomic<int> g_state{-1};
static_assert(std::atomic<int>::is_always_lock_free);

extern "C" void OnSignal(int signal) {
  int expected = -1;
  if (g_state.compare_exchange_strong(expected, signal)) return;
  // Second signal: the command did not stop in time (or is blocked where it cannot check); let the
  // default action end it.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  ::sigaction(signal, &dfl, nullptr);
  ::raise(signal);
}

}  // namespace

void InstallSignalHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  // No SA_RESTART: a blocking read interrupted by the signal returns EINTR, so a loop that checks the flag
  // gets the chance to.
  sa.sa_flags = 0;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

bool Requested() noexcept { return g_state.load(std::memory_order_relaxed) >= 0; }

int Signal() noexcept { return std::max(0, g_state.load(std::memory_order_relaxed)); }

void Request(int signal) noexcept {
  int expected = -1;
  g_state.compare_exchange_strong(expected, signal);
}

void Reset() noexcept { g_state.store(-1); }

std::string Describe() {
  switch (Signal()) {
    case SIGINT:
      return "interrupted by SIGINT";
    case SIGTERM:
      return "interrupted by SIGTERM";
    case 0:
      return "interrupted";
    default:
      return std::string("interrupted by signal ") + std::to_string(Signal());
  }
}

Status Check(const std::string& what) {
  if (!Requested()) return Ok{};
  return MakeError(ErrorCode::kLimit, what.empty() ? Describe() : what + ": " + Describe());
}

int InterruptedExitCode() noexcept {
  const int signal = Signal();
  return 128 + (signal > 0 ? signal : SIGINT);
}

}  // namespace modelguard::cancel
