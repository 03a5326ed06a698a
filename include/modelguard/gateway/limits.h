#pragma once
// Where admission-control state lives: token buckets (request and token rates) and budgets with
// reservations. In-process by default; Redis (atomic Lua scripts) when several gateway replicas must share
// their limits. Every operation is atomic in the store, so concurrent requests cannot overshoot.
//
// Each operation comes in two forms. The gateway awaits the asynchronous one on the event loop of the
// connection it serves: a store that talks to Redis sends the command and lets that loop serve other
// connections until the answer (or the timeout) arrives. The synchronous form is for everything else
// (tools, tests); the in-process store answers both at once.
#include <utility>  // first: Boost 1.74's Asio uses std::exchange without including it

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "modelguard/core/result.h"

namespace modelguard::gateway {

struct Admission {
  bool allowed = false;
  double retry_after_seconds = 0;  // when refused: until the bucket holds `cost`
};

class LimitStore {
 public:
  virtual ~LimitStore() = default;
  virtual const char* kind() const = 0;
  // Token bucket refilled at `rate` per second up to `burst`; takes `cost` when it is there.
  virtual Result<Admission> Take(const std::string& bucket, double rate, double burst, double cost) = 0;
  // Puts back what a request took but did not use (capped at `burst`).
  virtual Status Refund(const std::string& bucket, double rate, double burst, double amount) = 0;
  // Holds `amount` of the budget of `account` for the current window (windows are aligned to the epoch);
  // false when used + held + amount would exceed `budget`.
  virtual Result<bool> Reserve(const std::string& account, int64_t amount, int64_t budget, int64_t window_seconds) = 0;
  // Releases a reservation and charges what was really used to the current window.
  virtual Status Settle(const std::string& account, int64_t reserved, int64_t used, int64_t window_seconds) = 0;

  // The same operations, awaited on an io_context's loop (arguments are copied: the caller's strings may
  // be gone before the answer). The defaults run the synchronous forms.
  virtual boost::asio::awaitable<Result<Admission>> TakeAsync(std::string bucket, double rate, double burst,
                                                              double cost);
  virtual boost::asio::awaitable<Status> RefundAsync(std::string bucket, double rate, double burst, double amount);
  virtual boost::asio::awaitable<Result<bool>> ReserveAsync(std::string account, int64_t amount, int64_t budget,
                                                            int64_t window_seconds);
  virtual boost::asio::awaitable<Status> SettleAsync(std::string account, int64_t reserved, int64_t used,
                                                     int64_t window_seconds);
};

std::shared_ptr<LimitStore> MakeMemoryLimitStore();
// One server "redis://host:port[/db]", a Redis Cluster "redis+cluster://host:port[,host:port...]" (any
// nodes; the rest is discovered, MOVED and ASK redirects are followed), or the master that Redis Sentinel
// names "redis+sentinel://host:port[,host:port...]/master-name[/db]" (asked again after a failover).
// Commands time out after `timeout_ms`. The asynchronous operations keep one pipelined connection per
// server on each event loop that uses the store (hiredis's asynchronous API driven by that loop); the
// synchronous ones share one more, on a loop of the store's own. Connects lazily: an unreachable server shows up as
// errors from the operations (the filters then fail closed or open, as configured).
Result<std::shared_ptr<LimitStore>> MakeRedisLimitStore(const std::string& uri, int timeout_ms);

// Redis Cluster's slot of a key: CRC16 of the key's hash tag (or of the whole key) modulo 16384.
inline constexpr int kRedisClusterSlots = 16384;
uint16_t RedisClusterSlot(std::string_view key);

}  // namespace modelguard::gateway
