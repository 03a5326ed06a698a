#include "src/gateway/session.h"

#include <algorithm>
#include <array>

#include "modelguard/core/bytes.h"
#include "modelguard/core/hash.h"
#include "modelguard/core/random.h"
#include "src/gateway/endpoints.h"
#include "src/gateway/filter_chain.h"
#include "src/gateway/forward.h"

namespace modelguard::gateway {
namespace {

using asio::redirect_error;
using asio::use_awaitable;

// The request's id (RequestContext::request_id): 128 random bits, so ids never repeat across gateways or
// restarts. Never the client's choice: an id a client picked could name another request's event. It travels
// as X-Modelguard-Request-Id, not X-Request-Id, so the upstream's own request id (OpenAI's x-request-id, which
// its support asks for) reaches the client untouched. Empty if the system's random source failed: the
// request is still served, its event carries no id.
std::string NewRequestId() {
  std::array<uint8_t, 16> bytes{};
  if (!SecureRandomBytes(bytes)) return {};
  return HexEncode(bytes);
}

// One request whole in hand: returns whether the connection stays usable.
template <class Stream>
asio::awaitable<bool> Handle(Gateway& gateway, Stream& stream, http::request<http::string_body> request,
                             bool keep_alive, const std::shared_ptr<const Runtime>& runtime) {
  const auto started = Clock::now();
  const GatewayConfig& config = runtime->config;
  Metrics& metrics = gateway.metrics();
  // Routed, filtered, audited and forwarded as normalised, so no other spelling of a path reaches a route
  // with fewer filters; a target that cannot be normalised safely is refused below.
  std::string target, bad_target;
  {
    const auto raw = request.target();
    if (!NormalizeTarget(std::string_view(raw.data(), raw.size()), target, bad_target))
      target.assign(raw.data(), raw.size());
    else if (target != std::string_view(raw.data(), raw.size()))
      request.target(target);
  }
  const unsigned version = request.version();
  const bool head_request = request.method() == http::verb::head;
  if (bad_target.empty()) {
    if (auto builtin = BuiltinEndpoint(target, version, *runtime, metrics, gateway.draining()))
      co_return co_await SendResponse(stream, *builtin, keep_alive, config.upstream_timeout, head_request);
  }
  ++metrics.in_flight;
  struct InFlight {
    Metrics& m;
    ~InFlight() { --m.in_flight; }
  } in_flight{metrics};

  RequestContext context;
  context.request_id = NewRequestId();
  context.method = std::string(request.method_string());
  context.target = target;
  const Route* route = MatchRoute(config.routes, target);
  // Filters read headers and body from the context, and the audit event hashes the body; a request that
  // needs neither keeps its own and nothing is copied.
  const bool filtered = route && !route->filters.empty();
  const bool audited = gateway.Audited(config);
  // A credential sent twice is refused: filters would judge one copy and the upstream might read the other.
  bool duplicate_credential = false;
  if (filtered) {
    for (const auto& field : request) {
      std::string name(field.name_string());
      // Field names are ASCII tokens (RFC 9110 §5.1): no locale-aware tolower call per character.
      for (char& c : name) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
      auto [it, added] = context.headers.try_emplace(std::move(name), field.value());
      if (!added) {
        duplicate_credential = duplicate_credential || it->first == "authorization" || it->first == "x-api-key";
        it->second = std::string(field.value());  // later fields win, as before
      }
    }
  }
  if (filtered || audited) context.body = request.body();
  const std::string_view body = filtered || audited ? std::string_view(context.body) : std::string_view(request.body());
  Outcome outcome;
  bool open = true;
  auto answer_with = [&](unsigned status, const std::string& type, const std::string& message,
                         const std::map<std::string, std::string>& headers) -> http::response<http::string_body> {
    auto res = JsonError(status, type, message, version);
    for (const auto& [name, value] : headers) res.set(name, value);
    if (!context.request_id.empty()) res.set(kRequestIdField, context.request_id);
    outcome.status = status;
    if (audited) outcome.response_sha256 = Sha256Hex(res.body());
    return res;
  };
  if (request.method() == http::verb::trace || request.method() == http::verb::connect) {
    // TRACE echoes what reached the server (cross-site tracing); CONNECT would make this a tunnel.
    metrics.CountBlock(kHttpVerdict, "method_not_allowed");
    context.verdicts[kHttpVerdict] = FilterVerdict::Block("method_not_allowed");
    auto res = answer_with(405, "method_not_allowed", std::string(request.method_string()) + " is not proxied", {});
    open = co_await SendResponse(stream, res, keep_alive, config.upstream_timeout, head_request);
    gateway.Audit(config, context, target, outcome, started);
    co_return open;
  }
  if (!bad_target.empty()) {
    metrics.CountBlock(kHttpVerdict, "bad_path");
    context.verdicts[kHttpVerdict] = FilterVerdict::Block("bad_path");
    auto res = answer_with(400, "invalid_request_error", "refused request target: " + bad_target, {});
    open = co_await SendResponse(stream, res, keep_alive, config.upstream_timeout, head_request);
    gateway.Audit(config, context, target, outcome, started);
    co_return open;
  }
  if (duplicate_credential) {
    metrics.CountBlock(kHttpVerdict, "duplicate_credentials");
    context.verdicts[kHttpVerdict] = FilterVerdict::Block("duplicate_credentials");
    auto res = answer_with(400, "invalid_request_error", "send one Authorization or X-Api-Key field, not several", {});
    open = co_await SendResponse(stream, res, keep_alive, config.upstream_timeout, head_request);
    gateway.Audit(config, context, target, outcome, started);
    co_return open;
  }
  if (!route) {
    auto res = answer_with(404, "not_found", "no route for " + target.substr(0, target.find('?')), {});
    open = co_await SendResponse(stream, res, keep_alive, config.upstream_timeout, head_request);
    gateway.Audit(config, context, target, outcome, started);
    co_return open;
  }
  context.route = route->name;
  outcome.signals.enabled = audited && route->signals.enabled;
  outcome.signals.llm = route->type == RouteType::kOpenAi;
  RouteMetrics& route_metrics = *runtime->route_metrics[static_cast<size_t>(route - config.routes.data())];
  const RequestChainResult chain = co_await RunRequestChain(*route, context, body, filtered && NeedsDocument(*route));
  if (const ChainVerdict& refusal = chain.verdict) {
    metrics.CountBlock(refusal.filter, refusal.reason);
    const Answer& answer = *refusal.answer;
    auto res = answer_with(answer.status, answer.error_type, answer.message, answer.headers);
    // Filters that already reserved something (budgets, token rates) release it.
    ResponseContext refused{res.result_int(), res.body(), false, std::nullopt};
    co_await RunResponseChain(route->filters, chain.ran, context, refused);
    outcome.first_byte_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    open = co_await SendResponse(stream, res, keep_alive, config.upstream_timeout, head_request);
  } else {
    if (context.body_changed) request.body() = context.body;
    // Answers the filters read must come as text: the client's Accept-Encoding is not the gateway's.
    if (!route->filters.empty()) request.set(http::field::accept_encoding, "identity");
    for (const auto& name : context.gateway_credentials) request.erase(name);
    request.erase(kRequestIdField);  // the client's copy, if any, is not the gateway's id
    if (!context.request_id.empty()) request.set(kRequestIdField, context.request_id);
    // Then the upstream's own credential (and other configured fields), replacing whatever the client sent.
    if (auto upstream = config.upstreams.find(route->upstream); upstream != config.upstreams.end()) {
      for (const auto& [name, value] : upstream->second.headers) request.set(name, value);
    }
    open =
        co_await Forward(gateway, stream, *runtime, *route, std::move(request), context, keep_alive, started, outcome);
  }
  const unsigned status = outcome.status;
  (status < 300 ? route_metrics.status_2xx : status < 500 ? route_metrics.status_4xx : route_metrics.status_5xx)++;
  if (outcome.tokens) route_metrics.tokens += static_cast<uint64_t>(std::max<int64_t>(0, *outcome.tokens));
  if (outcome.streamed) ++route_metrics.streams;
  route_metrics.latency.Observe(std::chrono::duration<double>(Clock::now() - started).count());
  if (outcome.first_byte_ms) route_metrics.time_to_first_byte.Observe(*outcome.first_byte_ms / 1000);
  gateway.Audit(config, context, target, outcome, started);
  co_return open && !outcome.client_gone;
}

}  // namespace

template <class Stream>
asio::awaitable<void> ServeClient(Gateway& gateway, Stream stream) {
  beast::flat_buffer buffer;
  // Reads are bounded by one deadline per connection, enforced by its loop's single timer, instead of the
  // stream's expiry (a timer armed and cancelled around every read). The TLS handshake's expiry goes.
  SocketDeadline deadline(stream.get_executor());
  Lowest(stream).expires_never();
  for (;;) {
    const auto runtime = gateway.Snapshot();
    const GatewayConfig& config = runtime->config;
    beast::error_code error;
    // Idle keep-alive connections wait up to idle_timeout for a first byte; from then on the whole
    // request must arrive within header_timeout, which is what stops slow-loris clients.
    if (buffer.size() == 0) {
      deadline.Arm(Lowest(stream).socket(), config.idle_timeout);
      const size_t n = co_await stream.async_read_some(buffer.prepare(16384), redirect_error(use_awaitable, error));
      if (error) break;
      buffer.commit(n);
    }
    deadline.Arm(Lowest(stream).socket(), config.header_timeout);
    http::request_parser<http::string_body> parser;
    ConfigureRequestParser(parser, config.max_request_bytes);
    ParseBuffered(parser, buffer, error);
    if (!error && !parser.is_header_done()) co_await ReadUntil(stream, buffer, parser, true, &deadline, error);
    if (!error && parser.get()[http::field::expect] == "100-continue" && !parser.is_done()) {
      http::response<http::empty_body> go_on{http::status::continue_, 11};
      co_await http::async_write(stream, go_on, redirect_error(use_awaitable, error));
    }
    if (!error && !parser.is_done()) co_await ReadUntil(stream, buffer, parser, false, &deadline, error);
    deadline.Disarm();
    if (!error) CheckRequestFraming(parser.get(), error);
    if (error == http::error::end_of_stream || error == asio::error::connection_reset || error == asio::error::eof)
      break;
    if (error) {
      const bool too_large = error == http::error::body_limit;
      // See Forward (forward.cpp) for why an expiry may end a read as operation_aborted.
      const bool timeout = error == beast::error::timeout || error == asio::error::operation_aborted;
      const unsigned status = too_large ? 413 : timeout ? 408 : 400;
      const std::string type = too_large ? "request_too_large" : timeout ? "request_timeout" : "bad_request";
      auto res = JsonError(status, type,
                           too_large ? "the request body exceeds " + std::to_string(config.max_request_bytes) + " bytes"
                           : timeout ? "the request did not arrive in time"
                                     : error.message(),
                           11);
      res.keep_alive(false);
      // Requests refused before they were whole are audited too: they are often the interesting ones.
      RequestContext refused;
      refused.request_id = NewRequestId();
      if (!refused.request_id.empty()) res.set(kRequestIdField, refused.request_id);
      refused.verdicts[kHttpVerdict] = FilterVerdict::Block(type);
      gateway.metrics().CountBlock(kHttpVerdict, type);
      Outcome outcome;
      outcome.status = status;
      if (gateway.Audited(config)) outcome.response_sha256 = Sha256Hex(res.body());
      gateway.Audit(config, refused, std::string(parser.get().target()), outcome, Clock::now());
      Lowest(stream).expires_after(std::chrono::seconds(5));
      beast::error_code ignored;
      co_await http::async_write(stream, res, redirect_error(use_awaitable, ignored));
      break;
    }
    auto request = parser.release();
    const bool keep_alive = request.keep_alive() && !gateway.draining();
    const bool open = co_await Handle(gateway, stream, std::move(request), keep_alive, runtime);
    if (!open || !keep_alive || gateway.draining()) break;
  }
  beast::error_code ignored;
  Lowest(stream).socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
}

template asio::awaitable<void> ServeClient<beast::tcp_stream>(Gateway&, beast::tcp_stream);
template asio::awaitable<void> ServeClient<TlsStream>(Gateway&, TlsStream);

}  // namespace modelguard::gateway
