// Request path: read (idle, then header+body timeouts; body limit; 100-continue) -> builtin endpoints ->
// route match -> body checks -> request filters -> upstream target (pooled connection, failover before
// anything was sent) -> buffered answer through the response filters, or a server-sent-event stream cut
// into events that pass the stream filters one by one -> client -> audit event. Each client connection is
// one coroutine; the configuration is an immutable snapshot swapped atomically on reload, so a request
// runs start to end on the configuration it started with.
// GCC 12 reports boost::optional inside Beast's parser as maybe-uninitialized at -O2 (a known false
// positive of the optional's storage union); nothing of ours is involved.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <utility>  // before asio: Boost 1.74 awaitable.hpp uses std::exchange without it

#include <openssl/crypto.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <thread>

#include "modelguard/gateway/audit.h"
#include "modelguard/gateway/gateway.h"
#include "src/gateway/digest.h"
#include "src/gateway/log.h"
#include "src/gateway/metrics.h"
#include "src/gateway/openai.h"
#include "src/gateway/sse.h"
#include "src/gateway/upstream.h"

namespace modelguard::gateway {
namespace {

namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using asio::redirect_error;
using asio::use_awaitable;

struct Runtime {
  GatewayConfig config;
  std::map<std::string, std::shared_ptr<UpstreamState>> upstreams;
  std::vector<RouteMetrics*> route_metrics;  // parallel to config.routes: no lookup on the request path
};

Result<std::shared_ptr<const Runtime>> MakeRuntime(const GatewayConfig& config, Metrics& metrics) {
  auto runtime = std::make_shared<Runtime>();
  runtime->config = config;
  for (const auto& route : config.routes) runtime->route_metrics.push_back(&metrics.Route(route.name));
  for (const auto& [name, upstream] : config.upstreams) {
    auto state = MakeUpstreamState(upstream);
    if (!state) return state.error();
    runtime->upstreams[name] = *state;
  }
  return std::shared_ptr<const Runtime>(std::move(runtime));
}

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

std::string ErrorBody(const std::string& type, const std::string& message) {
  // OpenAI-compatible error body, so SDKs surface the message.
  return nlohmann::json{{"error", {{"message", message}, {"type", type}, {"code", type}}}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

http::response<http::string_body> JsonResponse(unsigned status, std::string body, unsigned version) {
  http::response<http::string_body> res{static_cast<http::status>(status), version};
  res.set(http::field::content_type, "application/json");
  res.set(http::field::server, "modelguard");
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

http::response<http::string_body> JsonError(unsigned status, const std::string& type, const std::string& message,
                                            unsigned version) {
  return JsonResponse(status, ErrorBody(type, message), version);
}

constexpr http::field kHopByHop[] = {
    http::field::connection, http::field::keep_alive, http::field::proxy_authorization, http::field::proxy_authenticate,
    http::field::te,         http::field::trailer,    http::field::transfer_encoding,   http::field::upgrade};

template <class Stream>
beast::tcp_stream& Lowest(Stream& stream) {
  return beast::get_lowest_layer(stream);
}

// Writes through either kind of upstream connection.
template <class S, class Message>
asio::awaitable<void> WriteMessage(S& stream, Message& message, beast::error_code& error) {
  co_await http::async_write(stream, message, redirect_error(use_awaitable, error));
}
template <class S, class Parser>
asio::awaitable<void> ReadHeader(S& stream, beast::flat_buffer& buffer, Parser& parser, beast::error_code& error) {
  co_await http::async_read_header(stream, buffer, parser, redirect_error(use_awaitable, error));
}
template <class S, class Parser>
asio::awaitable<void> ReadAll(S& stream, beast::flat_buffer& buffer, Parser& parser, beast::error_code& error) {
  co_await http::async_read(stream, buffer, parser, redirect_error(use_awaitable, error));
}
// Returns as soon as some body bytes arrived: what streams need (async_read would wait for a full buffer).
template <class S, class Parser>
asio::awaitable<void> ReadSome(S& stream, beast::flat_buffer& buffer, Parser& parser, beast::error_code& error) {
  co_await http::async_read_some(stream, buffer, parser, redirect_error(use_awaitable, error));
}
bool HopByHop(http::field name) {
  for (const auto field : kHopByHop) {
    if (field == name) return true;
  }
  return false;
}

// Proxied messages are written by hand: their head as one string, then the body, in one gathered write.
// Beast's serializer produces the same bytes but walks nested buffer sequences piece by piece, and
// erasing hop-by-hop fields from a parsed message one by one costs a tree search each; together they
// cost more than the rest of the proxy's work for a small request. The head is rebuilt as it is written
// instead: hop-by-hop fields, Host and the framing fields are left out, then set for the next hop.
void AppendText(std::string& out, beast::string_view text) { out.append(text.data(), text.size()); }
void AppendField(std::string& out, beast::string_view name, beast::string_view value) {
  AppendText(out, name), out += ": ", AppendText(out, value), out += "\r\n";
}

// To the upstream: always HTTP/1.1 and keep-alive (its default, so no Connection field), Host for the
// target, and the body's length as Beast's prepare_payload would frame it. Expect is dropped: the body is
// already here, and a 100 Continue from the upstream would be taken for its answer.
std::string UpstreamRequestHead(const http::request<http::string_body>& request, beast::string_view host) {
  std::string head;
  head.reserve(512);
  AppendText(head, request.method_string()), head += ' ', AppendText(head, request.target()), head += " HTTP/1.1\r\n";
  for (const auto& field : request) {
    const auto name = field.name();
    if (HopByHop(name) || name == http::field::host || name == http::field::content_length ||
        name == http::field::expect)
      continue;
    AppendField(head, field.name_string(), field.value());
  }
  AppendField(head, "Host", host);
  const auto method = request.method();
  if (!request.body().empty() || method == http::verb::post || method == http::verb::put ||
      method == http::verb::options) {
    AppendField(head, "Content-Length", std::to_string(request.body().size()));
  }
  head += "\r\n";
  return head;
}

// To the client, in its HTTP version: Content-Length for the (possibly filtered) body, except on answers
// that never have one, and Connection only where the version's default is not what happens. An answer
// to HEAD has no body; it keeps the length the message states (the upstream's, or our own body's).
std::string ClientResponseHead(const http::response<http::string_body>& response, bool keep_alive, bool head_request,
                               bool& with_body) {
  const unsigned status = response.result_int();
  const bool bodiless_status = status < 200 || status == 204 || status == 304;
  with_body = !bodiless_status && !head_request;
  const bool stated_length =
      head_request && !bodiless_status && response.find(http::field::content_length) != response.end();
  const bool http10 = response.version() == 10;
  std::string head;
  head.reserve(512);
  head += http10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  head += std::to_string(status), head += ' ', AppendText(head, response.reason()), head += "\r\n";
  for (const auto& field : response) {
    const auto name = field.name();
    if (HopByHop(name) || (name == http::field::content_length && !stated_length)) continue;
    AppendField(head, field.name_string(), field.value());
  }
  if (!bodiless_status && !stated_length) AppendField(head, "Content-Length", std::to_string(response.body().size()));
  if (http10 && keep_alive) AppendField(head, "Connection", "keep-alive");
  if (!http10 && !keep_alive) AppendField(head, "Connection", "close");
  head += "\r\n";
  return head;
}

template <class S>
asio::awaitable<void> WriteHeadAndBody(S& stream, std::string& head, const std::string& body,
                                       beast::error_code& error) {
  if constexpr (std::is_same_v<S, TlsStream>) {
    // Beast's TLS stream loses the rest of a two-buffer write once the first TLS record is full (seen with
    // bodies over 16 KiB), so TLS gets one contiguous buffer; encryption copies the bytes anyway.
    head += body;
    co_await asio::async_write(stream, asio::buffer(head), redirect_error(use_awaitable, error));
  } else {
    const std::array<asio::const_buffer, 2> buffers{asio::buffer(head), asio::buffer(body)};
    co_await asio::async_write(stream, buffers, redirect_error(use_awaitable, error));
  }
}
asio::awaitable<void> WriteRequest(UpstreamConnection& c, const http::request<http::string_body>& request,
                                   beast::string_view host, beast::error_code& e) {
  std::string head = UpstreamRequestHead(request, host);
  if (c.tls)
    co_await WriteHeadAndBody(*c.tls, head, request.body(), e);
  else
    co_await WriteHeadAndBody(*c.tcp, head, request.body(), e);
}
template <class S>
asio::awaitable<void> WriteResponse(S& stream, const http::response<http::string_body>& response, bool keep_alive,
                                    bool head_request, beast::error_code& e) {
  bool with_body = true;
  std::string head = ClientResponseHead(response, keep_alive, head_request, with_body);
  static const std::string kNothing;
  co_await WriteHeadAndBody(stream, head, with_body ? response.body() : kNothing, e);
}
template <class Message>
asio::awaitable<void> Write(UpstreamConnection& c, Message& m, beast::error_code& e) {
  if (c.tls)
    co_await WriteMessage(*c.tls, m, e);
  else
    co_await WriteMessage(*c.tcp, m, e);
}
template <class Parser>
asio::awaitable<void> ReadHead(UpstreamConnection& c, beast::flat_buffer& b, Parser& p, beast::error_code& e) {
  if (c.tls)
    co_await ReadHeader(*c.tls, b, p, e);
  else
    co_await ReadHeader(*c.tcp, b, p, e);
}
template <class Parser>
asio::awaitable<void> Read(UpstreamConnection& c, beast::flat_buffer& b, Parser& p, beast::error_code& e) {
  if (c.tls)
    co_await ReadAll(*c.tls, b, p, e);
  else
    co_await ReadAll(*c.tcp, b, p, e);
}
template <class Parser>
asio::awaitable<void> ReadPart(UpstreamConnection& c, beast::flat_buffer& b, Parser& p, beast::error_code& e) {
  if (c.tls)
    co_await ReadSome(*c.tls, b, p, e);
  else
    co_await ReadSome(*c.tcp, b, p, e);
}

// Feeds what is already buffered to the parser without another trip through the event loop: a request or
// answer usually arrives in one read, and each asynchronous operation that completes at once still costs a
// post. Leaves `error` set only for malformed input; need_more means "read on".
template <class Parser>
void ParseBuffered(Parser& parser, beast::flat_buffer& buffer, beast::error_code& error) {
  while (buffer.size() > 0 && !parser.is_done()) {
    const size_t used = parser.put(buffer.data(), error);
    buffer.consume(used);
    if (error == http::error::need_more) {
      error = {};
      return;
    }
    if (error || used == 0) return;
  }
}

// What happened to one proxied request, for metrics and the audit event.
struct Outcome {
  unsigned status = 0;
  std::string response_sha256;
  std::optional<int64_t> tokens;
  std::optional<double> first_byte_ms;
  std::string target;  // the upstream target that answered
  bool streamed = false;
  bool client_gone = false;
};

class Gateway {
 public:
  Gateway(std::shared_ptr<const Runtime> runtime, std::unique_ptr<AuditSink> audit, std::unique_ptr<Metrics> metrics)
      : runtime_(std::move(runtime)), audit_(std::move(audit)), metrics_(std::move(metrics)) {}

  // A plain mutex: libstdc++ 12's atomic<shared_ptr> wakes waiters through the kernel on every store/load.
  std::shared_ptr<const Runtime> Snapshot() const {
    std::lock_guard lock(runtime_mutex_);
    return runtime_;
  }
  void Replace(std::shared_ptr<const Runtime> runtime) {
    std::lock_guard lock(runtime_mutex_);
    runtime_.swap(runtime);
  }
  Metrics& metrics() { return *metrics_; }
  bool draining() const { return draining_.load(); }
  void StartDrain() { draining_ = true; }

  template <class Stream>
  asio::awaitable<void> Session(Stream stream) {
    beast::flat_buffer buffer;
    for (;;) {
      const auto runtime = Snapshot();
      const GatewayConfig& config = runtime->config;
      beast::error_code error;
      // Idle keep-alive connections wait up to idle_timeout for a first byte; from then on the whole
      // request must arrive within header_timeout, which is what stops slow-loris clients.
      if (buffer.size() == 0) {
        Lowest(stream).expires_after(config.idle_timeout);
        const size_t n = co_await stream.async_read_some(buffer.prepare(16384), redirect_error(use_awaitable, error));
        if (error) break;
        buffer.commit(n);
      }
      Lowest(stream).expires_after(config.header_timeout);
      http::request_parser<http::string_body> parser;
      parser.header_limit(32 * 1024);
      parser.body_limit(config.max_request_bytes);
      parser.eager(true);
      ParseBuffered(parser, buffer, error);
      if (!error && !parser.is_header_done())
        co_await http::async_read_header(stream, buffer, parser, redirect_error(use_awaitable, error));
      if (!error && parser.get()[http::field::expect] == "100-continue" && !parser.is_done()) {
        http::response<http::empty_body> go_on{http::status::continue_, 11};
        co_await http::async_write(stream, go_on, redirect_error(use_awaitable, error));
      }
      if (!error && !parser.is_done())
        co_await http::async_read(stream, buffer, parser, redirect_error(use_awaitable, error));
      if (error == http::error::end_of_stream || error == asio::error::connection_reset || error == asio::error::eof)
        break;
      if (error) {
        const bool too_large = error == http::error::body_limit;
        const bool timeout = error == beast::error::timeout || error == asio::error::operation_aborted;  // see Forward
        const unsigned status = too_large ? 413 : timeout ? 408 : 400;
        const std::string type = too_large ? "request_too_large" : timeout ? "request_timeout" : "bad_request";
        auto res =
            JsonError(status, type,
                      too_large ? "the request body exceeds " + std::to_string(config.max_request_bytes) + " bytes"
                      : timeout ? "the request did not arrive in time"
                                : error.message(),
                      11);
        res.keep_alive(false);
        // Requests refused before they were whole are audited too: they are often the interesting ones.
        RequestContext refused;
        refused.verdicts["http"] = "block:" + type;
        metrics_->CountBlock("http", type);
        Outcome outcome;
        outcome.status = status;
        if (Audited(config)) outcome.response_sha256 = Sha256Hex(res.body());
        Audit(config, refused, std::string(parser.get().target()), outcome, Clock::now());
        Lowest(stream).expires_after(std::chrono::seconds(5));
        beast::error_code ignored;
        co_await http::async_write(stream, res, redirect_error(use_awaitable, ignored));
        break;
      }
      auto request = parser.release();
      const bool keep_alive = request.keep_alive() && !draining();
      const bool open = co_await Handle(stream, std::move(request), keep_alive, runtime);
      if (!open || !keep_alive || draining()) break;
    }
    beast::error_code ignored;
    Lowest(stream).socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  asio::awaitable<void> HealthChecks(std::weak_ptr<UpstreamState> weak) {
    auto executor = co_await asio::this_coro::executor;
    asio::steady_timer timer(executor);
    for (;;) {
      auto upstream = weak.lock();
      if (!upstream || stopping_) co_return;
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
        Record(*upstream, *target, status >= 200 && status < 300,
               status ? "health status " + std::to_string(status) : error.message());
      }
      const auto interval = upstream->config.health_interval;
      upstream.reset();  // a reload may retire this upstream while we sleep
      timer.expires_after(interval);
      beast::error_code ignored;
      co_await timer.async_wait(redirect_error(use_awaitable, ignored));
    }
  }

  void Stop() { stopping_ = true; }

  // Response digests are only for audit events: nothing else pays for them.
  bool Audited(const GatewayConfig& config) const { return audit_ != nullptr || config.access_log; }

 private:
  // Called on every proxied request: only a change of health takes a lock (the metrics') or logs.
  void Record(UpstreamState& upstream, TargetState& target, bool ok, const std::string& why) {
    if (ok) {
      if (target.failures.load(std::memory_order_relaxed) != 0) target.failures = 0;
      if (!target.healthy.load(std::memory_order_relaxed) && !target.healthy.exchange(true)) {
        LogEvent("info", "upstream target healthy again",
                 {{"upstream", upstream.config.name}, {"target", target.label}});
        metrics_->SetTargetHealth(upstream.config.name, target.label, true);
      }
    } else if (++target.failures >= upstream.config.unhealthy_after && target.healthy.exchange(false)) {
      LogEvent("warn", "upstream target unhealthy",
               {{"upstream", upstream.config.name}, {"target", target.label}, {"reason", why}});
      metrics_->SetTargetHealth(upstream.config.name, target.label, false);
    }
  }

  template <class Stream>
  asio::awaitable<bool> Send(Stream& stream, http::response<http::string_body>& response, bool keep_alive,
                             const GatewayConfig& config, bool head_request) {
    Lowest(stream).expires_after(config.upstream_timeout);
    beast::error_code error;
    co_await WriteResponse(stream, response, keep_alive, head_request, error);
    co_return !error;
  }

  template <class Stream>
  asio::awaitable<bool> Handle(Stream& stream, http::request<http::string_body> request, bool keep_alive,
                               const std::shared_ptr<const Runtime>& runtime) {
    const auto started = Clock::now();
    const GatewayConfig& config = runtime->config;
    const std::string target(request.target());
    const unsigned version = request.version();
    const bool head_request = request.method() == http::verb::head;
    if (target == "/healthz") {
      auto res = JsonResponse(200, "{\"status\":\"ok\"}", version);
      co_return co_await Send(stream, res, keep_alive, config, head_request);
    }
    if (target == "/readyz") {
      // Not ready while draining, or while a route has no healthy upstream target.
      std::string problem = draining() ? "draining" : "";
      for (const auto& [name, upstream] : runtime->upstreams) {
        if (problem.empty() && !upstream->AnyHealthy()) problem = "upstream '" + name + "' has no healthy target";
      }
      auto res = problem.empty()
                     ? JsonResponse(200, "{\"status\":\"ready\"}", version)
                     : JsonResponse(503, nlohmann::json{{"status", "not ready"}, {"reason", problem}}.dump(), version);
      co_return co_await Send(stream, res, keep_alive, config, head_request);
    }
    if (target == "/metrics") {
      http::response<http::string_body> res{http::status::ok, version};
      res.set(http::field::content_type, "text/plain; version=0.0.4");
      res.body() = metrics_->Prometheus();
      res.prepare_payload();
      co_return co_await Send(stream, res, keep_alive, config, head_request);
    }
    ++metrics_->in_flight;
    struct InFlight {
      Metrics& m;
      ~InFlight() { --m.in_flight; }
    } in_flight{*metrics_};

    RequestContext context;
    context.method = std::string(request.method_string());
    context.target = target;
    const Route* route = Match(config.routes, target);
    // Filters read headers and body from the context, and the audit event hashes the body; a request that
    // needs neither keeps its own and nothing is copied.
    const bool filtered = route && !route->filters.empty();
    if (filtered) {
      for (const auto& field : request) {
        std::string name(field.name_string());
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        context.headers[name] = std::string(field.value());
      }
    }
    if (filtered || Audited(config)) context.body = request.body();
    const std::string_view body =
        filtered || Audited(config) ? std::string_view(context.body) : std::string_view(request.body());
    Outcome outcome;
    bool open = true;
    auto answer_with = [&](unsigned status, const std::string& type, const std::string& message,
                           const std::map<std::string, std::string>& headers) -> http::response<http::string_body> {
      auto res = JsonError(status, type, message, version);
      for (const auto& [name, value] : headers) res.set(name, value);
      outcome.status = status;
      if (Audited(config)) outcome.response_sha256 = Sha256Hex(res.body());
      return res;
    };
    if (request.method() == http::verb::trace || request.method() == http::verb::connect) {
      // TRACE echoes what reached the server (cross-site tracing); CONNECT would make this a tunnel.
      metrics_->CountBlock("http", "method_not_allowed");
      context.verdicts["http"] = "block:method_not_allowed";
      auto res = answer_with(405, "method_not_allowed", std::string(request.method_string()) + " is not proxied", {});
      open = co_await Send(stream, res, keep_alive, config, head_request);
      Audit(config, context, target, outcome, started);
      co_return open;
    }
    if (!route) {
      auto res = answer_with(404, "not_found", "no route for " + target.substr(0, target.find('?')), {});
      open = co_await Send(stream, res, keep_alive, config, head_request);
      Audit(config, context, target, outcome, started);
      co_return open;
    }
    context.route = route->name;
    RouteMetrics& route_metrics = *runtime->route_metrics[static_cast<size_t>(route - config.routes.data())];
    std::optional<Answer> refusal;
    if (route->type != RouteType::kRaw && !body.empty()) {
      // Strict JSON (including UTF-8) before anything else sees the body: filters and the upstream then
      // agree on what the request says. A route without filters only needs it checked, not built.
      RequestBodyFacts facts;
      if (!filtered) {
        facts = ScanRequestBody(body);
      } else {
        context.json = nlohmann::json::parse(body, nullptr, false);
        // nlohmann takes a NUL byte for the end of the text and ignores what follows; the upstream would
        // not. No valid JSON text holds a raw NUL (not in strings, not as whitespace), so it is refused.
        facts.valid = !context.json.is_discarded() && body.find('\0') == std::string_view::npos;
        facts.object = context.json.is_object();
        if (facts.object) {
          if (auto m = context.json.find("model"); m != context.json.end() && m->is_string())
            facts.model = m->get<std::string>();
          if (auto s = context.json.find("stream"); s != context.json.end() && s->is_boolean())
            facts.stream = s->get<bool>();
        }
      }
      if (!facts.valid) {
        refusal = Answer{400, "invalid_request_error", "the request body is not valid JSON (UTF-8)", {}};
      } else if (route->type == RouteType::kOpenAi) {
        if (!facts.object) {
          refusal = Answer{400, "invalid_request_error", "the request body must be a JSON object", {}};
        } else {
          context.model = std::move(facts.model);
          context.stream = facts.stream;
        }
      }
      if (refusal) context.verdicts["http"] = "block:invalid_request_error";
    }
    size_t ran = 0;
    while (!refusal && ran < route->filters.size()) refusal = route->filters[ran++]->OnRequest(context);
    if (refusal) {
      const std::string reason = refusal->error_type;
      std::string by = "http";
      for (const auto& [filter, verdict] : context.verdicts) {
        if (verdict == "block:" + reason) by = filter;
      }
      metrics_->CountBlock(by, reason);
      auto res = answer_with(refusal->status, refusal->error_type, refusal->message, refusal->headers);
      // Filters that already reserved something (budgets, token rates) release it.
      ResponseContext refused{res.result_int(), res.body(), false, std::nullopt};
      for (size_t i = 0; i < ran; ++i) route->filters[i]->OnResponse(context, refused);
      outcome.first_byte_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
      open = co_await Send(stream, res, keep_alive, config, head_request);
    } else {
      if (context.body_changed) request.body() = context.body;
      open = co_await Forward(stream, *runtime, *route, std::move(request), context, keep_alive, started, outcome);
    }
    const unsigned status = outcome.status;
    (status < 300 ? route_metrics.status_2xx : status < 500 ? route_metrics.status_4xx : route_metrics.status_5xx)++;
    if (outcome.tokens) route_metrics.tokens += static_cast<uint64_t>(std::max<int64_t>(0, *outcome.tokens));
    if (outcome.streamed) ++route_metrics.streams;
    route_metrics.latency.Observe(std::chrono::duration<double>(Clock::now() - started).count());
    if (outcome.first_byte_ms) route_metrics.time_to_first_byte.Observe(*outcome.first_byte_ms / 1000);
    Audit(config, context, target, outcome, started);
    co_return open && !outcome.client_gone;
  }

  // Sends the request to a target of the route's upstream: a pooled connection first (one retry on a fresh
  // one if the pooled one turns out stale), then the next target when a connection cannot even be made.
  // Once the request was written to a fresh connection it is never replayed: the model may have run it.
  template <class Stream>
  asio::awaitable<bool> Forward(Stream& client, const Runtime& runtime, const Route& route,
                                http::request<http::string_body> request, RequestContext& context, bool keep_alive,
                                Clock::time_point started, Outcome& outcome) {
    const GatewayConfig& config = runtime.config;
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
            metrics_->CountUpstreamError(upstream.config.name, "connect");
            Record(upstream, *target, false, error.message());
            break;  // next target
          }
        }
        connection->lowest().expires_after(config.upstream_timeout);
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
        // Beast reports its own expiry as `timeout`, but when the expiry races the read's completion on
        // another thread the read ends as `operation_aborted`; nothing else cancels upstream operations.
        const bool timed_out = error == beast::error::timeout || error == asio::error::operation_aborted;
        failure = target->label + ": " +
                  (timed_out ? "no answer within " + std::to_string(config.upstream_timeout.count()) + " ms (timeout)"
                             : error.message());
        // A pooled connection the upstream had closed fails at once (reset, end of stream): replaying on a
        // fresh one is safe. A timeout means the upstream got the request and is slow: never replayed.
        const bool stale = reused && !timed_out;
        if (!stale) {
          must_not_replay = true;
          metrics_->CountUpstreamError(upstream.config.name, timed_out ? "timeout" : "read");
        }
      }
      if (answered || must_not_replay) break;
    }
    if (!answered) {
      const bool timeout =
          failure.find("timed out") != std::string::npos || failure.find("timeout") != std::string::npos;
      auto res = JsonError(timeout ? 504 : 502, "upstream_error", "the model endpoint did not answer (" + failure + ")",
                           version);
      co_return co_await Finish(client, res, keep_alive, config, route, context, outcome, started);
    }
    Record(upstream, *answered, true, "");
    outcome.target = answered->label;
    const auto content_type = head->get()[http::field::content_type];
    const bool event_stream = content_type.substr(0, 17) == "text/event-stream";
    if (event_stream) {
      co_return co_await Relay(client, upstream, *answered, std::move(connection), buffer, *head, runtime, route,
                               context, request.body(), version, keep_alive, started, outcome);
    }
    http::response_parser<http::string_body> parser(std::move(*head));
    parser.body_limit(config.max_response_bytes);
    parser.eager(true);
    beast::error_code error;
    ParseBuffered(parser, buffer, error);
    if (!error && !parser.is_done()) co_await Read(*connection, buffer, parser, error);
    if (error) {
      metrics_->CountUpstreamError(upstream.config.name, error == http::error::body_limit ? "too_large" : "read");
      auto res =
          error == http::error::body_limit
              ? JsonError(502, "upstream_error",
                          "the model's answer exceeds " + std::to_string(config.max_response_bytes) + " bytes", version)
              : JsonError(502, "upstream_error", "the model endpoint broke off its answer: " + error.message(),
                          version);
      co_return co_await Finish(client, res, keep_alive, config, route, context, outcome, started);
    }
    auto response = parser.release();
    if (response.keep_alive() && buffer.size() == 0) {
      connection->lowest().expires_never();
      upstream.pool.Give(answered->label, std::move(connection));
    }
    response.version(version);
    co_return co_await Finish(client, response, keep_alive, config, route, context, outcome, started);
  }

  // A whole (non-streamed) answer: response filters, then the client.
  template <class Stream>
  asio::awaitable<bool> Finish(Stream& client, http::response<http::string_body>& response, bool keep_alive,
                               const GatewayConfig& config, const Route& route, RequestContext& context,
                               Outcome& outcome, Clock::time_point started) {
    // The body moves through the filters and back: no copy of a possibly large answer per request.
    ResponseContext out{response.result_int(), std::move(response.body()), false, std::nullopt};
    if (out.status < 300 && route.type == RouteType::kOpenAi) out.total_tokens = ScanUsageTotalTokens(out.body);
    for (const auto& filter : route.filters) filter->OnResponse(context, out);
    response.result(out.status);  // a response filter may replace the answer (a leak stopped: 403)
    response.body() = std::move(out.body);
    outcome.status = response.result_int();
    outcome.tokens = out.total_tokens;
    if (Audited(config)) outcome.response_sha256 = Sha256Hex(response.body());
    outcome.first_byte_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    const bool sent = co_await Send(client, response, keep_alive, config, context.method == "HEAD");
    outcome.client_gone = !sent;
    co_return sent;
  }

  // Server-sent events: forwarded as they come, each whole event through the route's stream filters.
  template <class Client>
  asio::awaitable<bool> Relay(Client& client, UpstreamState& upstream, TargetState& target,
                              std::unique_ptr<UpstreamConnection> connection, beast::flat_buffer& buffer,
                              http::response_parser<http::empty_body>& head, const Runtime& runtime, const Route& route,
                              RequestContext& context, std::string_view request_body, unsigned version, bool keep_alive,
                              Clock::time_point started, Outcome& outcome) {
    const GatewayConfig& config = runtime.config;
    outcome.streamed = true;
    outcome.status = head.get().result_int();
    http::response<http::empty_body> response_head{head.get().result(), version};
    for (const auto& field : head.get()) response_head.set(field.name_string(), field.value());
    for (auto field : kHopByHop) response_head.erase(field);
    response_head.erase(http::field::content_length);
    // HTTP/1.0 clients get the stream delimited by the connection's end instead of chunks.
    const bool chunked = version == 11;
    if (chunked) response_head.chunked(true);
    response_head.keep_alive(chunked && keep_alive);
    const bool audited = Audited(config);
    Sha256Stream digest;
    beast::error_code client_error;
    Lowest(client).expires_after(config.upstream_timeout);
    http::response_serializer<http::empty_body> serializer(response_head);
    co_await http::async_write_header(client, serializer, redirect_error(use_awaitable, client_error));

    auto send = [&](const std::string& bytes) -> asio::awaitable<void> {
      if (bytes.empty() || client_error) co_return;
      if (!outcome.first_byte_ms)
        outcome.first_byte_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
      if (audited) digest.Update(bytes);
      Lowest(client).expires_after(config.upstream_timeout);
      if (chunked) {
        co_await asio::async_write(client, http::make_chunk(asio::buffer(bytes)),
                                   redirect_error(use_awaitable, client_error));
      } else {
        co_await asio::async_write(client, asio::buffer(bytes), redirect_error(use_awaitable, client_error));
      }
    };

    http::response_parser<http::buffer_body> parser(std::move(head));
    parser.body_limit(config.max_response_bytes);
    SseSplitter splitter(config.max_stream_event_bytes);
    std::vector<std::string> events;
    std::optional<int64_t> usage;
    size_t text_bytes = 0;
    std::string ended;  // why the stream stopped early, if it did
    std::vector<char> chunk(16384);
    while (!client_error && ended.empty() && !parser.is_done()) {
      parser.get().body().data = chunk.data();
      parser.get().body().size = chunk.size();
      beast::error_code error;
      connection->lowest().expires_after(config.upstream_timeout);
      co_await ReadPart(*connection, buffer, parser, error);
      if (error == http::error::need_buffer) error = {};
      const size_t got = chunk.size() - parser.get().body().size;
      events.clear();
      if (got > 0) {
        if (auto fed = splitter.Feed(std::string_view(chunk.data(), got), events); !fed) {
          ended = "upstream_error:" + fed.error().message;
        }
      }
      std::string out;
      for (auto& event : events) {
        bool has_data = false;
        StreamEvent stream_event{SseData(event, has_data)};
        if (!has_data) {
          out += event;
          continue;
        }
        if (stream_event.data != "[DONE]") {
          const auto json = nlohmann::json::parse(stream_event.data, nullptr, false);
          if (auto u = UsageTotalTokens(json)) usage = u;
          text_bytes += StreamedTextBytes(json);
        }
        const std::string original = stream_event.data;
        std::optional<Answer> stop;
        const char* stopped_by = "";
        for (const auto& filter : route.filters) {
          if ((stop = filter->OnStreamEvent(context, stream_event))) {
            stopped_by = filter->name();
            break;
          }
        }
        if (stop) {
          metrics_->CountBlock(stopped_by, stop->error_type);
          context.verdicts["stream"] = "block:" + stop->error_type;
          out += SseEvent(ErrorBody(stop->error_type, stop->message));
          ended = "blocked";
          break;
        }
        out += stream_event.data == original ? event : SseEvent(stream_event.data);
      }
      co_await send(out);
      if (error && ended.empty()) {
        const bool timeout = error == beast::error::timeout || error == asio::error::operation_aborted;  // see Forward
        metrics_->CountUpstreamError(upstream.config.name, timeout ? "stream_timeout" : "stream_broken");
        context.verdicts["upstream"] = timeout ? "error:stream_timeout" : "error:stream_broken";
        ended = "upstream";
        // Named, not a temporary inside co_await: GCC 12 destroys such temporaries twice.
        const std::string why = timeout ? "the model endpoint stopped sending (timeout)"
                                        : "the model endpoint broke off the stream: " + error.message();
        const std::string error_event = SseEvent(ErrorBody("upstream_error", why));
        co_await send(error_event);
      }
    }
    if (ended.rfind("upstream_error:", 0) == 0) {
      metrics_->CountUpstreamError(upstream.config.name, "stream_event_too_large");
      context.verdicts["upstream"] = "error:stream_event_too_large";
      const std::string error_event = SseEvent(ErrorBody("upstream_error", ended.substr(15)));
      co_await send(error_event);
    }
    if (!client_error && chunked) {
      co_await asio::async_write(client, http::make_chunk_last(), redirect_error(use_awaitable, client_error));
    }
    if (client_error) context.verdicts["client"] = "gone";
    // Only a stream that ended as HTTP says, with nothing left over, leaves a reusable connection.
    if (ended.empty() && !client_error && parser.is_done() && parser.keep_alive() && buffer.size() == 0) {
      connection->lowest().expires_never();
      upstream.pool.Give(target.label, std::move(connection));
    }
    if (!usage) {
      // No count from the upstream: estimate. Routes without filters never built the request document.
      const int64_t prompt = context.json.is_null() && !request_body.empty()
                                 ? EstimatePromptTokens(nlohmann::json::parse(request_body, nullptr, false))
                                 : EstimatePromptTokens(context.json);
      usage = prompt + static_cast<int64_t>((text_bytes + 3) / 4);
    }
    outcome.tokens = usage;
    if (audited) outcome.response_sha256 = digest.HexDigest();
    outcome.client_gone = static_cast<bool>(client_error);
    ResponseContext settled{outcome.status, "", true, outcome.tokens};
    for (const auto& filter : route.filters) filter->OnResponse(context, settled);
    co_return !client_error && chunked && ended.empty();
  }

  void Audit(const GatewayConfig& config, const RequestContext& context, const std::string& target,
             const Outcome& outcome, Clock::time_point started) {
    for (const auto& [filter, verdict] : context.verdicts) {
      if (verdict.rfind("flag:", 0) == 0) metrics_->CountFlag(filter, verdict.substr(5));
    }
    if (!audit_ && !config.access_log) return;
    nlohmann::ordered_json event;
    event["time"] =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    event["key_id"] = context.key_id;
    event["route"] = context.route;
    event["method"] = context.method;
    event["path"] = target.substr(0, target.find('?'));
    if (!context.model.empty()) event["model"] = context.model;
    event["status"] = outcome.status;
    event["latency_ms"] = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    if (outcome.first_byte_ms) event["first_byte_ms"] = *outcome.first_byte_ms;
    if (outcome.streamed) event["stream"] = true;
    if (outcome.tokens) event["tokens"] = *outcome.tokens;
    if (!outcome.target.empty()) event["upstream"] = outcome.target;
    event["verdicts"] = context.verdicts;
    // Digests, never the bodies: the audit trail proves what passed without holding prompts or secrets.
    event["request_sha256"] = Sha256Hex(context.body);
    event["response_sha256"] = outcome.response_sha256;
    if (config.access_log) LogEvent("info", "request", event);
    if (audit_) {
      if (auto written = audit_->Write(std::move(event)); !written)
        LogEvent("error", "audit write failed", {{"error", written.error().message}});
    }
  }

  mutable std::mutex runtime_mutex_;
  std::shared_ptr<const Runtime> runtime_;
  std::unique_ptr<AuditSink> audit_;
  std::unique_ptr<Metrics> metrics_;  // outlives snapshots: they point at its route entries
  std::atomic<bool> draining_{false}, stopping_{false};
};

// The admin API: keys (create, list, revoke) and reload, behind its own key.
class Admin {
 public:
  Admin(Gateway& gateway, std::function<std::string()> reload) : gateway_(gateway), reload_(std::move(reload)) {}

  asio::awaitable<void> Session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(64 * 1024);
      stream.expires_after(std::chrono::seconds(30));
      beast::error_code error;
      co_await http::async_read(stream, buffer, parser, redirect_error(use_awaitable, error));
      if (error) break;
      auto request = parser.release();
      auto response = Handle(request);
      response.keep_alive(request.keep_alive());
      co_await http::async_write(stream, response, redirect_error(use_awaitable, error));
      if (error || !request.keep_alive()) break;
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

 private:
  http::response<http::string_body> Handle(const http::request<http::string_body>& request) {
    const auto runtime = gateway_.Snapshot();
    const GatewayConfig& config = runtime->config;
    const unsigned version = request.version();
    const auto auth = request[http::field::authorization];
    if (auth.substr(0, 7) != "Bearer " ||
        CRYPTO_memcmp(HashKeyBytes(std::string_view(auth.data() + 7, auth.size() - 7)).data(),
                      config.admin_key_sha256.data(), 32) != 0) {
      return JsonError(401, "invalid_api_key", "the admin API needs the admin key", version);
    }
    const std::string path(request.target());
    KeyStore& keys = *config.environment.keys;
    if (path == "/admin/keys" && request.method() == http::verb::get) {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& record : keys.List()) list.push_back(ApiKeyRecordJson(record));
      return JsonResponse(200, nlohmann::json{{"keys", list}}.dump(), version);
    }
    if (path == "/admin/keys" && request.method() == http::verb::post) {
      auto created = keys.Create(nlohmann::json::parse(request.body(), nullptr, false));
      if (!created) return JsonError(400, "invalid_request_error", created.error().message, version);
      auto body = ApiKeyRecordJson(created->record);
      body["key"] = created->secret;  // the only time the secret is ever shown
      LogEvent("info", "admin created key", {{"id", created->record.id}, {"owner", created->record.owner}});
      return JsonResponse(201, body.dump(), version);
    }
    if (path.rfind("/admin/keys/", 0) == 0 && request.method() == http::verb::delete_) {
      const std::string id = path.substr(12);
      if (auto revoked = keys.Revoke(id); !revoked)
        return JsonError(404, "not_found", revoked.error().message, version);
      LogEvent("info", "admin revoked key", {{"id", id}});
      return JsonResponse(200, nlohmann::json{{"id", id}, {"revoked", true}}.dump(), version);
    }
    if (path == "/admin/reload" && request.method() == http::verb::post) {
      const std::string problem = reload_();
      if (!problem.empty()) return JsonError(400, "invalid_configuration", problem, version);
      return JsonResponse(200, "{\"reloaded\":true}", version);
    }
    return JsonError(404, "not_found",
                     "admin endpoints: GET/POST /admin/keys, DELETE /admin/keys/{id}, POST /admin/reload", version);
  }

  Gateway& gateway_;
  std::function<std::string()> reload_;
};

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
      if (!upstream->config.health_path.empty()) asio::co_spawn(io, gateway.HealthChecks(upstream), asio::detached);
    }
  };
  start_health_checks(*gateway.Snapshot());

  // Reload: a new snapshot for new requests; requests in flight finish on the one they started with.
  auto reload = [&]() -> std::string {
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
  Admin admin(gateway, reload);
  if (initial.admin_port || !initial.admin_host.empty()) {
    if (auto listening = Listen(admin_acceptor, initial.admin_host, initial.admin_port); !listening) return listening;
    asio::co_spawn(io,
                   AcceptLoop(
                       admin_acceptor, [&]() -> asio::io_context& { return io; },
                       [&](tcp::socket s) { asio::co_spawn(io, admin.Session(std::move(s)), asio::detached); }),
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
                     asio::co_spawn(loop, gateway.Session(beast::tcp_stream(std::move(socket))), asio::detached);
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
                         if (!error) co_await gateway.Session(std::move(stream));
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
