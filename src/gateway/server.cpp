// Request path: read (header timeout, body limit) -> builtin endpoints -> route match -> request filters ->
// upstream (connect, write, read with a timeout and a response limit) -> response filters -> client ->
// audit event. Each client connection is one coroutine; keep-alive on the client side.
#include <openssl/sha.h>

#include <utility>  // before asio: Boost 1.74 awaitable.hpp uses std::exchange without it

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "modelguard/gateway/audit.h"
#include "modelguard/gateway/gateway.h"
#include "src/gateway/digest.h"

namespace modelguard::gateway {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;


struct Metrics {
  std::atomic<uint64_t> requests{0}, blocked{0}, upstream_errors{0}, status_2xx{0}, status_4xx{0}, status_5xx{0};
  std::string Prometheus() const {
    std::string out;
    out += "# TYPE modelguard_gateway_requests_total counter\n";
    out += "modelguard_gateway_requests_total{code=\"2xx\"} " + std::to_string(status_2xx.load()) + "\n";
    out += "modelguard_gateway_requests_total{code=\"4xx\"} " + std::to_string(status_4xx.load()) + "\n";
    out += "modelguard_gateway_requests_total{code=\"5xx\"} " + std::to_string(status_5xx.load()) + "\n";
    out += "# TYPE modelguard_gateway_blocked_total counter\nmodelguard_gateway_blocked_total " + std::to_string(blocked.load()) + "\n";
    out += "# TYPE modelguard_gateway_upstream_errors_total counter\nmodelguard_gateway_upstream_errors_total " +
           std::to_string(upstream_errors.load()) + "\n";
    return out;
  }
};

const Route* Match(const std::vector<Route>& routes, std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  for (const auto& r : routes) {
    if (!r.path.empty() && r.path.back() == '*') {
      if (path.substr(0, r.path.size() - 1) == std::string_view(r.path).substr(0, r.path.size() - 1)) return &r;
    } else if (path == r.path) {
      return &r;
    }
  }
  return nullptr;
}

http::response<http::string_body> JsonError(unsigned status, const std::string& type, const std::string& message, unsigned version,
                                            bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(status), version};
  res.set(http::field::content_type, "application/json");
  res.set(http::field::server, "modelguard");
  // OpenAI-compatible error body, so SDKs surface the message.
  res.body() = nlohmann::json{{"error", {{"message", message}, {"type", type}, {"code", type}}}}.dump();
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

class Gateway {
 public:
  Gateway(const GatewayConfig& config, std::unique_ptr<AuditSink> audit) : config_(config), audit_(std::move(audit)) {}

  asio::awaitable<void> Session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(config_.max_request_bytes);
      stream.expires_after(config_.header_timeout);
      beast::error_code read_error;
      co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, read_error));
      if (read_error == http::error::end_of_stream || read_error == beast::error::timeout ||
          read_error == asio::error::connection_reset || read_error == asio::error::eof) {
        break;
      }
      if (read_error) {
        const bool too_large = read_error == http::error::body_limit;
        auto res = JsonError(too_large ? 413 : 400, too_large ? "request_too_large" : "bad_request", read_error.message(), 11, false);
        // Requests refused before they were whole are audited too: they are often the interesting ones.
        RequestContext refused;
        refused.verdicts["http"] = "block:" + std::string(too_large ? "request_too_large" : "bad_request");
        ++metrics_.status_4xx;
        Audit(refused, std::string(parser.get().target()), res, Clock::now());
        beast::error_code ignored;
        co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ignored));
        break;
      }
      auto request = parser.release();
      const bool keep_alive = request.keep_alive();
      auto response = co_await Handle(std::move(request));
      response.keep_alive(keep_alive);
      stream.expires_after(config_.upstream_timeout);
      beast::error_code write_error;
      co_await http::async_write(stream, response, asio::redirect_error(asio::use_awaitable, write_error));
      if (write_error || !keep_alive) break;
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  const Metrics& metrics() const { return metrics_; }

 private:
  asio::awaitable<http::response<http::string_body>> Handle(http::request<http::string_body> request) {
    const auto started = Clock::now();
    const std::string target(request.target());
    if (target == "/healthz" || target == "/readyz") {
      http::response<http::string_body> res{http::status::ok, request.version()};
      res.set(http::field::content_type, "application/json");
      res.body() = "{\"status\":\"ok\"}";
      res.prepare_payload();
      co_return res;
    }
    if (target == "/metrics") {
      http::response<http::string_body> res{http::status::ok, request.version()};
      res.set(http::field::content_type, "text/plain; version=0.0.4");
      res.body() = metrics_.Prometheus();
      res.prepare_payload();
      co_return res;
    }
    ++metrics_.requests;
    RequestContext context;
    context.method = std::string(request.method_string());
    context.target = target;
    for (const auto& field : request) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      context.headers[name] = std::string(field.value());
    }
    context.body = request.body();
    http::response<http::string_body> response;
    const Route* route = Match(config_.routes, target);
    if (!route) {
      response = JsonError(404, "not_found", "no route for " + target.substr(0, target.find('?')), request.version(), true);
    } else {
      context.route = route->name;
      std::optional<Answer> answer;
      size_t ran = 0;
      while (ran < route->filters.size() && !answer) answer = route->filters[ran++]->OnRequest(context);
      if (answer) {
        ++metrics_.blocked;
        response = JsonError(answer->status, answer->error_type, answer->message, request.version(), true);
        for (const auto& [name, value] : answer->headers) response.set(name, value);
        // Filters that already reserved something (budgets) release it.
        ResponseContext refused{response.result_int(), response.body()};
        for (size_t i = 0; i < ran; ++i) route->filters[i]->OnResponse(context, refused);
      } else {
        response = co_await Forward(*route, std::move(request));
        ResponseContext out{response.result_int(), response.body()};
        for (const auto& filter : route->filters) filter->OnResponse(context, out);
        if (out.body != response.body()) {
          response.body() = std::move(out.body);
          response.prepare_payload();
        }
      }
    }
    const unsigned status = response.result_int();
    (status < 300 ? metrics_.status_2xx : status < 500 ? metrics_.status_4xx : metrics_.status_5xx)++;
    Audit(context, target, response, started);
    co_return response;
  }

  void Audit(const RequestContext& context, const std::string& target, const http::response<http::string_body>& response,
             Clock::time_point started) {
    if (audit_) {
      nlohmann::ordered_json event;
      event["time"] = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
      event["key_id"] = context.key_id;
      event["route"] = context.route;
      event["method"] = context.method;
      event["path"] = target.substr(0, target.find('?'));
      event["status"] = response.result_int();
      event["latency_ms"] = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
      event["verdicts"] = context.verdicts;
      // Digests, never the bodies: the audit trail proves what passed without holding prompts or secrets.
      event["request_sha256"] = Sha256Hex(context.body);
      event["response_sha256"] = Sha256Hex(response.body());
      (void)audit_->Write(std::move(event));
    }
  }

  // Idle keep-alive connections to each upstream, reused by later requests (any thread).
  std::optional<tcp::socket> TakeIdle(const std::string& upstream) {
    std::lock_guard lock(pool_mutex_);
    auto& idle = pool_[upstream];
    if (idle.empty()) return std::nullopt;
    tcp::socket socket = std::move(idle.back());
    idle.pop_back();
    return socket;
  }
  void GiveBack(const std::string& upstream, tcp::socket socket) {
    std::lock_guard lock(pool_mutex_);
    auto& idle = pool_[upstream];
    if (idle.size() < kMaxIdlePerUpstream) idle.push_back(std::move(socket));
  }

  asio::awaitable<http::response<http::string_body>> Forward(const Route& route, http::request<http::string_body> request) {
    auto executor = co_await asio::this_coro::executor;
    const unsigned version = request.version();
    const std::string upstream_name = route.upstream_host + ":" + route.upstream_port;
    // Hop-by-hop headers are the connection's business, not the upstream's.
    for (auto field : {http::field::connection, http::field::keep_alive, http::field::proxy_authorization, http::field::te,
                       http::field::trailer, http::field::upgrade}) {
      request.erase(field);
    }
    request.set(http::field::host, upstream_name);
    request.version(11);
    request.keep_alive(true);
    request.prepare_payload();
    beast::error_code error;
    // A pooled connection may have been closed by the upstream meanwhile: then one retry on a fresh one.
    for (int attempt = 0; attempt < 2; ++attempt) {
      std::optional<tcp::socket> idle = attempt == 0 ? TakeIdle(upstream_name) : std::nullopt;
      const bool reused = idle.has_value();
      beast::tcp_stream upstream = reused ? beast::tcp_stream(std::move(*idle)) : beast::tcp_stream(executor);
      upstream.expires_after(config_.upstream_timeout);
      error = {};
      if (!reused) {
        tcp::resolver resolver(executor);
        auto endpoints = co_await resolver.async_resolve(route.upstream_host, route.upstream_port, asio::redirect_error(asio::use_awaitable, error));
        if (!error) co_await upstream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, error));
        if (!error) upstream.socket().set_option(tcp::no_delay(true), error);
      }
      if (!error) co_await http::async_write(upstream, request, asio::redirect_error(asio::use_awaitable, error));
      if (!error) {
        beast::flat_buffer buffer;
        http::response_parser<http::string_body> parser;
        parser.body_limit(config_.max_response_bytes);
        co_await http::async_read(upstream, buffer, parser, asio::redirect_error(asio::use_awaitable, error));
        if (!error) {
          auto response = parser.release();
          if (response.keep_alive() && buffer.size() == 0) {
            upstream.expires_never();
            GiveBack(upstream_name, upstream.release_socket());
          }
          response.version(version);
          for (auto field : {http::field::connection, http::field::keep_alive, http::field::transfer_encoding}) response.erase(field);
          response.prepare_payload();
          co_return response;
        }
      }
      if (!reused) break;  // a fresh connection failed: the upstream is down, not a stale socket
    }
    ++metrics_.upstream_errors;
    co_return JsonError(502, "upstream_error", "the model endpoint did not answer: " + error.message(), version, true);
  }

  static constexpr size_t kMaxIdlePerUpstream = 256;
  std::mutex pool_mutex_;
  std::unordered_map<std::string, std::vector<tcp::socket>> pool_;
  const GatewayConfig& config_;
  std::unique_ptr<AuditSink> audit_;
  Metrics metrics_;
};

asio::awaitable<void> Accept(tcp::acceptor& acceptor, Gateway& gateway) {
  for (;;) {
    boost::system::error_code error;
    tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, error));
    if (error == asio::error::operation_aborted) co_return;
    if (error) continue;
    socket.set_option(tcp::no_delay(true));
    asio::co_spawn(acceptor.get_executor(), gateway.Session(std::move(socket)), asio::detached);
  }
}

}  // namespace

Status RunGateway(const GatewayConfig& config, const std::atomic<bool>* stop, const std::function<void(uint16_t)>& on_listening) {
  std::unique_ptr<AuditSink> audit;
  if (!config.audit_log.empty() || !config.audit_jsonl.empty()) {
    auto sink = !config.audit_log.empty() ? OpenLogAudit(config.audit_log) : OpenJsonlAudit(config.audit_jsonl);
    if (!sink) return sink.error();
    audit = std::move(*sink);
  }
  const unsigned threads = config.threads ? config.threads : std::max(1u, std::thread::hardware_concurrency());
  asio::io_context io(static_cast<int>(threads));
  Gateway gateway(config, std::move(audit));
  tcp::acceptor acceptor(io);
  boost::system::error_code error;
  const auto address = asio::ip::make_address(config.listen_host, error);
  if (error) return MakeError(ErrorCode::kInvalidArgument, "listen: '" + config.listen_host + "' is not an IP address");
  const tcp::endpoint endpoint(address, config.listen_port);
  acceptor.open(endpoint.protocol(), error);
  if (!error) acceptor.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) acceptor.bind(endpoint, error);
  if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) return MakeError(ErrorCode::kIo, "cannot listen on " + config.listen_host + ":" + std::to_string(config.listen_port) + ": " + error.message());
  if (on_listening) on_listening(acceptor.local_endpoint().port());

  asio::co_spawn(io, Accept(acceptor, gateway), asio::detached);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) {
    acceptor.close();
    io.stop();
  });
  asio::steady_timer poll(io);
  std::function<void()> watch = [&] {
    if (stop && stop->load()) {
      acceptor.close();
      io.stop();
      return;
    }
    poll.expires_after(std::chrono::milliseconds(100));
    poll.async_wait([&](const boost::system::error_code& e) {
      if (!e) watch();
    });
  };
  if (stop) watch();
  std::vector<std::thread> workers;
  for (unsigned i = 1; i < threads; ++i) workers.emplace_back([&] { io.run(); });
  io.run();
  for (auto& t : workers) t.join();
  return Ok{};
}

}  // namespace modelguard::gateway
