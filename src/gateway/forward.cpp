#include "src/gateway/forward.h"

#include <boost/asio/steady_timer.hpp>

#include "src/gateway/relay.h"

namespace modelguard::gateway {

using asio::redirect_error;
using asio::use_awaitable;

template <class Client>
asio::awaitable<bool> Forward(Gateway& gateway, Client& client, const Runtime& runtime, const Route& route,
                              http::request<http::string_body> request, RequestContext& context, bool keep_alive,
                              Clock::time_point started, Outcome& outcome) {
  const GatewayConfig& config = runtime.config;
  Metrics& metrics = gateway.metrics();
  UpstreamState& upstream = *runtime.upstreams.at(route.upstream);
  const unsigned version = request.version();
  std::unique_ptr<UpstreamConnection> connection;
  beast::flat_buffer buffer;
  std::optional<http::response_parser<http::empty_body>> head;
  TargetState* answered = nullptr;
  std::string failure = "no target";
  for (TargetState* target : upstream.Order()) {
    bool must_not_replay = false;
    for (int attempt = 0; attempt < 2 && !answered && !must_not_replay; ++attempt) {
      beast::error_code error;
      connection =
          attempt == 0 ? upstream.pool.Take(target->label, EventLoopOf(Lowest(client).get_executor())) : nullptr;
      const bool reused = connection != nullptr;
      if (!reused) {
        connection = co_await ConnectUpstream(upstream, *target, config.upstream_timeout, error);
        if (!connection) {
          failure = target->label + ": " + error.message();
          metrics.CountUpstreamError(upstream.config.name, "connect");
          gateway.Record(upstream, *target, false, error.message());
          break;  // next target
        }
      }
      connection->Arm(config.upstream_timeout);
      co_await WriteRequest(*connection, request, target->label, error);
      head.emplace();
      head->header_limit(64 * 1024);
      head->skip(request.method() == http::verb::head);  // its answer states a length but has no body
      buffer.clear();
      if (!error) co_await ReadHead(*connection, buffer, *head, error);
      if (!error) {
        answered = target;
        break;
      }
      // The connection's deadline (SocketDeadline) ends an operation as `timeout` (wire.h); an
      // `operation_aborted` can only be a cancellation by that deadline too: nothing else cancels
      // upstream operations.
      const bool timed_out = error == beast::error::timeout || error == asio::error::operation_aborted;
      failure = target->label + ": " +
                (timed_out ? "no answer within " + std::to_string(config.upstream_timeout.count()) + " ms (timeout)"
                           : error.message());
      // A pooled connection the upstream had closed fails at once (reset, end of stream): replaying on a
      // fresh one is safe. A timeout means the upstream got the request and is slow: never replayed.
      const bool stale = reused && !timed_out;
      if (!stale) {
        must_not_replay = true;
        metrics.CountUpstreamError(upstream.config.name, timed_out ? "timeout" : "read");
      }
    }
    if (answered || must_not_replay) break;
  }
  if (!answered) {
    const bool timeout = failure.find("timed out") != std::string::npos || failure.find("timeout") != std::string::npos;
    auto res = JsonError(timeout ? 504 : 502, "upstream_error", "the model endpoint did not answer (" + failure + ")",
                         version);
    co_return co_await RelayWhole(gateway, client, res, keep_alive, config, route, context, outcome, started);
  }
  gateway.Record(upstream, *answered, true, "");
  outcome.target = answered->label;
  // Filters read answers as text: an encoded one (gzip...) would pass them as bytes they cannot see into, and
  // the client would decode what no filter judged. The request asked for identity (session.cpp); an upstream
  // that encodes anyway is refused on routes with filters.
  if (const auto encoding = head->get()[http::field::content_encoding];
      !route.filters.empty() && !encoding.empty() && !beast::iequals(encoding, "identity")) {
    metrics.CountUpstreamError(upstream.config.name, "encoded");
    context.verdicts["upstream"] = FilterVerdict::Error("encoded_answer");
    auto res = JsonError(502, "upstream_error",
                         "the model endpoint sent an encoded answer (Content-Encoding: " + std::string(encoding) +
                             ") that the route's filters cannot read",
                         version);
    co_return co_await RelayWhole(gateway, client, res, keep_alive, config, route, context, outcome, started);
  }
  const auto content_type = head->get()[http::field::content_type];
  const bool event_stream = content_type.substr(0, 17) == "text/event-stream";
  if (event_stream) {
    connection->Disarm();  // each read of the stream has its own timeout (relay.cpp)
    co_return co_await RelayStream(gateway, client, upstream, *answered, std::move(connection), buffer, *head, runtime,
                                   route, context, request.body(), version, keep_alive, started, outcome);
  }
  http::response_parser<http::string_body> parser(std::move(*head));
  parser.body_limit(config.max_response_bytes);
  parser.eager(true);
  beast::error_code error;
  ParseBuffered(parser, buffer, error);
  if (!error && !parser.is_done()) co_await Read(*connection, buffer, parser, error);
  connection->Disarm();
  if (error) {
    metrics.CountUpstreamError(upstream.config.name, error == http::error::body_limit ? "too_large" : "read");
    auto res =
        error == http::error::body_limit
            ? JsonError(502, "upstream_error",
                        "the model's answer exceeds " + std::to_string(config.max_response_bytes) + " bytes", version)
            : JsonError(502, "upstream_error", "the model endpoint broke off its answer: " + error.message(), version);
    co_return co_await RelayWhole(gateway, client, res, keep_alive, config, route, context, outcome, started);
  }
  // The parser's own keep-alive verdict: known from parsing (no second pass over Connection), and false
  // for a body the connection's end delimited.
  const bool reusable = parser.keep_alive() && buffer.size() == 0;
  auto response = parser.release();
  if (reusable) {
    upstream.pool.Give(answered->label, std::move(connection));
  }
  response.version(version);
  co_return co_await RelayWhole(gateway, client, response, keep_alive, config, route, context, outcome, started);
}

asio::awaitable<void> HealthChecks(Gateway& gateway, std::weak_ptr<UpstreamState> weak) {
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer timer(executor);
  for (;;) {
    auto upstream = weak.lock();
    if (!upstream || gateway.stopping()) co_return;
    for (auto& target : upstream->targets) {
      beast::error_code error;
      auto connection = co_await ConnectUpstream(*upstream, *target, upstream->config.health_timeout, error);
      unsigned status = 0;
      if (connection) {
        http::request<http::empty_body> probe{http::verb::get, upstream->config.health_path, 11};
        probe.set(http::field::host, target->label);
        probe.set(http::field::user_agent, "modelguard-health-check");
        probe.keep_alive(false);
        connection->lowest().expires_after(upstream->config.health_timeout);
        co_await Write(*connection, probe, error);
        beast::flat_buffer buffer;
        http::response_parser<http::string_body> response;
        response.body_limit(64 * 1024);
        if (!error) co_await Read(*connection, buffer, response, error);
        if (!error) status = response.get().result_int();
      }
      gateway.Record(*upstream, *target, status >= 200 && status < 300,
                     status ? "health status " + std::to_string(status) : error.message());
    }
    const auto interval = upstream->config.health_interval;
    upstream.reset();  // a reload may retire this upstream while we sleep
    timer.expires_after(interval);
    beast::error_code ignored;
    co_await timer.async_wait(redirect_error(use_awaitable, ignored));
  }
}

template asio::awaitable<bool> Forward<beast::tcp_stream>(Gateway&, beast::tcp_stream&, const Runtime&, const Route&,
                                                          http::request<http::string_body>, RequestContext&, bool,
                                                          Clock::time_point, Outcome&);
template asio::awaitable<bool> Forward<TlsStream>(Gateway&, TlsStream&, const Runtime&, const Route&,
                                                  http::request<http::string_body>, RequestContext&, bool,
                                                  Clock::time_point, Outcome&);

}  // namespace modelguard::gateway
