// Limit stores: one contract (buckets, refunds, reservations that cannot overshoot under concurrency) kept
// by the in-process store, a single Redis (MODELGUARD_TEST_REDIS) and a 3-master Redis Cluster
// (MODELGUARD_TEST_REDIS_CLUSTER, started by scripts/start-redis-cluster); the cluster slot function against
// the specification's check values; and a budget that keeps its state while its slot is resharded under it
// (the store follows ASK during the migration and MOVED after it). The asynchronous operations: a hanging
// Redis times out without stalling the event loop, and 200 reservations in flight at once never overshoot.
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <unistd.h>

#include <utility>  // first: Boost 1.74's Asio uses std::exchange without including it

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "modelguard/gateway/limits.h"

namespace modelguard::gateway {
namespace {

namespace asio = boost::asio;

// The same contract for every store: buckets, refunds, reservations that cannot overshoot.
void ExerciseStore(LimitStore& store, const std::string& prefix) {
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(store.Take(prefix + "bucket", 0.001, 3, 1)->allowed) << i;
  auto refused = store.Take(prefix + "bucket", 0.001, 3, 1);
  ASSERT_TRUE(refused.ok());
  EXPECT_FALSE(refused->allowed);
  EXPECT_GT(refused->retry_after_seconds, 900);
  ASSERT_TRUE(store.Refund(prefix + "bucket", 0.001, 3, 2).ok());
  EXPECT_TRUE(store.Take(prefix + "bucket", 0.001, 3, 2)->allowed);

  // 8 threads race for a budget of 100 in steps of 7: exactly 14 reservations fit.
  std::atomic<int> granted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        auto r = store.Reserve(prefix + "account", 7, 100, 3600);
        if (r.ok() && *r) ++granted;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(granted.load(), 14);
  // Settling 14 reservations to 1 token each leaves 86 for new ones.
  for (int i = 0; i < 14; ++i) ASSERT_TRUE(store.Settle(prefix + "account", 7, 1, 3600).ok());
  EXPECT_TRUE(*store.Reserve(prefix + "account", 86, 100, 3600));
  EXPECT_FALSE(*store.Reserve(prefix + "account", 1, 100, 3600));
}

TEST(LimitStore, MemoryStoreKeepsTheContract) {
  auto store = MakeMemoryLimitStore();
  ExerciseStore(*store, "");
}

TEST(LimitStore, RedisStoreKeepsTheContract) {
  const char* uri = std::getenv("MODELGUARD_TEST_REDIS");
  if (!uri) GTEST_SKIP() << "MODELGUARD_TEST_REDIS is not set (scripts/test starts a redis-server and sets it)";
  auto store = MakeRedisLimitStore(uri, 500);
  ASSERT_TRUE(store.ok()) << store.error().message;
  ExerciseStore(**store, "test-" + std::to_string(::getpid()) + "-" + std::to_string(std::time(nullptr)) + ":");
}

TEST(LimitStore, UnreachableRedisIsAnErrorNotAnAdmission) {
  auto store = MakeRedisLimitStore("redis://127.0.0.1:1", 100);
  ASSERT_TRUE(store.ok());
  EXPECT_FALSE((*store)->Take("b", 1, 1, 1).ok());
  EXPECT_FALSE((*store)->Reserve("a", 1, 10, 60).ok());
  EXPECT_FALSE(MakeRedisLimitStore("http://x", 100).ok());
  EXPECT_FALSE(MakeRedisLimitStore("redis://host:99999", 100).ok());
}

TEST(LimitStore, RedisUrisAreCheckedUpFront) {
  EXPECT_TRUE(MakeRedisLimitStore("redis://127.0.0.1:6379/2", 100).ok());
  EXPECT_TRUE(MakeRedisLimitStore("redis+cluster://127.0.0.1:7000,127.0.0.1:7001", 100).ok());
  EXPECT_TRUE(MakeRedisLimitStore("redis+sentinel://127.0.0.1:26379,127.0.0.1:26380/main/1", 100).ok());
  EXPECT_FALSE(MakeRedisLimitStore("redis://a:1,b:2", 100).ok());                   // several hosts need a mode
  EXPECT_FALSE(MakeRedisLimitStore("redis+cluster://127.0.0.1:7000/1", 100).ok());  // Cluster has only db 0
  EXPECT_FALSE(MakeRedisLimitStore("redis+cluster://127.0.0.1:7000,", 100).ok());
  EXPECT_FALSE(MakeRedisLimitStore("redis+sentinel://127.0.0.1:26379", 100).ok());  // no master name
  EXPECT_FALSE(MakeRedisLimitStore("redis+sentinel://127.0.0.1:26379/", 100).ok());
  EXPECT_FALSE(MakeRedisLimitStore("redis://127.0.0.1:6379/x", 100).ok());
  EXPECT_FALSE(MakeRedisLimitStore("redis://127.0.0.1:6379", 0).ok());
}

TEST(LimitStore, ClusterSlotsFollowTheSpecification) {
  // Check values from the Redis Cluster specification: CRC16("123456789") = 0x31C3; keys sharing a hash tag
  // share a slot; an empty tag "{}" does not count, so the whole key is hashed.
  EXPECT_EQ(RedisClusterSlot("123456789"), 0x31C3 % 16384);
  EXPECT_EQ(RedisClusterSlot("{user1000}.following"), RedisClusterSlot("user1000"));
  EXPECT_EQ(RedisClusterSlot("{user1000}.followers"), RedisClusterSlot("user1000"));
  EXPECT_EQ(RedisClusterSlot("foo{}{bar}"), RedisClusterSlot("foo{}{bar}"));
  EXPECT_NE(RedisClusterSlot("foo{}{bar}"), RedisClusterSlot("bar"));
  EXPECT_EQ(RedisClusterSlot("foo{{bar}}zap"), RedisClusterSlot("{bar"));
  EXPECT_EQ(RedisClusterSlot("foo{bar}{zap}"), RedisClusterSlot("bar"));
  EXPECT_EQ(RedisClusterSlot(""), 0);
}

const char* ClusterUri() { return std::getenv("MODELGUARD_TEST_REDIS_CLUSTER"); }
std::string UniquePrefix() {
  return "test-" + std::to_string(::getpid()) + "-" + std::to_string(std::time(nullptr)) + "-";
}

TEST(LimitStore, RedisClusterStoreKeepsTheContract) {
  if (!ClusterUri()) GTEST_SKIP() << "MODELGUARD_TEST_REDIS_CLUSTER is not set (scripts/test starts a cluster)";
  auto store = MakeRedisLimitStore(ClusterUri(), 500);
  ASSERT_TRUE(store.ok()) << store.error().message;
  // Several prefixes, so buckets and budgets land on all three masters.
  for (const char* part : {"a:", "b:", "c:", "{braces}:", ""}) ExerciseStore(**store, UniquePrefix() + part);
  // The empty account (shared by every run, so it charges nothing) works too.
  auto empty = (*store)->Reserve("", 5, 10, 60);
  ASSERT_TRUE(empty.ok()) << empty.error().message;
  EXPECT_TRUE(*empty);
  EXPECT_TRUE((*store)->Settle("", 5, 0, 60).ok());
}

// Direct connections to the cluster's nodes, to reshard a slot under the store.
struct Node {
  std::string host;
  int port = 0;
  std::string id;
  std::unique_ptr<redisContext, void (*)(redisContext*)> connection{nullptr, redisFree};
};
using ReplyPtr = std::unique_ptr<redisReply, void (*)(void*)>;
ReplyPtr Command(Node& node, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const auto& a : args) {
    argv.push_back(a.c_str());
    lengths.push_back(a.size());
  }
  return ReplyPtr(static_cast<redisReply*>(redisCommandArgv(node.connection.get(), static_cast<int>(argv.size()),
                                                            argv.data(), lengths.data())),
                  freeReplyObject);
}
std::string Text(const ReplyPtr& r) { return r && r->str ? std::string(r->str, r->len) : std::string(); }

// A reservation against a budget of 10; a store error fails the test with its message.
bool Reserved(LimitStore& store, const std::string& account, int64_t amount) {
  auto reserved = store.Reserve(account, amount, 10, 3600);
  EXPECT_TRUE(reserved.ok()) << reserved.error().message;
  return reserved.ok() && *reserved;
}

TEST(LimitStore, RedisClusterBudgetSurvivesReshardingItsSlot) {
  if (!ClusterUri()) GTEST_SKIP() << "MODELGUARD_TEST_REDIS_CLUSTER is not set (scripts/test starts a cluster)";
  // Nodes from the URI "redis+cluster://h:p,h:p,h:p".
  std::vector<Node> nodes;
  std::string list = std::string(ClusterUri()).substr(std::string("redis+cluster://").size());
  for (size_t begin = 0; begin < list.size();) {
    const size_t comma = std::min(list.find(',', begin), list.size());
    const std::string item = list.substr(begin, comma - begin);
    Node node;
    node.host = item.substr(0, item.rfind(':'));
    node.port = std::stoi(item.substr(item.rfind(':') + 1));
    node.connection.reset(redisConnect(node.host.c_str(), node.port));
    ASSERT_TRUE(node.connection && !node.connection->err) << item;
    node.id = Text(Command(node, {"CLUSTER", "MYID"}));
    nodes.push_back(std::move(node));
    begin = comma + 1;
  }
  ASSERT_EQ(nodes.size(), 3u);

  const std::string account = UniquePrefix() + "reshard";
  const std::string key = "mg:budget:{" + account + "}";
  const std::string slot = std::to_string(RedisClusterSlot(key));
  // The node that CLUSTER SLOTS names for the slot.
  auto owner_of = [&]() -> size_t {
    auto slots = Command(nodes[0], {"CLUSTER", "SLOTS"});
    if (!slots || slots->type != REDIS_REPLY_ARRAY) return nodes.size();
    const long long wanted = std::stoll(slot);
    for (size_t i = 0; i < slots->elements; ++i) {
      const redisReply* range = slots->element[i];
      if (range->element[0]->integer > wanted || range->element[1]->integer < wanted) continue;
      const std::string id(range->element[2]->element[2]->str, range->element[2]->element[2]->len);
      for (size_t n = 0; n < nodes.size(); ++n)
        if (nodes[n].id == id) return n;
    }
    return nodes.size();
  };
  const size_t source = owner_of();
  ASSERT_LT(source, nodes.size());
  const size_t target = (source + 1) % nodes.size();

  auto store = MakeRedisLimitStore(ClusterUri(), 1000);
  ASSERT_TRUE(store.ok()) << store.error().message;
  ASSERT_TRUE(Reserved(**store, account, 4));  // held = 4, on the source node

  // Migration starts: the source still serves keys it holds; a key it does not hold is answered with ASK.
  ASSERT_EQ(Text(Command(nodes[target], {"CLUSTER", "SETSLOT", slot, "IMPORTING", nodes[source].id})), "OK");
  ASSERT_EQ(Text(Command(nodes[source], {"CLUSTER", "SETSLOT", slot, "MIGRATING", nodes[target].id})), "OK");
  // An account without keys yet whose budget lives in the same slot.
  std::string asked_account;
  for (int i = 0; i < 200000 && asked_account.empty(); ++i) {
    const std::string candidate = account + "-" + std::to_string(i);
    if (std::to_string(RedisClusterSlot("mg:budget:{" + candidate + "}")) == slot) asked_account = candidate;
  }
  ASSERT_FALSE(asked_account.empty());
  ASSERT_TRUE(Reserved(**store, asked_account, 3));  // followed ASK to the importing node
  {
    Command(nodes[target], {"ASKING"});
    EXPECT_EQ(Command(nodes[target], {"EXISTS", "mg:budget:{" + asked_account + "}"})->integer, 1);
    EXPECT_EQ(Command(nodes[source], {"EXISTS", "mg:budget:{" + asked_account + "}"})->integer, 0);
  }
  ASSERT_TRUE(Reserved(**store, account, 4));  // held = 8, still on the source

  // The keys move and the slot is handed over; the store's map is now stale and MOVED corrects it.
  for (;;) {
    auto keys = Command(nodes[source], {"CLUSTER", "GETKEYSINSLOT", slot, "100"});
    ASSERT_TRUE(keys && keys->type == REDIS_REPLY_ARRAY);
    if (keys->elements == 0) break;
    std::vector<std::string> migrate{"MIGRATE", nodes[target].host, std::to_string(nodes[target].port), "", "0", "5000",
                                     "KEYS"};
    for (size_t i = 0; i < keys->elements; ++i) migrate.emplace_back(keys->element[i]->str, keys->element[i]->len);
    ASSERT_EQ(Text(Command(nodes[source], migrate)), "OK");
  }
  for (auto& node : nodes) ASSERT_EQ(Text(Command(node, {"CLUSTER", "SETSLOT", slot, "NODE", nodes[target].id})), "OK");

  // The budget kept its state across the move: 8 of 10 held, so 4 more do not fit and 2 do.
  auto over = (*store)->Reserve(account, 4, 10, 3600);
  ASSERT_TRUE(over.ok()) << over.error().message;
  EXPECT_FALSE(*over);
  EXPECT_TRUE(Reserved(**store, account, 2));
  EXPECT_EQ(Command(nodes[target], {"EXISTS", key})->integer, 1);
  // A fresh store (no stale map) agrees.
  auto fresh = MakeRedisLimitStore(ClusterUri(), 1000);
  ASSERT_TRUE(fresh.ok());
  EXPECT_FALSE(Reserved(**fresh, account, 1));
}

// --- The asynchronous operations, as the gateway's event loops use them. ---

// A TCP server that accepts connections and never answers: a Redis that hangs.
class SilentServer {
 public:
  SilentServer() : acceptor_(loop_, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    Accept();
    thread_ = std::thread([this] { loop_.run(); });
  }
  ~SilentServer() {
    loop_.stop();
    thread_.join();
  }
  int port() const { return acceptor_.local_endpoint().port(); }

 private:
  void Accept() {
    acceptor_.async_accept([this](const boost::system::error_code& error, asio::ip::tcp::socket socket) {
      if (error) return;
      held_.push_back(std::move(socket));
      Accept();
    });
  }
  asio::io_context loop_;
  asio::ip::tcp::acceptor acceptor_;
  std::vector<asio::ip::tcp::socket> held_;
  std::thread thread_;
};

TEST(LimitStore, AHangingRedisTimesOutWithoutStallingTheLoop) {
  SilentServer silent;
  auto store = MakeRedisLimitStore("redis://127.0.0.1:" + std::to_string(silent.port()), 300);
  ASSERT_TRUE(store.ok());
  asio::io_context loop(1);
  // A timer ticking every 10 ms on the same loop stands for the other connections the loop serves.
  int ticks_while_waiting = 0;
  bool answered = false;
  std::optional<Result<Admission>> outcome;
  const auto started = std::chrono::steady_clock::now();
  asio::co_spawn(
      loop,
      [&]() -> asio::awaitable<void> {
        outcome.emplace(co_await (*store)->TakeAsync("bucket", 1, 1, 1));
        answered = true;
      },
      asio::detached);
  asio::co_spawn(
      loop,
      [&]() -> asio::awaitable<void> {
        asio::steady_timer tick(co_await asio::this_coro::executor);
        while (!answered) {
          tick.expires_after(std::chrono::milliseconds(10));
          co_await tick.async_wait(asio::use_awaitable);
          if (!answered) ++ticks_while_waiting;
        }
      },
      asio::detached);
  loop.run();
  const auto waited = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(outcome.has_value());
  ASSERT_FALSE(outcome->ok());
  EXPECT_NE(outcome->error().message.find("no answer within 300 ms"), std::string::npos) << outcome->error().message;
  EXPECT_GE(waited, std::chrono::milliseconds(290));
  EXPECT_LT(waited, std::chrono::seconds(3));
  // A blocking call would have held the loop for the whole 300 ms: no tick at all.
  EXPECT_GE(ticks_while_waiting, 15);
}

// 200 reservations in flight at once on one loop (pipelined on one connection per server) against a
// budget that holds exactly 20 of them: 20 granted, never more.
void RaceForABudget(const std::string& uri, const std::string& account) {
  auto store = MakeRedisLimitStore(uri, 2000);
  ASSERT_TRUE(store.ok()) << store.error().message;
  asio::io_context loop(1);
  int granted = 0, refused = 0;
  std::vector<std::string> errors;
  for (int i = 0; i < 200; ++i) {
    asio::co_spawn(
        loop,
        [&]() -> asio::awaitable<void> {
          auto reserved = co_await (*store)->ReserveAsync(account, 5, 100, 3600);
          if (!reserved) {
            errors.push_back(reserved.error().message);
          } else {
            ++(*reserved ? granted : refused);
          }
        },
        asio::detached);
  }
  // Not run(): the store's idle connection keeps the loop busy, as on the gateway's loops.
  while (granted + refused + static_cast<int>(errors.size()) < 200 && loop.run_one() > 0) {
  }
  EXPECT_TRUE(errors.empty()) << errors.front();
  EXPECT_EQ(granted, 20);
  EXPECT_EQ(refused, 180);
}

TEST(LimitStore, ConcurrentAsyncReservationsNeverOvershootOnRedis) {
  const char* uri = std::getenv("MODELGUARD_TEST_REDIS");
  if (!uri) GTEST_SKIP() << "MODELGUARD_TEST_REDIS is not set (scripts/test starts a redis-server and sets it)";
  RaceForABudget(uri, UniquePrefix() + "async-race");
}

TEST(LimitStore, ConcurrentAsyncReservationsNeverOvershootOnRedisCluster) {
  if (!ClusterUri()) GTEST_SKIP() << "MODELGUARD_TEST_REDIS_CLUSTER is not set (scripts/test starts a cluster)";
  RaceForABudget(ClusterUri(), UniquePrefix() + "async-race");
}

TEST(LimitStore, AsyncOperationsOnTheMemoryStoreAnswerAtOnce) {
  auto store = MakeMemoryLimitStore();
  asio::io_context loop(1);
  std::optional<Result<bool>> reserved;
  asio::co_spawn(
      loop, [&]() -> asio::awaitable<void> { reserved.emplace(co_await store->ReserveAsync("a", 7, 10, 60)); },
      asio::detached);
  loop.run();
  ASSERT_TRUE(reserved && reserved->ok());
  EXPECT_TRUE(**reserved);
  EXPECT_FALSE(*store->Reserve("a", 7, 10, 60));
}

}  // namespace
}  // namespace modelguard::gateway
