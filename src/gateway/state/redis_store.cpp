// Limit state shared by gateway replicas through Redis. Each operation is one Lua script, which Redis runs
// atomically, so two replicas admitting at the same instant still see each other's reservations. Time comes
// from the Redis server (TIME), so replicas with skewed clocks agree on buckets and budget windows.
// Every script touches exactly the one key it is given, so each works unchanged on Redis Cluster.
//
// Commands go through hiredis's asynchronous API, driven by the event loop of the gateway connection that
// needs the answer: each loop keeps one pipelined connection per Redis server (an io_context service, so
// the connections live and die with the loop), every command has its own timeout (a timer, since hiredis
// 0.14 has none for asynchronous commands), and no loop ever blocks on Redis.
// GCC 12's false -Wmismatched-new-delete on Asio coroutine frames: see src/gateway/wire.h.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "modelguard/core/hash.h"
#include "modelguard/gateway/limits.h"
#include "src/gateway/run_blocking.h"

namespace modelguard::gateway {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::redirect_error;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;

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

// A reply copied out of hiredis, which frees its reply objects as soon as an asynchronous callback returns.
struct Value {
  int type = REDIS_REPLY_NIL;
  long long integer = 0;
  std::string str;  // string, status and error replies
  std::vector<Value> elements;
  bool IsError() const { return type == REDIS_REPLY_ERROR; }
  bool StartsWith(std::string_view prefix) const { return str.compare(0, prefix.size(), prefix) == 0; }
};

// hiredis's reader bounds the nesting (7 levels), so the recursion is bounded too.
Value CopyReply(const redisReply* r) {
  Value v;
  v.type = r->type;
  v.integer = r->integer;
  if (r->str) v.str.assign(r->str, r->len);
  if (r->type == REDIS_REPLY_ARRAY) {
    v.elements.reserve(r->elements);
    for (size_t i = 0; i < r->elements; ++i) v.elements.push_back(CopyReply(r->element[i]));
  }
  return v;
}

struct Endpoint {
  std::string host;
  int port = 0;
  std::string Text() const { return host + ":" + std::to_string(port); }
};

// A command's outcome at one server: a reply (possibly a Redis error reply, which the caller interprets,
// e.g. MOVED), or a transport failure (connection refused, timeout, connection dropped).
struct Exchange {
  std::optional<Value> reply;
  std::string transport_error;  // set when there is no reply
};

// One command in flight. Its timer does two jobs: it is the command's timeout, and the reply cancels it,
// which wakes the waiting coroutine.
struct Pending {
  explicit Pending(const asio::any_io_executor& executor) : timer(executor) {}
  asio::steady_timer timer;
  bool done = false;
  std::optional<Value> reply;
  std::string error;  // done without a reply: why
};

// One hiredis asynchronous connection, driven by the loop it was made on (hiredis says when it wants to
// read or write; the descriptor's waits tell it when it can). Commands are pipelined: hiredis matches
// replies to commands in order.
class AsyncConnection : public std::enable_shared_from_this<AsyncConnection> {
 public:
  explicit AsyncConnection(const asio::any_io_executor& loop) : descriptor_(loop) {}
  ~AsyncConnection() { Close(); }
  AsyncConnection(const AsyncConnection&) = delete;
  AsyncConnection& operator=(const AsyncConnection&) = delete;

  // Starts connecting to `ip` (an address, not a name: hiredis would resolve a name with a blocking call).
  // Commands sent before the connection is up wait in hiredis's output buffer.
  bool Start(const std::string& ip, int port, int db, std::string& error) {
    redisAsyncContext* context = redisAsyncConnect(ip.c_str(), port);
    if (!context) {
      error = "out of memory";
      return false;
    }
    if (context->err) {
      error = context->errstr;
      redisAsyncFree(context);
      return false;
    }
    boost::system::error_code assigned;
    descriptor_.assign(context->c.fd, assigned);
    if (assigned) {
      error = assigned.message();
      redisAsyncFree(context);
      return false;
    }
    context_ = context;
    context->data = this;
    context->ev.data = this;
    context->ev.addRead = [](void* self) { static_cast<AsyncConnection*>(self)->Want(true, true); };
    context->ev.delRead = [](void* self) { static_cast<AsyncConnection*>(self)->Want(true, false); };
    context->ev.addWrite = [](void* self) { static_cast<AsyncConnection*>(self)->Want(false, true); };
    context->ev.delWrite = [](void* self) { static_cast<AsyncConnection*>(self)->Want(false, false); };
    context->ev.cleanup = [](void* self) { static_cast<AsyncConnection*>(self)->Detach(); };
    if (db != 0) {
      // Pipelined ahead of every command: if it fails, the connection is dropped before any command
      // could reach the wrong database.
      redisAsyncCommand(
          context,
          [](redisAsyncContext* c, void* reply, void*) {
            if (reply && static_cast<redisReply*>(reply)->type == REDIS_REPLY_ERROR) redisAsyncFree(c);
          },
          nullptr, "SELECT %d", db);
    }
    return true;
  }

  bool usable() const { return context_ != nullptr; }
  // Whether this connection has answered before: a failure on it then says the server went away since
  // (restarted, failed over), and a fresh connection deserves one more try.
  bool answered() const { return answered_; }

  // Sends `args` (preceded by ASKING when `asking`: one command for a slot being migrated); the reply, or
  // the connection's end, completes `pending`.
  bool Send(const std::vector<std::string>& args, bool asking, const std::shared_ptr<Pending>& pending) {
    if (!context_) return false;
    if (asking && redisAsyncCommand(context_, nullptr, nullptr, "ASKING") != REDIS_OK) return false;
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    argv.reserve(args.size());
    lengths.reserve(args.size());
    for (const auto& a : args) {
      argv.push_back(a.data());
      lengths.push_back(a.size());
    }
    auto* holder = new std::shared_ptr<Pending>(pending);
    if (redisAsyncCommandArgv(context_, &AsyncConnection::OnReply, holder, static_cast<int>(argv.size()), argv.data(),
                              lengths.data()) != REDIS_OK) {
      delete holder;
      return false;
    }
    return true;
  }

  // Drops the connection: every command in flight on it completes now, without a reply. Not for use
  // inside a hiredis callback (hiredis defers that case itself: see the SELECT callback).
  void Close() {
    if (context_) redisAsyncFree(context_);  // runs the callbacks, then `cleanup`, which detaches
  }

 private:
  static void OnReply(redisAsyncContext* context, void* reply, void* holder_pointer) {
    std::unique_ptr<std::shared_ptr<Pending>> holder(static_cast<std::shared_ptr<Pending>*>(holder_pointer));
    Pending& pending = **holder;
    if (reply) {
      pending.reply = CopyReply(static_cast<const redisReply*>(reply));
      static_cast<AsyncConnection*>(context->data)->answered_ = true;
    } else {
      pending.error = context->c.errstr[0] ? context->c.errstr : "connection closed";
    }
    pending.done = true;
    pending.timer.cancel();
  }

  void Want(bool read, bool on) {
    (read ? want_read_ : want_write_) = on;
    if (on) Wait(read);
  }

  void Wait(bool read) {
    bool& waiting = read ? reading_ : writing_;
    if (waiting || !context_) return;
    waiting = true;
    descriptor_.async_wait(read ? asio::posix::descriptor_base::wait_read : asio::posix::descriptor_base::wait_write,
                           [self = shared_from_this(), read](const boost::system::error_code& error) {
                             (read ? self->reading_ : self->writing_) = false;
                             const bool& wanted = read ? self->want_read_ : self->want_write_;
                             if (error || !self->context_ || !wanted) return;
                             if (read) {
                               redisAsyncHandleRead(self->context_);
                             } else {
                               redisAsyncHandleWrite(self->context_);
                             }
                             if (self->context_ && wanted) self->Wait(read);  // the handling may have freed the context
                           });
  }

  // hiredis is freeing the context (and will close the descriptor itself).
  void Detach() {
    context_ = nullptr;
    want_read_ = want_write_ = false;
    (void)descriptor_.release();  // cancels the waits without closing
  }

  asio::posix::stream_descriptor descriptor_;
  redisAsyncContext* context_ = nullptr;
  bool want_read_ = false, want_write_ = false, reading_ = false, writing_ = false, answered_ = false;
};

// The connections of one event loop, one per server (and database), shared by every store on that loop.
// As a service of the loop's execution context it is shut down with the loop, which closes the connections
// while the loop's timers and descriptors still work (see Connections below).
class LoopConnections : public asio::execution_context::service {
 public:
  static asio::execution_context::id id;
  explicit LoopConnections(asio::execution_context& loop) : service(loop) {}

  // The usable connection to `server`, if any.
  std::shared_ptr<AsyncConnection> Find(const std::string& server) {
    auto it = servers_.find(server);
    if (it == servers_.end() || !it->second.connection || !it->second.connection->usable()) return nullptr;
    return it->second.connection;
  }
  // False when the loop already holds connections to kMaxServers others.
  bool Keep(const std::string& server, std::shared_ptr<AsyncConnection> connection) {
    if (!servers_.count(server) && servers_.size() >= kMaxServers) return false;
    servers_[server].connection = std::move(connection);
    return true;
  }
  // After a failure, new connections to `server` are not tried for a moment: requests then fail at once
  // instead of each waiting for a connect timeout.
  void MarkDown(const std::string& server) {
    servers_[server].retry_after = Clock::now() + std::chrono::milliseconds(500);
  }
  bool Down(const std::string& server) const {
    auto it = servers_.find(server);
    return it != servers_.end() && Clock::now() < it->second.retry_after;
  }

 private:
  void shutdown() override {
    for (auto& [name, server] : servers_) {
      if (server.connection) server.connection->Close();
    }
    servers_.clear();
  }
  // A cluster names at most 1024 nodes (see ClusterNodes), plus sentinels and single servers.
  static constexpr size_t kMaxServers = 2048;
  struct Server {
    std::shared_ptr<AsyncConnection> connection;
    Clock::time_point retry_after{};
  };
  std::map<std::string, Server> servers_;
};
asio::execution_context::id LoopConnections::id;

LoopConnections& Connections(const asio::any_io_executor& executor) {
  asio::execution_context& loop = asio::query(executor, asio::execution::context);
  if (!asio::has_service<LoopConnections>(loop)) {
    // The timer and descriptor services must exist before this one: services are shut down in the reverse
    // order of their creation, and closing a connection still touches both.
    asio::steady_timer timer(executor);
    asio::posix::stream_descriptor descriptor(executor);
  }
  return asio::use_service<LoopConnections>(loop);
}

// Sends `args` to `endpoint` on the current loop's connection and waits for the reply, at most `timeout_ms`.
awaitable<Exchange> RunCommand(const Endpoint& endpoint, int db, int timeout_ms, const std::vector<std::string>& args,
                               bool asking = false) {
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  LoopConnections& connections = Connections(executor);
  const std::string label = endpoint.Text();
  const std::string server = label + "/" + std::to_string(db);
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::shared_ptr<AsyncConnection> connection = connections.Find(server);
    const bool reused = connection && connection->answered();
    if (!connection) {
      if (connections.Down(server))
        co_return Exchange{std::nullopt, "redis at " + label + " is unreachable (retrying shortly)"};
      std::string address = endpoint.host;
      boost::system::error_code error;
      (void)asio::ip::make_address(address, error);
      if (error) {  // a name: resolved off the loop (Asio's resolver runs getaddrinfo on its own thread)
        asio::ip::tcp::resolver resolver(executor);
        const auto found = co_await resolver.async_resolve(endpoint.host, std::to_string(endpoint.port),
                                                           redirect_error(use_awaitable, error));
        if (error || found.empty()) {
          connections.MarkDown(server);
          co_return Exchange{std::nullopt, "redis at " + label + ": cannot resolve the name (" +
                                               (error ? error.message() : "no address") + ")"};
        }
        address = found.begin()->endpoint().address().to_string();
      }
      connection = connections.Find(server);  // another command may have connected while this one resolved
      if (!connection) {
        connection = std::make_shared<AsyncConnection>(executor);
        std::string why;
        if (!connection->Start(address, endpoint.port, db, why)) {
          connections.MarkDown(server);
          co_return Exchange{std::nullopt, "redis at " + label + ": " + why};
        }
        if (!connections.Keep(server, connection))
          co_return Exchange{std::nullopt, "redis: too many servers in use on one event loop"};
      }
    }
    auto pending = std::make_shared<Pending>(executor);
    pending->timer.expires_after(std::chrono::milliseconds(timeout_ms));
    if (connection->Send(args, asking, pending)) {
      boost::system::error_code ignored;
      co_await pending->timer.async_wait(redirect_error(use_awaitable, ignored));
    } else {
      pending->done = true;
      pending->error = "cannot send";
    }
    if (pending->reply) co_return Exchange{std::move(pending->reply), ""};
    const bool timed_out = !pending->done;
    const std::string why = timed_out ? "no answer within " + std::to_string(timeout_ms) + " ms" : pending->error;
    // Without a reply the connection is dropped: after a timeout, the commands queued behind the lost
    // answer fail now instead of each waiting out its own timeout.
    connection->Close();
    if (reused && !timed_out) continue;  // an old connection found dead: one try on a fresh one
    connections.MarkDown(server);
    co_return Exchange{std::nullopt, "redis at " + label + ": " + why};
  }
  co_return Exchange{std::nullopt, "redis at " + label + ": no working connection"};
}

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

Result<Value> ReplyOrError(Exchange exchange) {
  if (!exchange.reply) return MakeError(ErrorCode::kIo, exchange.transport_error);
  if (exchange.reply->IsError()) return MakeError(ErrorCode::kIo, "redis: " + exchange.reply->str);
  return std::move(*exchange.reply);
}

// Where a store sends its commands: one server, the master a set of sentinels names, or the node of a
// Redis Cluster that holds the key's slot. Shared by every loop: what it remembers (the master, the slot
// map) is guarded by a mutex; the connections belong to the loops.
class Topology {
 public:
  virtual ~Topology() = default;
  virtual awaitable<Result<Value>> Run(const std::string& key, const std::vector<std::string>& args) = 0;
};

class SingleServer final : public Topology {
 public:
  SingleServer(Endpoint endpoint, int db, int timeout_ms)
      : endpoint_(std::move(endpoint)), db_(db), timeout_ms_(timeout_ms) {}
  awaitable<Result<Value>> Run(const std::string&, const std::vector<std::string>& args) override {
    co_return ReplyOrError(co_await RunCommand(endpoint_, db_, timeout_ms_, args));
  }

 private:
  const Endpoint endpoint_;
  const int db_, timeout_ms_;
};

// Redis Sentinel: the sentinels are asked which server is the master of `name` (again after a second);
// commands go there. A transport failure or a READONLY answer (the old master was demoted) makes the next
// command ask again at once.
class SentinelMaster final : public Topology {
 public:
  SentinelMaster(std::vector<Endpoint> sentinels, std::string name, int db, int timeout_ms)
      : sentinels_(std::move(sentinels)), name_(std::move(name)), db_(db), timeout_ms_(timeout_ms) {}

  awaitable<Result<Value>> Run(const std::string&, const std::vector<std::string>& args) override {
    Exchange exchange;
    for (int attempt = 0; attempt < 2; ++attempt) {
      Result<Endpoint> master = co_await Master(attempt > 0);
      if (!master) co_return master.error();
      exchange = co_await RunCommand(*master, db_, timeout_ms_, args);
      const bool demoted = exchange.reply && exchange.reply->IsError() && exchange.reply->StartsWith("READONLY");
      if (exchange.reply && !demoted) break;
      Forget(*master);
    }
    co_return ReplyOrError(std::move(exchange));
  }

 private:
  awaitable<Result<Endpoint>> Master(bool ask_again) {
    {
      std::lock_guard lock(mutex_);
      // Asked again at least once a second: after a failover the old master may keep accepting writes
      // until the sentinels reconfigure it, and those writes would be lost.
      if (master_ && !ask_again && Clock::now() - resolved_at_ < std::chrono::seconds(1)) co_return *master_;
    }
    std::string why = "no sentinel answered";
    const std::vector<std::string> command{"SENTINEL", "get-master-addr-by-name", name_};
    for (const auto& sentinel : sentinels_) {
      Exchange exchange = co_await RunCommand(sentinel, 0, timeout_ms_, command);
      if (!exchange.reply) {
        why = exchange.transport_error;
        continue;
      }
      const Value& r = *exchange.reply;
      if (r.type != REDIS_REPLY_ARRAY || r.elements.size() != 2 || r.elements[0].type != REDIS_REPLY_STRING ||
          r.elements[1].type != REDIS_REPLY_STRING) {
        why = "sentinel at " + sentinel.Text() + " knows no master named '" + name_ + "'";
        continue;
      }
      auto endpoint = ParseEndpoint(r.elements[0].str + ":" + r.elements[1].str);
      if (!endpoint) {
        why = "sentinel at " + sentinel.Text() + " gave an unreadable address";
        continue;
      }
      std::lock_guard lock(mutex_);
      master_ = *endpoint;
      resolved_at_ = Clock::now();
      co_return *endpoint;
    }
    co_return MakeError(ErrorCode::kIo, "redis sentinel, master '" + name_ + "': " + why);
  }
  void Forget(const Endpoint& master) {
    std::lock_guard lock(mutex_);
    if (master_ && master_->Text() == master.Text()) master_.reset();
  }

  const std::vector<Endpoint> sentinels_;
  const std::string name_;
  const int db_, timeout_ms_;
  std::mutex mutex_;
  std::optional<Endpoint> master_;
  Clock::time_point resolved_at_{};
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

  awaitable<Result<Value>> Run(const std::string& key, const std::vector<std::string>& args) override {
    const uint16_t slot = RedisClusterSlot(key);
    constexpr int kMaxRedirects = 5;
    std::optional<Endpoint> node;
    bool asking = false;
    std::string last_error = "redis cluster: no node serves slot " + std::to_string(slot);
    for (int hop = 0; hop <= kMaxRedirects; ++hop) {
      if (!node) {
        if (hop > 0 && TakeRefreshDue()) (void)co_await Refresh();
        node = NodeForSlot(slot);
        if (!node) {
          if (Status refreshed = co_await Refresh(); !refreshed) co_return refreshed.error();
          node = NodeForSlot(slot);
          if (!node) co_return MakeError(ErrorCode::kIo, last_error);
        }
      }
      Exchange exchange = co_await RunCommand(*node, 0, timeout_ms_, args, asking);
      asking = false;
      if (!exchange.reply) {  // the node is gone: maybe a failover; ask the cluster again
        last_error = exchange.transport_error;
        ForgetSlots();
        node.reset();
        continue;
      }
      if (!exchange.reply->IsError()) co_return std::move(*exchange.reply);
      const std::string& error = exchange.reply->str;
      last_error = "redis cluster: " + error;
      const bool moved = exchange.reply->StartsWith("MOVED "), ask = exchange.reply->StartsWith("ASK ");
      if (moved || ask) {
        // "MOVED <slot> <host>:<port>"
        const size_t space = error.find(' ', moved ? 6 : 4);
        auto target = space == std::string::npos ? std::nullopt : ParseEndpoint(error.substr(space + 1));
        if (!target) co_return MakeError(ErrorCode::kIo, "redis cluster: unreadable redirect '" + error + "'");
        std::lock_guard lock(mutex_);
        const int index = IndexOf(*target);
        if (index < 0) co_return MakeError(ErrorCode::kIo, "redis cluster: more than 1024 nodes named");
        node = nodes_[static_cast<size_t>(index)];
        if (moved) {
          slot_owner_[slot] = index;
          refresh_due_ = true;
        } else {
          asking = true;
        }
        continue;
      }
      if (exchange.reply->StartsWith("TRYAGAIN")) {
        asio::steady_timer pause(co_await asio::this_coro::executor, std::chrono::milliseconds(5));
        boost::system::error_code ignored;
        co_await pause.async_wait(redirect_error(use_awaitable, ignored));
        continue;
      }
      co_return MakeError(ErrorCode::kIo, last_error);  // CLUSTERDOWN, script errors, ...
    }
    co_return MakeError(ErrorCode::kIo, last_error + " (after " + std::to_string(kMaxRedirects) + " redirects)");
  }

 private:
  std::optional<Endpoint> NodeForSlot(uint16_t slot) {
    std::lock_guard lock(mutex_);
    const int owner = slot_owner_[slot];
    if (owner < 0) return std::nullopt;
    return nodes_[static_cast<size_t>(owner)];
  }
  bool TakeRefreshDue() {
    std::lock_guard lock(mutex_);
    return std::exchange(refresh_due_, false);
  }
  void ForgetSlots() {
    std::lock_guard lock(mutex_);
    slot_owner_.fill(-1);
  }

  // Index of `endpoint` in nodes_, adding it; -1 once kMaxNodes are known (a server that keeps naming new
  // nodes must not make the store grow without bound). Caller holds mutex_.
  static constexpr size_t kMaxNodes = 1024;
  int IndexOf(const Endpoint& endpoint) {
    const std::string text = endpoint.Text();
    for (size_t i = 0; i < nodes_.size(); ++i)
      if (nodes_[i].Text() == text) return static_cast<int>(i);
    if (nodes_.size() >= kMaxNodes) return -1;
    nodes_.push_back(endpoint);
    return static_cast<int>(nodes_.size() - 1);
  }

  // Rebuilds the slot map from the first node (known nodes first, then the seeds) that answers CLUSTER SLOTS.
  awaitable<Status> Refresh() {
    std::vector<Endpoint> candidates;
    {
      std::lock_guard lock(mutex_);
      candidates = nodes_;
      refresh_due_ = false;
    }
    candidates.insert(candidates.end(), seeds_.begin(), seeds_.end());
    std::string why = "no node answered";
    const std::vector<std::string> command{"CLUSTER", "SLOTS"};
    for (const auto& candidate : candidates) {
      Exchange exchange = co_await RunCommand(candidate, 0, timeout_ms_, command);
      if (!exchange.reply) {
        why = exchange.transport_error;
        continue;
      }
      const Value& r = *exchange.reply;
      if (r.type != REDIS_REPLY_ARRAY) {
        why = r.IsError() ? "node " + candidate.Text() + ": " + r.str
                          : "node " + candidate.Text() + ": unexpected CLUSTER SLOTS reply";
        continue;
      }
      std::array<int, kRedisClusterSlots> owners;
      owners.fill(-1);
      std::lock_guard lock(mutex_);
      for (const Value& range : r.elements) {
        if (range.type != REDIS_REPLY_ARRAY || range.elements.size() < 3 ||
            range.elements[0].type != REDIS_REPLY_INTEGER || range.elements[1].type != REDIS_REPLY_INTEGER ||
            range.elements[2].type != REDIS_REPLY_ARRAY || range.elements[2].elements.size() < 2 ||
            range.elements[2].elements[0].type != REDIS_REPLY_STRING ||
            range.elements[2].elements[1].type != REDIS_REPLY_INTEGER) {
          continue;
        }
        const long long first = range.elements[0].integer, last = range.elements[1].integer;
        if (first < 0 || last >= kRedisClusterSlots || first > last) continue;
        std::string host = range.elements[2].elements[0].str;
        if (host.empty()) host = candidate.host;  // "" means: the address you reached me at
        const long long port = range.elements[2].elements[1].integer;
        if (port <= 0 || port > 65535) continue;
        const int owner = IndexOf(Endpoint{host, static_cast<int>(port)});
        for (long long slot = first; slot <= last; ++slot) owners[static_cast<size_t>(slot)] = owner;
      }
      slot_owner_ = owners;
      co_return Ok{};
    }
    co_return MakeError(ErrorCode::kIo, "redis cluster: cannot read the slot map: " + why);
  }

  const std::vector<Endpoint> seeds_;
  const int timeout_ms_;
  std::mutex mutex_;
  std::vector<Endpoint> nodes_;  // grows only: indexes in slot_owner_ stay valid
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

  awaitable<Result<Admission>> TakeAsync(std::string bucket, double rate, double burst, double cost) override {
    Result<Value> reply =
        co_await Eval(kTakeScript, "mg:bucket:" + bucket, Arguments(Number(rate), Number(burst), Number(cost)));
    if (!reply) co_return reply.error();
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements.size() != 2)
      co_return MakeError(ErrorCode::kIo, "redis: unexpected reply to the bucket script");
    Admission out;
    out.allowed = reply->elements[0].integer == 1;
    out.retry_after_seconds = std::strtod(reply->elements[1].str.c_str(), nullptr);
    co_return out;
  }

  awaitable<Status> RefundAsync(std::string bucket, double rate, double burst, double amount) override {
    Result<Value> reply =
        co_await Eval(kRefundScript, "mg:bucket:" + bucket, Arguments(Number(rate), Number(burst), Number(amount)));
    if (!reply) co_return reply.error();
    co_return Ok{};
  }

  awaitable<Result<bool>> ReserveAsync(std::string account, int64_t amount, int64_t budget,
                                       int64_t window_seconds) override {
    Result<Value> reply =
        co_await Eval(kReserveScript, BudgetKey(account),
                      Arguments(std::to_string(amount), std::to_string(budget), std::to_string(window_seconds)));
    if (!reply) co_return reply.error();
    co_return reply->type == REDIS_REPLY_INTEGER && reply->integer == 1;
  }

  awaitable<Status> SettleAsync(std::string account, int64_t reserved, int64_t used, int64_t window_seconds) override {
    Result<Value> reply =
        co_await Eval(kSettleScript, BudgetKey(account),
                      Arguments(std::to_string(reserved), std::to_string(used), std::to_string(window_seconds)));
    if (!reply) co_return reply.error();
    co_return Ok{};
  }

  // The synchronous forms run the asynchronous ones on the store's own loop, one caller at a time.
  Result<Admission> Take(const std::string& bucket, double rate, double burst, double cost) override {
    std::lock_guard lock(blocking_mutex_);
    return RunBlocking(blocking_loop_, TakeAsync(bucket, rate, burst, cost));
  }
  Status Refund(const std::string& bucket, double rate, double burst, double amount) override {
    std::lock_guard lock(blocking_mutex_);
    return RunBlocking(blocking_loop_, RefundAsync(bucket, rate, burst, amount));
  }
  Result<bool> Reserve(const std::string& account, int64_t amount, int64_t budget, int64_t window_seconds) override {
    std::lock_guard lock(blocking_mutex_);
    return RunBlocking(blocking_loop_, ReserveAsync(account, amount, budget, window_seconds));
  }
  Status Settle(const std::string& account, int64_t reserved, int64_t used, int64_t window_seconds) override {
    std::lock_guard lock(blocking_mutex_);
    return RunBlocking(blocking_loop_, SettleAsync(account, reserved, used, window_seconds));
  }

 private:
  // Built outside the co_await expression: GCC 12 miscompiles a braced list of strings inside one.
  static std::vector<std::string> Arguments(std::string a, std::string b, std::string c) {
    std::vector<std::string> out;
    out.reserve(3);
    out.push_back(std::move(a));
    out.push_back(std::move(b));
    out.push_back(std::move(c));
    return out;
  }
  static std::string Number(double v) {
    char text[64];
    std::snprintf(text, sizeof text, "%.17g", v);
    return text;
  }

  awaitable<Result<Value>> Eval(const char* script, std::string key, std::vector<std::string> args) {
    std::vector<std::string> command{"EVAL", script, "1", key};
    for (auto& a : args) command.push_back(std::move(a));
    co_return co_await topology_->Run(key, command);
  }

  std::unique_ptr<Topology> topology_;
  std::mutex blocking_mutex_;
  asio::io_context blocking_loop_{1};  // declared last: its connections close before the topology goes
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
