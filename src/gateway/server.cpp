// The gateway process: listeners (proxy and admin), one event loop per worker thread, TLS for clients,
// reload (SIGHUP, POST /admin/reload) and drain (SIGTERM/SIGINT, or `stop`). The request path is in
// session.cpp (client connection, built-in endpoints, filter chain), forward.cpp (upstream, health checks)
// and relay.cpp (answers, whole or streamed); the shared state in proxy.h.
#include "src/gateway/proxy.h"  // first: Boost 1.74 needs <utility> before asio

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <thread>

#include "src/gateway/admin.h"
#include "src/gateway/forward.h"
#include "src/gateway/log.h"
#include "src/gateway/session.h"

namespace modelguard::gateway {
namespace {

using tcp = asio::ip::tcp;
using asio::redirect_error;
using asio::use_awaitable;

// An io_context whose services can be shut down ahead of its destruction (see RunGateway).
class EventLoop : public asio::io_context {
 public:
  EventLoop() : asio::io_context(1) {}
  void ShutDown() { shutdown(); }
};

// Each accepted connection lands on the event loop `pick` names, and lives there.
template <class Pick, class Handler>
asio::awaitable<void> AcceptLoop(tcp::acceptor& acceptor, Pick pick, Handler handler) {
  for (;;) {
    boost::system::error_code error;
    tcp::socket socket = co_await acceptor.async_accept(pick(), redirect_error(use_awaitable, error));
    if (error == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (error) continue;  // e.g. out of file descriptors for a moment: keep serving the others
    socket.set_option(tcp::no_delay(true), error);
    handler(std::move(socket));
  }
}

Status Listen(tcp::acceptor& acceptor, const std::string& host, uint16_t port) {
  boost::system::error_code error;
  const auto address = asio::ip::make_address(host, error);
  if (error) return MakeError(ErrorCode::kInvalidArgument, "listen: '" + host + "' is not an IP address");
  const tcp::endpoint endpoint(address, port);
  acceptor.open(endpoint.protocol(), error);
  if (!error) acceptor.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) acceptor.bind(endpoint, error);
  if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error)
    return MakeError(ErrorCode::kIo, "cannot listen on " + host + ":" + std::to_string(port) + ": " + error.message());
  return Ok{};
}

}  // namespace

Status RunGateway(const GatewayConfig& initial, const RunOptions& options) {
  std::unique_ptr<AuditSink> audit;
  if (!initial.audit_log.empty() || !initial.audit_jsonl.empty()) {
    auto sink = !initial.audit_log.empty() ? OpenLogAudit(initial.audit_log) : OpenJsonlAudit(initial.audit_jsonl);
    if (!sink) return sink.error();
    audit = std::move(*sink);
  }
  std::shared_ptr<asio::ssl::context> tls;
  if (!initial.tls_certificate.empty()) {
    tls = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
    tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    boost::system::error_code error;
    tls->use_certificate_chain_file(initial.tls_certificate, error);
    if (error) return MakeError(ErrorCode::kIo, "tls.certificate: " + initial.tls_certificate + ": " + error.message());
    tls->use_private_key_file(initial.tls_private_key, asio::ssl::context::pem, error);
    if (error) return MakeError(ErrorCode::kIo, "tls.private_key: " + initial.tls_private_key + ": " + error.message());
  }
  auto metrics = std::make_unique<Metrics>();
  auto runtime = MakeRuntime(initial, *metrics);
  if (!runtime) return runtime.error();

  // The gateway outlives the io_context (sessions destroyed with it still count themselves out of its
  // metrics); its pooled upstream connections are closed explicitly before, while the io_context lives.
  Gateway gateway(std::move(*runtime), std::move(audit), std::move(metrics));
  // One event loop per worker thread, each run by that thread alone: a client connection and the upstream
  // connections its requests use stay on one thread, so no handler crosses threads (what the loops share,
  // snapshot, pool, limits and metrics, is behind its own locks). The first loop also runs the acceptors,
  // signals, timers and health checks.
  const unsigned threads = initial.threads ? initial.threads : std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::unique_ptr<EventLoop>> loops;
  for (unsigned i = 0; i < threads; ++i) loops.push_back(std::make_unique<EventLoop>());
  // Pooled upstream connections of one loop may be released while another loop is torn down (a session
  // frame holding the last snapshot): every loop is shut down before any is destroyed.
  struct ShutDownAll {
    std::vector<std::unique_ptr<EventLoop>>& loops;
    ~ShutDownAll() {
      for (auto& loop : loops) loop->ShutDown();
    }
  } shut_down_all{loops};
  asio::io_context& io = *loops[0];
  size_t next_loop = 0;
  auto pick_loop = [&]() -> asio::io_context& { return *loops[next_loop++ % loops.size()]; };
  auto stop_all = [&] {
    for (auto& loop : loops) loop->stop();
  };
  auto start_health_checks = [&](const Runtime& r) {
    for (const auto& [name, upstream] : r.upstreams) {
      for (const auto& t : upstream->targets) gateway.metrics().SetTargetHealth(name, t->label, true);
      if (!upstream->config.health_path.empty()) asio::co_spawn(io, HealthChecks(gateway, upstream), asio::detached);
    }
  };
  start_health_checks(*gateway.Snapshot());

  // Reload: a new snapshot for new requests; requests in flight finish on the one they started with.
  const ReloadFunction reload = [&]() -> std::string {
    if (!options.reload) return "this gateway was started without a configuration file to reload";
    auto next = options.reload();
    std::string problem;
    if (!next) {
      problem = next.error().message;
    } else {
      const auto current = gateway.Snapshot();
      if (next->listen_host != current->config.listen_host || next->listen_port != current->config.listen_port ||
          next->tls_certificate != current->config.tls_certificate || next->admin_port != current->config.admin_port ||
          next->audit_jsonl != current->config.audit_jsonl || next->audit_log != current->config.audit_log) {
        LogEvent("warn", "listen, tls, admin and audit settings change only on restart");
      }
      auto made = MakeRuntime(*next, gateway.metrics());
      if (!made) {
        problem = made.error().message;
      } else {
        gateway.Replace(*made);
        start_health_checks(**made);
      }
    }
    if (problem.empty()) {
      ++gateway.metrics().reloads;
      LogEvent("info", "configuration reloaded", {{"routes", gateway.Snapshot()->config.routes.size()}});
    } else {
      ++gateway.metrics().reload_failures;
      LogEvent("error", "configuration reload failed; keeping the running configuration", {{"error", problem}});
    }
    return problem;
  };

  tcp::acceptor acceptor(io), admin_acceptor(io);
  if (auto listening = Listen(acceptor, initial.listen_host, initial.listen_port); !listening) return listening;
  if (initial.admin_port || !initial.admin_host.empty()) {
    if (auto listening = Listen(admin_acceptor, initial.admin_host, initial.admin_port); !listening) return listening;
    asio::co_spawn(
        io,
        AcceptLoop(
            admin_acceptor, [&]() -> asio::io_context& { return io; },
            [&](tcp::socket s) { asio::co_spawn(io, AdminSession(gateway, reload, std::move(s)), asio::detached); }),
        asio::detached);
  }
  if (options.on_listening)
    options.on_listening(acceptor.local_endpoint().port(),
                         admin_acceptor.is_open() ? admin_acceptor.local_endpoint().port() : 0);

  asio::co_spawn(
      io,
      AcceptLoop(acceptor, pick_loop,
                 [&](tcp::socket socket) {
                   const auto loop = socket.get_executor();
                   if (!tls) {
                     asio::co_spawn(loop, ServeClient(gateway, beast::tcp_stream(std::move(socket))), asio::detached);
                     return;
                   }
                   asio::co_spawn(
                       loop,
                       [&gateway, tls, s = std::move(socket)]() mutable -> asio::awaitable<void> {
                         TlsStream stream(std::move(s), *tls);
                         beast::get_lowest_layer(stream).expires_after(gateway.Snapshot()->config.header_timeout);
                         beast::error_code error;
                         co_await stream.async_handshake(asio::ssl::stream_base::server,
                                                         redirect_error(use_awaitable, error));
                         if (!error) co_await ServeClient(gateway, std::move(stream));
                       },
                       asio::detached);
                 }),
      asio::detached);

  // SIGTERM/SIGINT: stop accepting, let requests in flight (streams included) finish up to drain_timeout.
  asio::steady_timer drain_timer(io);
  Clock::time_point drain_deadline;
  std::function<void()> check_drained = [&] {
    if (gateway.metrics().in_flight.load() == 0 || Clock::now() >= drain_deadline) {
      if (gateway.metrics().in_flight.load() != 0)
        LogEvent("warn", "drain timeout: closing requests still in flight",
                 {{"in_flight", gateway.metrics().in_flight.load()}});
      gateway.Stop();
      stop_all();
      return;
    }
    drain_timer.expires_after(std::chrono::milliseconds(20));
    drain_timer.async_wait([&](const boost::system::error_code& e) {
      if (!e) check_drained();
    });
  };
  auto begin_drain = [&](const char* why) {
    if (gateway.draining()) return;
    gateway.StartDrain();
    LogEvent("info", "draining", {{"reason", why}, {"in_flight", gateway.metrics().in_flight.load()}});
    boost::system::error_code ignored;
    acceptor.close(ignored);
    admin_acceptor.close(ignored);
    drain_deadline = Clock::now() + gateway.Snapshot()->config.drain_timeout;
    check_drained();
  };
  asio::signal_set stop_signals(io, SIGINT, SIGTERM);
  stop_signals.async_wait([&](const boost::system::error_code& e, int signal) {
    if (!e) begin_drain(signal == SIGTERM ? "SIGTERM" : "SIGINT");
  });
  asio::signal_set reload_signal(io, SIGHUP);
  std::function<void()> wait_reload = [&] {
    reload_signal.async_wait([&](const boost::system::error_code& e, int) {
      if (e) return;
      reload();
      wait_reload();
    });
  };
  wait_reload();
  asio::steady_timer poll(io);
  std::function<void()> watch = [&] {
    if (options.stop->load()) {
      begin_drain("stop requested");
      return;
    }
    poll.expires_after(std::chrono::milliseconds(50));
    poll.async_wait([&](const boost::system::error_code& e) {
      if (!e) watch();
    });
  };
  if (options.stop) watch();
  // The other loops have nothing to do until a connection arrives: they wait for work until stopped.
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> idle_guards;
  for (size_t i = 1; i < loops.size(); ++i) idle_guards.push_back(asio::make_work_guard(*loops[i]));
  std::vector<std::thread> workers;
  for (size_t i = 1; i < loops.size(); ++i) workers.emplace_back([&loop = *loops[i]] { loop.run(); });
  io.run();
  stop_all();  // the first loop ends only when stopping
  for (auto& t : workers) t.join();
  gateway.Replace(nullptr);
  LogEvent("info", "stopped");
  return Ok{};
}

}  // namespace modelguard::gateway
