// In-process limit state: one mutex around the buckets and budgets (each operation is a few arithmetic
// steps, so the lock is held for well under a microsecond).
#include <algorithm>
#include <chrono>
#include <mutex>
#include <unordered_map>

#include "modelguard/core/clock.h"
#include "modelguard/gateway/limits.h"

namespace modelguard::gateway {
namespace {

using Clock = std::chrono::steady_clock;

int64_t WindowId(int64_t window_seconds) { return NowUnixSeconds() / window_seconds; }

class MemoryLimitStore final : public LimitStore {
 public:
  const char* kind() const override { return "memory"; }

  Result<Admission> Take(const std::string& bucket, double rate, double burst, double cost) override {
    std::lock_guard lock(mutex_);
    Bucket& b = Refill(bucket, rate, burst);
    if (b.tokens >= cost) {
      b.tokens -= cost;
      return Admission{true, 0};
    }
    return Admission{false, (cost - b.tokens) / rate};
  }

  Status Refund(const std::string& bucket, double rate, double burst, double amount) override {
    std::lock_guard lock(mutex_);
    Bucket& b = Refill(bucket, rate, burst);
    b.tokens = std::min(burst, b.tokens + amount);
    return Ok{};
  }

  Result<bool> Reserve(const std::string& account, int64_t amount, int64_t budget, int64_t window_seconds) override {
    std::lock_guard lock(mutex_);
    Budget& a = Current(account, window_seconds);
    if (a.used + a.reserved + amount > budget) return false;
    a.reserved += amount;
    return true;
  }

  Status Settle(const std::string& account, int64_t reserved, int64_t used, int64_t window_seconds) override {
    std::lock_guard lock(mutex_);
    Budget& a = Current(account, window_seconds);
    a.reserved = std::max<int64_t>(0, a.reserved - reserved);
    a.used += used;
    return Ok{};
  }

 private:
  struct Bucket {
    double tokens;
    Clock::time_point updated;
  };
  struct Budget {
    int64_t used = 0, reserved = 0, window = 0;
  };
  Bucket& Refill(const std::string& name, double rate, double burst) {
    const auto now = Clock::now();
    auto [it, fresh] = buckets_.try_emplace(name, Bucket{burst, now});
    Bucket& b = it->second;
    if (!fresh) b.tokens = std::min(burst, b.tokens + rate * std::chrono::duration<double>(now - b.updated).count());
    b.updated = now;
    return b;
  }
  Budget& Current(const std::string& account, int64_t window_seconds) {
    const int64_t window = WindowId(window_seconds);
    Budget& a = budgets_[account];
    // A new window forgets what was used; reservations stay held: they belong to requests still running.
    if (a.window != window) {
      a.used = 0;
      a.window = window;
    }
    return a;
  }
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
  std::unordered_map<std::string, Budget> budgets_;
};

}  // namespace

std::shared_ptr<LimitStore> MakeMemoryLimitStore() { return std::make_shared<MemoryLimitStore>(); }

}  // namespace modelguard::gateway
