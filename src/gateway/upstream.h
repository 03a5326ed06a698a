#pragma once
// Upstream connections: plain TCP or TLS (verified against the system's or a configured CA, with SNI and
// host name checks), pooled per target for keep-alive, and each target's health (active checks and
// passive connection failures).
#include <utility>  // before asio: Boost 1.74 awaitable.hpp uses std::exchange without it

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "modelguard/gateway/gateway.h"

namespace modelguard::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// The event loop an executor runs on: connections are only reused on the loop that owns their socket.
const void* EventLoopOf(const asio::any_io_executor& executor);

struct UpstreamConnection;

// Deadlines of upstream exchanges, one set per event loop, without a timer operation per exchange: a
// Beast stream expiry arms and cancels a timer for every read and write (each a timer-queue update, often
// a timerfd system call, and a cancelled wait to complete), which cost more than the request's parsing.
// Here arming is linking the connection into a list; one timer per loop wakes at the earliest deadline it
// knows of and cancels the I/O of every connection past its own. Connections are armed and disarmed only
// on their own loop, so nothing here is locked.
class UpstreamDeadlines : public asio::execution_context::service {
 public:
  using Clock = std::chrono::steady_clock;
  static asio::execution_context::id id;
  explicit UpstreamDeadlines(asio::execution_context& context) : service(context) {}
  void Arm(UpstreamConnection& connection, Clock::time_point deadline);
  void Disarm(UpstreamConnection& connection);

 private:
  void shutdown() override;
  void Sweep();
  void WakeAt(Clock::time_point when, const asio::any_io_executor& executor);
  std::optional<asio::steady_timer> timer_;
  Clock::time_point wakes_ = Clock::time_point::max();  // when the timer fires; max while it does not wait
  UpstreamConnection* armed_ = nullptr;                 // intrusive list through the connections
  bool shut_down_ = false;
};

struct UpstreamConnection {
  explicit UpstreamConnection(const asio::any_io_executor& executor)
      : tcp(std::in_place, executor), loop(EventLoopOf(executor)), deadlines(&DeadlinesOf(executor)) {}
  UpstreamConnection(const asio::any_io_executor& executor, asio::ssl::context& context)
      : tls(std::in_place, executor, context), loop(EventLoopOf(executor)), deadlines(&DeadlinesOf(executor)) {}
  ~UpstreamConnection() { Disarm(); }
  UpstreamConnection(const UpstreamConnection&) = delete;
  UpstreamConnection& operator=(const UpstreamConnection&) = delete;
  beast::tcp_stream& lowest() { return tls ? tls->next_layer() : *tcp; }
  // Bounds every operation from now until Disarm: past `timeout`, pending reads and writes end as
  // operation_aborted and `expired` says why; a read started after that ends as a timeout at once.
  void Arm(std::chrono::milliseconds timeout) { deadlines->Arm(*this, UpstreamDeadlines::Clock::now() + timeout); }
  void Disarm() {
    if (linked) deadlines->Disarm(*this);
  }
  std::optional<beast::tcp_stream> tcp;
  std::optional<TlsStream> tls;
  const void* loop;
  UpstreamDeadlines* deadlines;
  // Owned by `deadlines`.
  UpstreamDeadlines::Clock::time_point deadline{};
  UpstreamConnection* prev = nullptr;
  UpstreamConnection* next = nullptr;
  bool linked = false;
  bool expired = false;

 private:
  static UpstreamDeadlines& DeadlinesOf(const asio::any_io_executor& executor) {
    return asio::use_service<UpstreamDeadlines>(asio::query(executor, asio::execution::context));
  }
};

// Idle keep-alive connections per target. Each worker thread runs its own event loop, and a connection is
// handed only to a request on the loop that made it: its reads and writes then never cross threads.
class ConnectionPool {
 public:
  std::unique_ptr<UpstreamConnection> Take(const std::string& key, const void* loop);
  void Give(const std::string& key, std::unique_ptr<UpstreamConnection> connection);

 private:
  static constexpr size_t kMaxIdlePerTarget = 256;
  std::mutex mutex_;
  std::unordered_map<std::string, std::vector<std::unique_ptr<UpstreamConnection>>> idle_;
};

struct TargetState {
  UpstreamTarget target;
  std::string label;  // host:port
  std::atomic<bool> healthy{true};
  std::atomic<unsigned> failures{0};
};

struct UpstreamState {
  Upstream config;
  std::shared_ptr<asio::ssl::context> tls;  // when config.tls
  std::vector<std::unique_ptr<TargetState>> targets;
  std::atomic<unsigned> next{0};
  ConnectionPool pool;  // keyed by target label; dies with this state, so a reload never reuses old TLS settings
  bool AnyHealthy() const;
  // Healthy targets from the round-robin position on, then the unhealthy ones (a last resort beats a 502).
  std::vector<TargetState*> Order();
};

Result<std::shared_ptr<UpstreamState>> MakeUpstreamState(const Upstream& config);

// Resolves, connects and (TLS) handshakes within `timeout`.
asio::awaitable<std::unique_ptr<UpstreamConnection>> ConnectUpstream(UpstreamState& upstream, const TargetState& target,
                                                                     std::chrono::milliseconds timeout,
                                                                     beast::error_code& error);

}  // namespace modelguard::gateway
