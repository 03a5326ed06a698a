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

class SocketDeadlines;

// A deadline for one socket's operations, without a timer operation per operation: a Beast stream expiry
// arms and cancels a timer for every read and write (each a timer-queue update, often a timerfd system
// call, and a cancelled wait to complete), which costs more than parsing a small request. Arming links
// this into its event loop's list (SocketDeadlines); one timer per loop wakes at the earliest deadline it
// knows of and cancels the pending operations of every socket past its own, which then end as
// operation_aborted with expired() set. Armed and disarmed only on the socket's own loop, and it must not
// outlive the socket while armed. Usable for client connections too (session.cpp may arm one per
// connection instead of the stream's expiry).
class SocketDeadline {
 public:
  using Clock = std::chrono::steady_clock;
  explicit SocketDeadline(const asio::any_io_executor& executor);
  ~SocketDeadline() { Disarm(); }
  SocketDeadline(const SocketDeadline&) = delete;
  SocketDeadline& operator=(const SocketDeadline&) = delete;
  // Bounds every operation on `socket` from now until Disarm (or the next Arm).
  void Arm(asio::ip::tcp::socket& socket, std::chrono::milliseconds timeout);
  void Disarm();
  // The deadline passed while armed: operations pending then were cancelled, and later ones must not wait.
  bool expired() const { return expired_; }
  bool armed() const { return linked_; }

 private:
  friend class SocketDeadlines;
  SocketDeadlines* deadlines_;
  asio::ip::tcp::socket* socket_ = nullptr;
  Clock::time_point at_{};
  SocketDeadline* prev_ = nullptr;
  SocketDeadline* next_ = nullptr;
  bool linked_ = false;
  bool expired_ = false;
};

// The armed deadlines of one event loop (an Asio service of its io_context, so each loop has its own and
// nothing is locked) and the one timer that enforces them.
class SocketDeadlines : public asio::execution_context::service {
 public:
  using Clock = SocketDeadline::Clock;
  static asio::execution_context::id id;
  explicit SocketDeadlines(asio::execution_context& context) : service(context) {}
  void Arm(SocketDeadline& deadline);
  void Disarm(SocketDeadline& deadline);

 private:
  void shutdown() override;
  void Sweep();
  void WakeAt(Clock::time_point when, const asio::any_io_executor& executor);
  std::optional<asio::steady_timer> timer_;
  Clock::time_point wakes_ = Clock::time_point::max();  // when the timer fires; max while it does not wait
  SocketDeadline* armed_ = nullptr;                     // intrusive list
  bool shut_down_ = false;
};

struct UpstreamConnection {
  explicit UpstreamConnection(const asio::any_io_executor& executor)
      : tcp(std::in_place, executor), loop(EventLoopOf(executor)), deadline(executor) {}
  UpstreamConnection(const asio::any_io_executor& executor, asio::ssl::context& context)
      : tls(std::in_place, executor, context), loop(EventLoopOf(executor)), deadline(executor) {}
  UpstreamConnection(const UpstreamConnection&) = delete;
  UpstreamConnection& operator=(const UpstreamConnection&) = delete;
  beast::tcp_stream& lowest() { return tls ? tls->next_layer() : *tcp; }
  // One exchange's deadline: past `timeout`, pending reads and writes end (as timeouts, see wire.h).
  void Arm(std::chrono::milliseconds timeout) { deadline.Arm(lowest().socket(), timeout); }
  void Disarm() { deadline.Disarm(); }
  std::optional<beast::tcp_stream> tcp;
  std::optional<TlsStream> tls;
  const void* loop;
  SocketDeadline deadline;  // declared after the streams: disarmed before they close
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
