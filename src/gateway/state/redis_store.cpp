// Limit state shared by gateway replicas through Redis. Each operation is one Lua script, which Redis runs
// atomically, so two replicas admitting at the same instant still see each other's reservations. Time comes
// from the Redis server (TIME), so replicas with skewed clocks agree on buckets and budget windows.
// Every script touches exactly the one key it is given, so each works unchanged on Redis Cluster.
#include <hiredis/hiredis.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "modelguard/core/hash.h"
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

// A budget is one hash, KEYS[1] = "mg:budget:{<account>}": `held` (reservations of requests in flight),
// `window` (the current window's number) and `used` (tokens charged in that window; a new window starts at
// 0). One key per account keeps every script on one key, so a Redis Cluster slot migration moves a budget
// whole: the node holding the key runs the script, and a node that does not answers ASK.
// ARGV amount, budget, window seconds. Returns 1 when held.
constexpr const char* kReserveScript = R"LUA(
local amount, budget, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local current = math.floor(tonumber(redis.call('TIME')[1]) / window)
local v = redis.call('HMGET', KEYS[1], 'held', 'window', 'used')
local held, used = tonumber(v[1] or '0'), 0
if tonumber(v[2] or '-1') == current then used = tonumber(v[3] or '0') end
if used + held + amount > budget then return 0 end
redis.call('HSET', KEYS[1], 'held', held + amount, 'window', current, 'used', used)
redis.call('EXPIRE', KEYS[1], math.max(3600, window * 2))
return 1
)LUA";

// ARGV reserved, used, window seconds: releases the reservation and charges what was used.
constexpr const char* kSettleScript = R"LUA(
local reserved, spent, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local current = math.floor(tonumber(redis.call('TIME')[1]) / window)
local v = redis.call('HMGET', KEYS[1], 'held', 'window', 'used')
local held, used = math.max(0, tonumber(v[1] or '0') - reserved), 0
if tonumber(v[2] or '-1') == current then used = tonumber(v[3] or '0') end
redis.call('HSET', KEYS[1], 'held', held, 'window', current, 'used', used + spent)
redis.call('EXPIRE', KEYS[1], math.max(3600, window * 2))
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

struct Endpoint {
  std::string host;
  int port = 0;
  std::string Text() const { return host + ":" + std::to_string(port); }
};

// A command's outcome at one server: a reply (possibly a Redis error reply, which the caller interprets,
// e.g. MOVED), or a transport failure (connection refused, timeout, connection dropped).
struct Exchange {
  Reply reply;
  std::string transport_error;  // set when there is no reply
};

// Connections to one Redis server: a small pool of idle connections, a short back-off after a failure so
// requests fail at once instead of each waiting for a connect timeout, and a dropped pool when a pooled
// connection turns out dead (the server restarted: then every idle one is dead).
class ServerConnections {
 public:
  ServerConnections(Endpoint endpoint, int db, int timeout_ms)
      : endpoint_(std::move(endpoint)), db_(db), timeout_ms_(timeout_ms) {}
  const Endpoint& endpoint() const { return endpoint_; }

  // Sends `argv` (preceded by ASKING when `asking`, for a cluster slot being migrated).
  Exchange Command(const std::vector<const char*>& argv, const std::vector<size_t>& lengths, bool asking = false) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      Exchange out;
      bool reused = false;
      Connection c = Acquire(out.transport_error, reused);
      if (!c) return out;
      if (asking) redisAppendCommand(c.get(), "ASKING");
      // hiredis 0.14 takes a non-const argv; it only reads it.
      redisAppendCommandArgv(c.get(), static_cast<int>(argv.size()), const_cast<const char**>(argv.data()),
                             lengths.data());
      void* raw = nullptr;
      bool transport_ok = true;
      if (asking) {
        transport_ok = redisGetReply(c.get(), &raw) == REDIS_OK;
        freeReplyObject(raw);
        raw = nullptr;
      }
      if (transport_ok) transport_ok = redisGetReply(c.get(), &raw) == REDIS_OK && raw != nullptr;
      if (!transport_ok) {
        out.transport_error = "redis at " + endpoint_.Text() + ": " + (c->errstr[0] ? c->errstr : "no reply");
        DropIdle();
        if (reused) continue;
        MarkDown();
        return out;
      }
      out.reply.reset(static_cast<redisReply*>(raw));
      Release(std::move(c));
      return out;
    }
    return Exchange{nullptr, "redis at " + endpoint_.Text() + ": no working connection"};
  }

  void DropIdle() {
    std::lock_guard lock(mutex_);
    idle_.clear();
  }

 private:
  Connection Acquire(std::string& error, bool& reused) {
    {
      std::lock_guard lock(mutex_);
      reused = !idle_.empty();
      if (reused) {
        Connection c = std::move(idle_.back());
        idle_.pop_back();
        return c;
      }
      if (std::chrono::steady_clock::now() < retry_after_) {
        error = "redis at " + endpoint_.Text() + " is unreachable (retrying shortly)";
        return nullptr;
      }
    }
    const timeval tv{timeout_ms_ / 1000, (timeout_ms_ % 1000) * 1000};
    Connection c(redisConnectWithTimeout(endpoint_.host.c_str(), endpoint_.port, tv));
    if (!c || c->err) {
      error = "redis at " + endpoint_.Text() + ": " + (c ? c->errstr : "out of memory");
      MarkDown();
      return nullptr;
    }
    redisSetTimeout(c.get(), tv);
    if (db_ != 0) {
      Reply r(static_cast<redisReply*>(redisCommand(c.get(), "SELECT %d", db_)));
      if (!r || r->type == REDIS_REPLY_ERROR) {
        error = "redis at " + endpoint_.Text() + ": SELECT " + std::to_string(db_) + " failed";
        return nullptr;
      }
    }
    return c;
  }
  void Release(Connection c) {
    std::lock_guard lock(mutex_);
    if (idle_.size() < 64) idle_.push_back(std::move(c));
  }
  void MarkDown() {
    std::lock_guard lock(mutex_);
    retry_after_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
  }

  const Endpoint endpoint_;
  const int db_, timeout_ms_;
  std::mutex mutex_;
  std::vector<Connection> idle_;
  std::chrono::steady_clock::time_point retry_after_{};
};

std::string ErrorText(const redisReply* r) { return std::string(r->str ? r->str : "", r->str ? r->len : 0); }

// "host:port" as Redis writes it in MOVED/ASK replies and sentinel answers (an IPv6 host keeps its colons).
std::optional<Endpoint> ParseEndpoint(std::string_view text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size() || text.size() - colon > 6)
    return std::nullopt;
  int port = 0;
  for (char c : text.substr(colon + 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    port = port * 10 + (c - '0');
  }
  if (port <= 0 || port > 65535) return std::nullopt;
  return Endpoint{std::string(text.substr(0, colon)), port};
}

// Where a store sends its commands: one server, the master a set of sentinels names, or the node of a
// Redis Cluster that holds the key's slot.
class Topology {
 public:
  virtual ~Topology() = default;
  virtual Result<Reply> Run(const std::string& key, const std::vector<const char*>& argv,
                            const std::vector<size_t>& lengths) = 0;
};

Result<Reply> ReplyOrError(Exchange exchange) {
  if (!exchange.reply) return MakeError(ErrorCode::kIo, exchange.transport_error);
  if (exchange.reply->type == REDIS_REPLY_ERROR)
    return MakeError(ErrorCode::kIo, "redis: " + ErrorText(exchange.reply.get()));
  return std::move(exchange.reply);
}

class SingleServer final : public Topology {
 public:
  SingleServer(Endpoint endpoint, int db, int timeout_ms) : server_(std::move(endpoint), db, timeout_ms) {}
  Result<Reply> Run(const std::string&, const std::vector<const char*>& argv,
                    const std::vector<size_t>& lengths) override {
    return ReplyOrError(server_.Command(argv, lengths));
  }

 private:
  ServerConnections server_;
};

// Redis Sentinel: the sentinels are asked which server is the master of `name` (again after a second); commands
// go there. A transport failure or a READONLY answer (the old master was demoted) makes the next command ask
// again at once.
class SentinelMaster final : public Topology {
 public:
  SentinelMaster(std::vector<Endpoint> sentinels, std::string name, int db, int timeout_ms)
      : name_(std::move(name)), db_(db), timeout_ms_(timeout_ms) {
    for (auto& e : sentinels) sentinels_.push_back(std::make_unique<ServerConnections>(std::move(e), 0, timeout_ms));
  }

  Result<Reply> Run(const std::string&, const std::vector<const char*>& argv,
                    const std::vector<size_t>& lengths) override {
    for (int attempt = 0; attempt < 2; ++attempt) {
      MG_ASSIGN_OR_RETURN(std::shared_ptr<ServerConnections> master, Master(attempt > 0));
      Exchange exchange = master->Command(argv, lengths);
      const bool demoted = exchange.reply && exchange.reply->type == REDIS_REPLY_ERROR &&
                           ErrorText(exchange.reply.get()).rfind("READONLY", 0) == 0;
      if (exchange.reply && !demoted) return ReplyOrError(std::move(exchange));
      Forget(master);
      if (attempt == 1) return ReplyOrError(std::move(exchange));
    }
    return MakeError(ErrorCode::kIo, "redis: no master for '" + name_ + "'");
  }

 private:
  Result<std::shared_ptr<ServerConnections>> Master(bool ask_again) {
    {
      std::lock_guard lock(mutex_);
      // Asked again at least once a second: after a failover the old master may keep accepting writes
      // until the sentinels reconfigure it, and those writes would be lost.
      if (master_ && !ask_again && std::chrono::steady_clock::now() - resolved_at_ < std::chrono::seconds(1))
        return master_;
    }
    std::string why = "no sentinel answered";
    const std::string command = "get-master-addr-by-name";
    std::vector<const char*> argv{"SENTINEL", command.c_str(), name_.c_str()};
    std::vector<size_t> lengths{8, command.size(), name_.size()};
    for (auto& sentinel : sentinels_) {
      Exchange exchange = sentinel->Command(argv, lengths);
      if (!exchange.reply) {
        why = exchange.transport_error;
        continue;
      }
      const redisReply* r = exchange.reply.get();
      if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_STRING ||
          r->element[1]->type != REDIS_REPLY_STRING) {
        why = "sentinel at " + sentinel->endpoint().Text() + " knows no master named '" + name_ + "'";
        continue;
      }
      auto endpoint = ParseEndpoint(ErrorText(r->element[0]) + ":" + ErrorText(r->element[1]));
      if (!endpoint) {
        why = "sentinel at " + sentinel->endpoint().Text() + " gave an unreadable address";
        continue;
      }
      std::lock_guard lock(mutex_);
      if (!master_ || master_->endpoint().Text() != endpoint->Text())
        master_ = std::make_shared<ServerConnections>(std::move(*endpoint), db_, timeout_ms_);
      resolved_at_ = std::chrono::steady_clock::now();
      return master_;
    }
    return MakeError(ErrorCode::kIo, "redis sentinel, master '" + name_ + "': " + why);
  }
  void Forget(const std::shared_ptr<ServerConnections>& master) {
    std::lock_guard lock(mutex_);
    if (master_ == master) master_.reset();
  }

  std::vector<std::unique_ptr<ServerConnections>> sentinels_;
  const std::string name_;
  const int db_, timeout_ms_;
  std::mutex mutex_;
  std::shared_ptr<ServerConnections> master_;
  std::chrono::steady_clock::time_point resolved_at_{};
};

// Redis Cluster: a key's slot (CRC16 of its hash tag) names the node. The slot map comes from CLUSTER SLOTS
// of any reachable node; MOVED corrects one slot and schedules a full refresh (the cluster was resharded or
// failed over), ASK sends one command to the importing node without changing the map (a slot is being
// migrated), TRYAGAIN waits a moment (a multi-key operation met a half-migrated slot).
class ClusterNodes final : public Topology {
 public:
  ClusterNodes(std::vector<Endpoint> seeds, int timeout_ms) : seeds_(std::move(seeds)), timeout_ms_(timeout_ms) {
    slot_owner_.fill(-1);
  }

  Result<Reply> Run(const std::string& key, const std::vector<const char*>& argv,
                    const std::vector<size_t>& lengths) override {
    const uint16_t slot = RedisClusterSlot(key);
    constexpr int kMaxRedirects = 5;
    std::shared_ptr<ServerConnections> node;
    bool asking = false;
    std::string last_error = "redis cluster: no node serves slot " + std::to_string(slot);
    for (int hop = 0; hop <= kMaxRedirects; ++hop) {
      if (!node) {
        node = NodeForSlot(slot, hop > 0);
        if (!node) {
          MG_TRY(Refresh());
          node = NodeForSlot(slot, false);
          if (!node) return MakeError(ErrorCode::kIo, last_error);
        }
      }
      Exchange exchange = node->Command(argv, lengths, asking);
      asking = false;
      if (!exchange.reply) {  // the node is gone: maybe a failover; ask the cluster again
        last_error = exchange.transport_error;
        ForgetSlots();
        node.reset();
        continue;
      }
      if (exchange.reply->type != REDIS_REPLY_ERROR) return std::move(exchange.reply);
      const std::string error = ErrorText(exchange.reply.get());
      last_error = "redis cluster: " + error;
      const bool moved = error.rfind("MOVED ", 0) == 0, ask = error.rfind("ASK ", 0) == 0;
      if (moved || ask) {
        // "MOVED <slot> <host>:<port>"
        const size_t space = error.find(' ', moved ? 6 : 4);
        auto target = space == std::string::npos ? std::nullopt : ParseEndpoint(error.substr(space + 1));
        if (!target) return MakeError(ErrorCode::kIo, "redis cluster: unreadable redirect '" + error + "'");
        node = Node(*target);
        if (!node) return MakeError(ErrorCode::kIo, "redis cluster: more than 1024 nodes named");
        if (moved) {
          std::lock_guard lock(mutex_);
          slot_owner_[slot] = IndexOf(*target);
          refresh_due_ = true;
        } else {
          asking = true;
        }
        continue;
      }
      if (error.rfind("TRYAGAIN", 0) == 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        continue;
      }
      return MakeError(ErrorCode::kIo, last_error);  // CLUSTERDOWN, script errors, ...
    }
    return MakeError(ErrorCode::kIo, last_error + " (after " + std::to_string(kMaxRedirects) + " redirects)");
  }

 private:
  std::shared_ptr<ServerConnections> NodeForSlot(uint16_t slot, bool allow_refresh) {
    bool refresh = false;
    {
      std::lock_guard lock(mutex_);
      refresh = refresh_due_ && allow_refresh;
    }
    if (refresh) (void)Refresh();
    std::lock_guard lock(mutex_);
    const int owner = slot_owner_[slot];
    return owner < 0 ? nullptr : nodes_[static_cast<size_t>(owner)];
  }

  void ForgetSlots() {
    std::lock_guard lock(mutex_);
    slot_owner_.fill(-1);
  }

  // Index of `endpoint` in nodes_, creating it; -1 once kMaxNodes are known (a server that keeps naming new
  // nodes must not make the store grow without bound). Caller holds mutex_.
  static constexpr size_t kMaxNodes = 1024;
  int IndexOf(const Endpoint& endpoint) {
    const std::string text = endpoint.Text();
    for (size_t i = 0; i < nodes_.size(); ++i)
      if (nodes_[i]->endpoint().Text() == text) return static_cast<int>(i);
    if (nodes_.size() >= kMaxNodes) return -1;
    nodes_.push_back(std::make_shared<ServerConnections>(endpoint, 0, timeout_ms_));
    return static_cast<int>(nodes_.size() - 1);
  }
  std::shared_ptr<ServerConnections> Node(const Endpoint& endpoint) {
    std::lock_guard lock(mutex_);
    const int index = IndexOf(endpoint);
    return index < 0 ? nullptr : nodes_[static_cast<size_t>(index)];
  }

  // Rebuilds the slot map from the first node (known nodes first, then the seeds) that answers CLUSTER SLOTS.
  Status Refresh() {
    std::vector<Endpoint> candidates;
    {
      std::lock_guard lock(mutex_);
      for (const auto& n : nodes_) candidates.push_back(n->endpoint());
      refresh_due_ = false;
    }
    candidates.insert(candidates.end(), seeds_.begin(), seeds_.end());
    std::string why = "no node answered";
    std::vector<const char*> argv{"CLUSTER", "SLOTS"};
    std::vector<size_t> lengths{7, 5};
    for (const auto& candidate : candidates) {
      auto node = Node(candidate);
      if (!node) break;
      Exchange exchange = node->Command(argv, lengths);
      if (!exchange.reply) {
        why = exchange.transport_error;
        continue;
      }
      const redisReply* r = exchange.reply.get();
      if (r->type != REDIS_REPLY_ARRAY) {
        why = r->type == REDIS_REPLY_ERROR ? "node " + candidate.Text() + ": " + ErrorText(r)
                                           : "node " + candidate.Text() + ": unexpected CLUSTER SLOTS reply";
        continue;
      }
      std::array<int, kRedisClusterSlots> owners;
      owners.fill(-1);
      std::lock_guard lock(mutex_);
      for (size_t i = 0; i < r->elements; ++i) {
        const redisReply* range = r->element[i];
        if (range->type != REDIS_REPLY_ARRAY || range->elements < 3 || range->element[0]->type != REDIS_REPLY_INTEGER ||
            range->element[1]->type != REDIS_REPLY_INTEGER || range->element[2]->type != REDIS_REPLY_ARRAY ||
            range->element[2]->elements < 2 || range->element[2]->element[0]->type != REDIS_REPLY_STRING ||
            range->element[2]->element[1]->type != REDIS_REPLY_INTEGER) {
          continue;
        }
        const long long first = range->element[0]->integer, last = range->element[1]->integer;
        if (first < 0 || last >= kRedisClusterSlots || first > last) continue;
        std::string host = ErrorText(range->element[2]->element[0]);
        if (host.empty()) host = candidate.host;  // "" means: the address you reached me at
        const long long port = range->element[2]->element[1]->integer;
        if (port <= 0 || port > 65535) continue;
        const int owner = IndexOf(Endpoint{host, static_cast<int>(port)});
        for (long long slot = first; slot <= last; ++slot) owners[static_cast<size_t>(slot)] = owner;
      }
      slot_owner_ = owners;
      return Ok{};
    }
    return MakeError(ErrorCode::kIo, "redis cluster: cannot read the slot map: " + why);
  }

  const std::vector<Endpoint> seeds_;
  const int timeout_ms_;
  std::mutex mutex_;
  std::vector<std::shared_ptr<ServerConnections>> nodes_;  // grows only: indexes in slot_owner_ stay valid
  std::array<int, kRedisClusterSlots> slot_owner_;
  bool refresh_due_ = false;
};

// A budget's key. The account is the key's cluster hash tag, so keys stay readable; an account that could
// not be a tag (empty, or holding braces) is tagged by its digest and kept after the tag, so keys stay
// distinct.
std::string BudgetKey(const std::string& account) {
  if (!account.empty() && account.find_first_of("{}") == std::string::npos) return "mg:budget:{" + account + "}";
  return "mg:budget:{" + Sha256Hex(account).substr(0, 16) + "}:" + account;
}

class RedisLimitStore final : public LimitStore {
 public:
  explicit RedisLimitStore(std::unique_ptr<Topology> topology) : topology_(std::move(topology)) {}
  const char* kind() const override { return "redis"; }

  Result<Admission> Take(const std::string& bucket, double rate, double burst, double cost) override {
    MG_ASSIGN_OR_RETURN(Reply reply,
                        Eval(kTakeScript, "mg:bucket:" + bucket, {Number(rate), Number(burst), Number(cost)}));
    const redisReply* r = reply.get();
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2)
      return MakeError(ErrorCode::kIo, "redis: unexpected reply to the bucket script");
    Admission out;
    out.allowed = r->element[0]->integer == 1;
    out.retry_after_seconds = r->element[1]->str ? std::strtod(r->element[1]->str, nullptr) : 0;
    return out;
  }

  Status Refund(const std::string& bucket, double rate, double burst, double amount) override {
    MG_TRY(Eval(kRefundScript, "mg:bucket:" + bucket, {Number(rate), Number(burst), Number(amount)}));
    return Ok{};
  }

  Result<bool> Reserve(const std::string& account, int64_t amount, int64_t budget, int64_t window_seconds) override {
    MG_ASSIGN_OR_RETURN(Reply reply,
                        Eval(kReserveScript, BudgetKey(account),
                             {std::to_string(amount), std::to_string(budget), std::to_string(window_seconds)}));
    return reply->type == REDIS_REPLY_INTEGER && reply->integer == 1;
  }

  Status Settle(const std::string& account, int64_t reserved, int64_t used, int64_t window_seconds) override {
    MG_TRY(Eval(kSettleScript, BudgetKey(account),
                {std::to_string(reserved), std::to_string(used), std::to_string(window_seconds)}));
    return Ok{};
  }

 private:
  static std::string Number(double v) {
    char text[64];
    std::snprintf(text, sizeof text, "%.17g", v);
    return text;
  }

  Result<Reply> Eval(const char* script, const std::string& key, const std::vector<std::string>& args) {
    std::vector<const char*> argv{"EVAL", script, "1", key.c_str()};
    std::vector<size_t> lengths{4, std::strlen(script), 1, key.size()};
    for (const auto& a : args) {
      argv.push_back(a.c_str());
      lengths.push_back(a.size());
    }
    return topology_->Run(key, argv, lengths);
  }

  std::unique_ptr<Topology> topology_;
};

Result<std::vector<Endpoint>> ParseEndpointList(std::string_view text, std::string_view uri) {
  std::vector<Endpoint> out;
  size_t begin = 0;
  while (begin <= text.size()) {
    const size_t comma = std::min(text.find(',', begin), text.size());
    const std::string_view item = text.substr(begin, comma - begin);
    auto endpoint =
        ParseEndpoint(item.find(':') == std::string_view::npos ? std::string(item) + ":6379" : std::string(item));
    if (!endpoint || endpoint->host.empty())
      return MakeError(ErrorCode::kInvalidArgument,
                       "redis: bad host:port '" + std::string(item) + "' in '" + std::string(uri) + "'");
    out.push_back(std::move(*endpoint));
    if (out.size() > 64)
      return MakeError(ErrorCode::kInvalidArgument, "redis: more than 64 hosts in '" + std::string(uri) + "'");
    begin = comma + 1;
  }
  return out;
}

Result<int> ParseDatabase(std::string_view text, std::string_view uri) {
  if (text.empty() || text.size() > 2 || text.find_first_not_of("0123456789") != std::string_view::npos)
    return MakeError(ErrorCode::kInvalidArgument,
                     "redis: database must be a small number in '" + std::string(uri) + "'");
  return std::stoi(std::string(text));
}

}  // namespace

uint16_t RedisClusterSlot(std::string_view key) {
  // The hash tag: the text between the first '{' and the next '}', when that is not empty (Redis Cluster
  // specification, "Hash tags").
  if (const size_t open = key.find('{'); open != std::string_view::npos) {
    const size_t close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) key = key.substr(open + 1, close - open - 1);
  }
  // CRC16-CCITT (XModem): polynomial 0x1021, initial value 0; the specification's check value for
  // "123456789" is 0x31C3.
  uint16_t crc = 0;
  for (unsigned char byte : key) {
    crc = static_cast<uint16_t>(crc ^ (byte << 8));
    for (int bit = 0; bit < 8; ++bit) crc = static_cast<uint16_t>((crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1);
  }
  return static_cast<uint16_t>(crc % kRedisClusterSlots);
}

Result<std::shared_ptr<LimitStore>> MakeRedisLimitStore(const std::string& uri, int timeout_ms) {
  if (timeout_ms <= 0) return MakeError(ErrorCode::kInvalidArgument, "redis: timeout must be positive");
  constexpr std::string_view kSingle = "redis://", kCluster = "redis+cluster://", kSentinel = "redis+sentinel://";
  const std::string_view text = uri;
  if (text.substr(0, kCluster.size()) == kCluster) {
    const std::string_view hosts = text.substr(kCluster.size());
    if (hosts.find('/') != std::string_view::npos)
      return MakeError(ErrorCode::kInvalidArgument, "redis: Redis Cluster has only database 0, in '" + uri + "'");
    MG_ASSIGN_OR_RETURN(std::vector<Endpoint> seeds, ParseEndpointList(hosts, uri));
    return std::shared_ptr<LimitStore>(
        std::make_shared<RedisLimitStore>(std::make_unique<ClusterNodes>(std::move(seeds), timeout_ms)));
  }
  if (text.substr(0, kSentinel.size()) == kSentinel) {
    // redis+sentinel://host:port[,host:port...]/master-name[/db]
    std::string_view rest = text.substr(kSentinel.size());
    const size_t slash = rest.find('/');
    if (slash == std::string_view::npos)
      return MakeError(ErrorCode::kInvalidArgument,
                       "redis: expected redis+sentinel://host:port[,...]/master[/db], got '" + uri + "'");
    MG_ASSIGN_OR_RETURN(std::vector<Endpoint> sentinels, ParseEndpointList(rest.substr(0, slash), uri));
    std::string_view name = rest.substr(slash + 1);
    int db = 0;
    if (const size_t db_slash = name.find('/'); db_slash != std::string_view::npos) {
      MG_ASSIGN_OR_RETURN(db, ParseDatabase(name.substr(db_slash + 1), uri));
      name = name.substr(0, db_slash);
    }
    if (name.empty()) return MakeError(ErrorCode::kInvalidArgument, "redis: no master name in '" + uri + "'");
    return std::shared_ptr<LimitStore>(std::make_shared<RedisLimitStore>(
        std::make_unique<SentinelMaster>(std::move(sentinels), std::string(name), db, timeout_ms)));
  }
  if (text.substr(0, kSingle.size()) != kSingle)
    return MakeError(ErrorCode::kInvalidArgument,
                     "expected redis://host:port[/db], redis+cluster://host:port[,...] or "
                     "redis+sentinel://host:port[,...]/master[/db], got '" +
                         uri + "'");
  std::string_view rest = text.substr(kSingle.size());
  int db = 0;
  if (const size_t slash = rest.find('/'); slash != std::string_view::npos) {
    MG_ASSIGN_OR_RETURN(db, ParseDatabase(rest.substr(slash + 1), uri));
    rest = rest.substr(0, slash);
  }
  MG_ASSIGN_OR_RETURN(std::vector<Endpoint> endpoints, ParseEndpointList(rest, uri));
  if (endpoints.size() != 1)
    return MakeError(ErrorCode::kInvalidArgument,
                     "redis: one host in '" + uri + "' (several: use redis+cluster:// or redis+sentinel://)");
  return std::shared_ptr<LimitStore>(
      std::make_shared<RedisLimitStore>(std::make_unique<SingleServer>(std::move(endpoints[0]), db, timeout_ms)));
}

}  // namespace modelguard::gateway
