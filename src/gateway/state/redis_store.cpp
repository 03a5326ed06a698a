// Limit state shared by gateway replicas through Redis. Each operation is one Lua script, which Redis runs
// atomically, so two replicas admitting at the same instant still see each other's reservations. Time comes
// from the Redis server (TIME), so replicas with skewed clocks agree on buckets and budget windows.
// Keys are built inside the scripts from the window number: fine for a single Redis or a replica set, not
// for Redis Cluster (documented in docs/gateway.md).
#include <hiredis/hiredis.h>

#include <chrono>
#include <cstring>
#include <mutex>
#include <vector>

#include "modelguard/gateway/limits.h"

namespace modelguard::gateway {
namespace {

// Both bucket scripts start the same way: KEYS[1] bucket; ARGV rate, burst, amount; the bucket's tokens and
// last update, and the server's time.
#define MG_BUCKET_PRELUDE                                                                 \
  "local rate, burst, amount = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])\n" \
  "local t = redis.call('TIME')\n"                                                        \
  "local now = tonumber(t[1]) + tonumber(t[2]) / 1e6\n"                                   \
  "local v = redis.call('HMGET', KEYS[1], 'tokens', 'updated')\n"                         \
  "local tokens, updated = tonumber(v[1]), tonumber(v[2])\n"

// Takes `amount` when the bucket holds it. Returns {allowed, retry_after_seconds as a string}.
constexpr const char* kTakeScript = MG_BUCKET_PRELUDE R"LUA(
if tokens == nil then tokens, updated = burst, now end
tokens = math.min(burst, tokens + math.max(0, now - updated) * rate)
local allowed, wait = 0, 0
if tokens >= amount then tokens = tokens - amount; allowed = 1 else wait = (amount - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 60)
return {allowed, tostring(wait)}
)LUA";

// Puts `amount` back (capped at burst).
constexpr const char* kRefundScript = MG_BUCKET_PRELUDE R"LUA(
if tokens == nil then return 0 end
tokens = math.min(burst, tokens + math.max(0, now - updated) * rate + amount)
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(now))
return 1
)LUA";
#undef MG_BUCKET_PRELUDE

// KEYS[1] account prefix; ARGV amount, budget, window seconds. Used tokens live in <prefix>:used:<window>,
// reservations in <prefix>:held (not windowed: they belong to requests in flight).
constexpr const char* kReserveScript = R"LUA(
local amount, budget, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local now = tonumber(redis.call('TIME')[1])
local used_key = KEYS[1] .. ':used:' .. math.floor(now / window)
local held_key = KEYS[1] .. ':held'
local used = tonumber(redis.call('GET', used_key) or '0')
local held = tonumber(redis.call('GET', held_key) or '0')
if used + held + amount > budget then return 0 end
redis.call('INCRBY', held_key, amount)
redis.call('EXPIRE', held_key, 3600)
return 1
)LUA";

// KEYS[1] account prefix; ARGV reserved, used, window seconds.
constexpr const char* kSettleScript = R"LUA(
local reserved, used, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local now = tonumber(redis.call('TIME')[1])
local used_key = KEYS[1] .. ':used:' .. math.floor(now / window)
local held_key = KEYS[1] .. ':held'
if redis.call('DECRBY', held_key, reserved) < 0 then redis.call('SET', held_key, 0) end
if used > 0 then
  redis.call('INCRBY', used_key, used)
  redis.call('EXPIRE', used_key, window * 2)
end
return 1
)LUA";

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;
struct ContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
using Connection = std::unique_ptr<redisContext, ContextDeleter>;

class RedisLimitStore final : public LimitStore {
 public:
  RedisLimitStore(std::string host, int port, int db, int timeout_ms)
      : host_(std::move(host)), port_(port), db_(db), timeout_ms_(timeout_ms) {}
  const char* kind() const override { return "redis"; }

  Result<Admission> Take(const std::string& bucket, double rate, double burst, double cost) override {
    auto reply = Eval(kTakeScript, "mg:bucket:" + bucket, {Number(rate), Number(burst), Number(cost)});
    if (!reply) return reply.error();
    const redisReply* r = reply->get();
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2)
      return MakeError(ErrorCode::kIo, "redis: unexpected reply to the bucket script");
    Admission out;
    out.allowed = r->element[0]->integer == 1;
    out.retry_after_seconds = r->element[1]->str ? std::strtod(r->element[1]->str, nullptr) : 0;
    return out;
  }

  Status Refund(const std::string& bucket, double rate, double burst, double amount) override {
    auto reply = Eval(kRefundScript, "mg:bucket:" + bucket, {Number(rate), Number(burst), Number(amount)});
    if (!reply) return reply.error();
    return Ok{};
  }

  Result<bool> Reserve(const std::string& account, int64_t amount, int64_t budget, int64_t window_seconds) override {
    auto reply = Eval(kReserveScript, "mg:budget:" + account,
                      {std::to_string(amount), std::to_string(budget), std::to_string(window_seconds)});
    if (!reply) return reply.error();
    return (*reply)->type == REDIS_REPLY_INTEGER && (*reply)->integer == 1;
  }

  Status Settle(const std::string& account, int64_t reserved, int64_t used, int64_t window_seconds) override {
    auto reply = Eval(kSettleScript, "mg:budget:" + account,
                      {std::to_string(reserved), std::to_string(used), std::to_string(window_seconds)});
    if (!reply) return reply.error();
    return Ok{};
  }

 private:
  static std::string Number(double v) {
    char text[64];
    std::snprintf(text, sizeof text, "%.17g", v);
    return text;
  }

  // An idle connection when there is one (`reused` true), else a new one.
  Connection Acquire(std::string& error, bool& reused) {
    {
      std::lock_guard lock(mutex_);
      reused = !idle_.empty();
      if (reused) {
        Connection c = std::move(idle_.back());
        idle_.pop_back();
        return c;
      }
      // After a failure, requests fail at once for a moment instead of each waiting for a connect timeout.
      if (std::chrono::steady_clock::now() < retry_after_) {
        error = "redis at " + host_ + ":" + std::to_string(port_) + " is unreachable (retrying shortly)";
        return nullptr;
      }
    }
    const timeval tv{timeout_ms_ / 1000, (timeout_ms_ % 1000) * 1000};
    Connection c(redisConnectWithTimeout(host_.c_str(), port_, tv));
    if (!c || c->err) {
      error = "redis at " + host_ + ":" + std::to_string(port_) + ": " + (c ? c->errstr : "out of memory");
      MarkDown();
      return nullptr;
    }
    redisSetTimeout(c.get(), tv);
    if (db_ != 0) {
      Reply r(static_cast<redisReply*>(redisCommand(c.get(), "SELECT %d", db_)));
      if (!r || r->type == REDIS_REPLY_ERROR) {
        error = "redis: SELECT " + std::to_string(db_) + " failed";
        return nullptr;
      }
    }
    return c;
  }
  void MarkDown() {
    std::lock_guard lock(mutex_);
    retry_after_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
  }

  Result<Reply> Eval(const char* script, const std::string& key, const std::vector<std::string>& args) {
    std::vector<const char*> argv{"EVAL", script, "1", key.c_str()};
    std::vector<size_t> lengths{4, std::strlen(script), 1, key.size()};
    for (const auto& a : args) {
      argv.push_back(a.c_str());
      lengths.push_back(a.size());
    }
    // A pooled connection may be dead (Redis restarted): then every idle one is, so they are dropped and
    // the command is tried once more on a new connection.
    for (int attempt = 0; attempt < 2; ++attempt) {
      std::string error;
      bool reused = false;
      Connection c = Acquire(error, reused);
      if (!c) return MakeError(ErrorCode::kIo, error);
      Reply reply(static_cast<redisReply*>(
          redisCommandArgv(c.get(), static_cast<int>(argv.size()), argv.data(), lengths.data())));
      if (!reply) {
        const std::string why = c->errstr;
        {
          std::lock_guard lock(mutex_);
          idle_.clear();
        }
        if (reused) continue;
        MarkDown();
        return MakeError(ErrorCode::kIo, "redis: " + why);
      }
      if (reply->type == REDIS_REPLY_ERROR) return MakeError(ErrorCode::kIo, std::string("redis: ") + reply->str);
      std::lock_guard lock(mutex_);
      if (idle_.size() < 64) idle_.push_back(std::move(c));
      return reply;
    }
    return MakeError(ErrorCode::kIo, "redis: no working connection");
  }

  const std::string host_;
  const int port_, db_, timeout_ms_;
  std::mutex mutex_;
  std::vector<Connection> idle_;
  std::chrono::steady_clock::time_point retry_after_{};
};

}  // namespace

Result<std::shared_ptr<LimitStore>> MakeRedisLimitStore(const std::string& uri, int timeout_ms) {
  constexpr std::string_view kScheme = "redis://";
  if (uri.rfind(kScheme, 0) != 0)
    return MakeError(ErrorCode::kInvalidArgument, "expected redis://host:port[/db], got '" + uri + "'");
  std::string rest = uri.substr(kScheme.size());
  int db = 0;
  if (auto slash = rest.find('/'); slash != std::string::npos) {
    const std::string db_text = rest.substr(slash + 1);
    if (db_text.empty() || db_text.size() > 2 || db_text.find_first_not_of("0123456789") != std::string::npos) {
      return MakeError(ErrorCode::kInvalidArgument, "redis: database must be a small number in '" + uri + "'");
    }
    db = std::stoi(db_text);
    rest.resize(slash);
  }
  std::string host = rest;
  int port = 6379;
  if (auto colon = rest.rfind(':'); colon != std::string::npos) {
    const std::string port_text = rest.substr(colon + 1);
    if (port_text.empty() || port_text.size() > 5 || port_text.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(port_text) > 65535) {
      return MakeError(ErrorCode::kInvalidArgument, "redis: bad port in '" + uri + "'");
    }
    port = std::stoi(port_text);
    host = rest.substr(0, colon);
  }
  if (host.empty()) return MakeError(ErrorCode::kInvalidArgument, "redis: no host in '" + uri + "'");
  if (timeout_ms <= 0) return MakeError(ErrorCode::kInvalidArgument, "redis: timeout must be positive");
  return std::shared_ptr<LimitStore>(std::make_shared<RedisLimitStore>(host, port, db, timeout_ms));
}

}  // namespace modelguard::gateway
