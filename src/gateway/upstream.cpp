#include "src/gateway/upstream.h"

#include <algorithm>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace modelguard::gateway {

using tcp = asio::ip::tcp;

bool UpstreamState::AnyHealthy() const {
  for (const auto& t : targets) {
    if (t->healthy.load(std::memory_order_relaxed)) return true;
  }
  return false;
}

std::vector<TargetState*> UpstreamState::Order() {
  // One allocation and one look at each target's health: healthy ones fill the order from the front,
  // unhealthy ones from the back (then put back in round-robin order).
  std::vector<TargetState*> order(targets.size());
  size_t front = 0, back = targets.size();
  const size_t start = next.fetch_add(1, std::memory_order_relaxed) % targets.size();
  for (size_t i = 0; i < targets.size(); ++i) {
    TargetState* t = targets[(start + i) % targets.size()].get();
    if (t->healthy.load(std::memory_order_relaxed))
      order[front++] = t;
    else
      order[--back] = t;
  }
  std::reverse(order.begin() + static_cast<std::ptrdiff_t>(back), order.end());
  return order;
}

Result<std::shared_ptr<UpstreamState>> MakeUpstreamState(const Upstream& config) {
  auto state = std::make_shared<UpstreamState>();
  state->config = config;
  for (const auto& t : config.targets) {
    auto target = std::make_unique<TargetState>();
    target->target = t;
    target->label = t.host + ":" + t.port;
    state->targets.push_back(std::move(target));
  }
  if (config.tls) {
    auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
    boost::system::error_code error;
    context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                         asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    if (config.tls_ca_file.empty()) {
      context->set_default_verify_paths(error);
    } else {
      context->load_verify_file(config.tls_ca_file, error);
    }
    if (error)
      return MakeError(ErrorCode::kIo,
                       "upstreams." + config.name + ".tls: cannot load trust anchors: " + error.message());
    context->set_verify_mode(config.tls_verify ? asio::ssl::verify_peer : asio::ssl::verify_none);
    state->tls = std::move(context);
  }
  return state;
}

asio::awaitable<std::unique_ptr<UpstreamConnection>> ConnectUpstream(UpstreamState& upstream, const TargetState& target,
                                                                     std::chrono::milliseconds timeout,
                                                                     beast::error_code& error) {
  auto executor = co_await asio::this_coro::executor;
  auto connection = upstream.tls ? std::make_unique<UpstreamConnection>(executor, *upstream.tls)
                                 : std::make_unique<UpstreamConnection>(executor);
  auto& socket = connection->lowest();
  socket.expires_after(timeout);
  tcp::resolver resolver(executor);
  auto endpoints = co_await resolver.async_resolve(target.target.host, target.target.port,
                                                   asio::redirect_error(asio::use_awaitable, error));
  if (error) co_return nullptr;
  co_await socket.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, error));
  if (error) co_return nullptr;
  socket.socket().set_option(tcp::no_delay(true), error);
  if (connection->tls) {
    const std::string& name =
        upstream.config.tls_server_name.empty() ? target.target.host : upstream.config.tls_server_name;
    // SNI, and the certificate must name the host we meant to reach.
    if (!SSL_set_tlsext_host_name(connection->tls->native_handle(), name.c_str())) {
      error = beast::error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category());
      co_return nullptr;
    }
    if (upstream.config.tls_verify) connection->tls->set_verify_callback(asio::ssl::host_name_verification(name));
    co_await connection->tls->async_handshake(asio::ssl::stream_base::client,
                                              asio::redirect_error(asio::use_awaitable, error));
    if (error) co_return nullptr;
  }
  // From here on the exchange's deadline (UpstreamConnection::Arm) bounds it, not the connect's.
  socket.expires_never();
  co_return connection;
}

const void* EventLoopOf(const asio::any_io_executor& executor) {
  return &asio::query(executor, asio::execution::context);
}

SocketDeadline::SocketDeadline(const asio::any_io_executor& executor)
    : deadlines_(&asio::use_service<SocketDeadlines>(asio::query(executor, asio::execution::context))) {}

void SocketDeadline::Arm(asio::ip::tcp::socket& socket, std::chrono::milliseconds timeout) {
  socket_ = &socket;
  at_ = Clock::now() + timeout;
  expired_ = false;
  deadlines_->Arm(*this);
}

void SocketDeadline::Disarm() {
  if (linked_) deadlines_->Disarm(*this);
}

asio::execution_context::id SocketDeadlines::id;

void SocketDeadlines::Arm(SocketDeadline& deadline) {
  if (shut_down_) return;
  if (!deadline.linked_) {
    deadline.prev_ = nullptr;
    deadline.next_ = armed_;
    if (armed_) armed_->prev_ = &deadline;
    armed_ = &deadline;
    deadline.linked_ = true;
  }
  // Deadlines of one loop are mostly the same timeout from a later start: the timer already waits for an
  // earlier one, and is only moved for a shorter timeout (or when it waits for nothing).
  if (deadline.at_ < wakes_) WakeAt(deadline.at_, deadline.socket_->get_executor());
}

void SocketDeadlines::Disarm(SocketDeadline& deadline) {
  if (!deadline.linked_) return;
  if (deadline.prev_) deadline.prev_->next_ = deadline.next_;
  if (deadline.next_) deadline.next_->prev_ = deadline.prev_;
  if (armed_ == &deadline) armed_ = deadline.next_;
  deadline.prev_ = deadline.next_ = nullptr;
  deadline.linked_ = false;
}

void SocketDeadlines::WakeAt(Clock::time_point when, const asio::any_io_executor& executor) {
  if (!timer_) timer_.emplace(executor);
  wakes_ = when;
  timer_->expires_at(when);
  timer_->async_wait([this](const boost::system::error_code& error) {
    // Cancelled: moved to an earlier time (the newer wait sweeps), or the loop is shutting down.
    if (error != asio::error::operation_aborted && !shut_down_) Sweep();
  });
}

void SocketDeadlines::Sweep() {
  wakes_ = Clock::time_point::max();
  const auto now = Clock::now();
  SocketDeadline* earliest = nullptr;
  for (SocketDeadline* d = armed_; d;) {
    SocketDeadline* following = d->next_;
    if (d->at_ <= now) {
      d->expired_ = true;
      Disarm(*d);
      boost::system::error_code ignored;
      d->socket_->cancel(ignored);
    } else if (!earliest || d->at_ < earliest->at_) {
      earliest = d;
    }
    d = following;
  }
  if (earliest) WakeAt(earliest->at_, earliest->socket_->get_executor());
}

void SocketDeadlines::shutdown() {
  shut_down_ = true;
  while (armed_) Disarm(*armed_);
  timer_.reset();
}

std::unique_ptr<UpstreamConnection> ConnectionPool::Take(const std::string& key, const void* loop) {
  std::lock_guard lock(mutex_);
  auto it = idle_.find(key);
  if (it == idle_.end()) return nullptr;
  auto& idle = it->second;
  // Most recently returned first: the warmest connection, the least likely to have been closed upstream.
  for (size_t i = idle.size(); i-- > 0;) {
    if (idle[i]->loop != loop) continue;
    auto connection = std::move(idle[i]);
    idle.erase(idle.begin() + static_cast<std::ptrdiff_t>(i));
    return connection;
  }
  return nullptr;
}

void ConnectionPool::Give(const std::string& key, std::unique_ptr<UpstreamConnection> connection) {
  std::lock_guard lock(mutex_);
  auto& idle = idle_[key];
  if (idle.size() < kMaxIdlePerTarget) idle.push_back(std::move(connection));
}

}  // namespace modelguard::gateway
