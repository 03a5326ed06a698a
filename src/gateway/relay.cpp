#include "src/gateway/relay.h"

#include "modelguard/core/hash.h"
#include "src/gateway/filter_chain.h"
#include "src/gateway/openai.h"
#include "src/gateway/sse.h"

namespace modelguard::gateway {

using asio::redirect_error;
using asio::use_awaitable;

template <class Client>
asio::awaitable<bool> RelayWhole(Gateway& gateway, Client& client, http::response<http::string_body>& response,
                                 bool keep_alive, const GatewayConfig& config, const Route& route,
                                 RequestContext& context, Outcome& outcome, Clock::time_point started) {
  // The body moves through the filters and back: no copy of a possibly large answer per request.
  ResponseContext out{response.result_int(), std::move(response.body()), false, std::nullopt};
  // Signals describe the upstream's answer as it came, before a response filter changes it; they are read
  // in the pass that looks for usage anyway, so the body is not read twice.
  Signals& signals = outcome.signals;
  const bool answered = signals.enabled && !outcome.target.empty() && out.status < 300;
  if (out.status < 300 && route.type == RouteType::kOpenAi) {
    out.total_tokens = answered ? ScanAnswerBody(out.body, signals.answer) : ScanUsageTotalTokens(out.body);
  }
  if (answered && route.type == RouteType::kJson) {
    signals.classifier = ReadClassifierAnswer(out.body, route.signals, signals.classes);
    ReadClassifierFeatures(context.json, context.body, route.signals, signals.classes);
  }
  if (auto failed = co_await RunResponseChain(route.filters, route.filters.size(), context, out)) {
    // Fail closed: an answer a response filter could not examine (a leak check that threw) is not passed on.
    // What the upstream reported using was settled above and stays charged.
    out.status = 500;
    out.body = ErrorBody("filter_failed", "the " + *failed + " filter failed");
    response.set(http::field::content_type, "application/json");
  }
  response.result(out.status);  // a response filter may replace the answer (a leak stopped: 403)
  for (const auto& [field, value] : out.headers) response.set(field, value);
  response.body() = std::move(out.body);
  outcome.status = response.result_int();
  outcome.tokens = out.total_tokens;
  if (gateway.Audited(config)) outcome.response_sha256 = Sha256Hex(response.body());
  outcome.first_byte_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  if (!context.request_id.empty()) response.set(kRequestIdField, context.request_id);
  const bool sent =
      co_await SendResponse(client, response, keep_alive, config.upstream_timeout, context.method == "HEAD");
  outcome.client_gone = !sent;
  co_return sent;
}

template <class Client>
asio::awaitable<bool> RelayStream(Gateway& gateway, Client& client, UpstreamState& upstream, TargetState& target,
                                  std::unique_ptr<UpstreamConnection> connection, beast::flat_buffer& buffer,
                                  http::response_parser<http::empty_body>& head, const Runtime& runtime,
                                  const Route& route, RequestContext& context, std::string_view request_body,
                                  unsigned version, bool keep_alive, Clock::time_point started, Outcome& outcome) {
  const GatewayConfig& config = runtime.config;
  Metrics& metrics = gateway.metrics();
  outcome.streamed = true;
  outcome.status = head.get().result_int();
  // HTTP/1.0 clients get the stream delimited by the connection's end instead of chunks.
  const bool chunked = version == 11;
  http::response<http::empty_body> response_head = StreamResponseHead(head.get(), version, keep_alive);
  if (!context.request_id.empty()) response_head.set(kRequestIdField, context.request_id);
  const bool audited = gateway.Audited(config);
  const bool signals = outcome.signals.enabled && outcome.signals.llm && outcome.status < 300;
  outcome.signals.answer.seen = signals;
  DigestStream digest;
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
        if (!route.filters.empty() && !SseOnlyMetadata(event)) {
          metrics.CountUpstreamError(upstream.config.name, "unreadable_event");
          context.verdicts["upstream"] = FilterVerdict::Error("unreadable_event");
          out += SseEvent(ErrorBody("upstream_error", "the model sent an event the route's filters cannot read"));
          ended = "blocked";
          break;
        }
        out += event;
        continue;
      }
      if (stream_event.data != "[DONE]") {
        const auto json = nlohmann::json::parse(stream_event.data, nullptr, false);
        if (auto u = UsageTotalTokens(json)) usage = u;
        text_bytes += StreamedTextBytes(json);
        if (signals) ObserveStreamEvent(json, outcome.signals.answer);
      }
      const std::string original = stream_event.data;
      // Named, not a temporary inside co_await: GCC 12 destroys such temporaries twice.
      const ChainVerdict stop = co_await RunStreamChainAsync(route.filters, context, stream_event);
      for (const auto& held : stream_event.prepend) out += SseEvent(held);
      if (stop) {
        metrics.CountBlock(stop.filter, stop.reason);
        out += SseEvent(ErrorBody(stop.reason, stop.answer->message));
        ended = "blocked";
        break;
      }
      if (stream_event.data.empty()) continue;  // held back by a filter
      out += stream_event.data == original ? event : SseEvent(stream_event.data);
    }
    co_await send(out);
    if (error && ended.empty()) {
      // Beast reports its own expiry as `timeout`, but an expiry racing the read's completion on another
      // thread ends the read as `operation_aborted`; nothing else cancels upstream operations.
      const bool timeout = error == beast::error::timeout || error == asio::error::operation_aborted;
      metrics.CountUpstreamError(upstream.config.name, timeout ? "stream_timeout" : "stream_broken");
      context.verdicts["upstream"] = FilterVerdict::Error(timeout ? "stream_timeout" : "stream_broken");
      ended = "upstream";
      // Named, not a temporary inside co_await: GCC 12 destroys such temporaries twice.
      const std::string why = timeout ? "the model endpoint stopped sending (timeout)"
                                      : "the model endpoint broke off the stream: " + error.message();
      const std::string error_event = SseEvent(ErrorBody("upstream_error", why));
      co_await send(error_event);
    }
  }
  if (ended.rfind("upstream_error:", 0) == 0) {
    metrics.CountUpstreamError(upstream.config.name, "stream_event_too_large");
    context.verdicts["upstream"] = FilterVerdict::Error("stream_event_too_large");
    const std::string error_event = SseEvent(ErrorBody("upstream_error", ended.substr(15)));
    co_await send(error_event);
  }
  if (!client_error && chunked) {
    co_await asio::async_write(client, http::make_chunk_last(), redirect_error(use_awaitable, client_error));
  }
  if (client_error) context.verdicts["client"] = FilterVerdict::Gone();
  Lowest(client).expires_never();  // as SendResponse (wire.h): the next read sets its own bound
  // Only a stream that ended as HTTP says, with nothing left over, leaves a reusable connection.
  if (ended.empty() && !client_error && parser.is_done() && parser.keep_alive() && buffer.size() == 0) {
    connection->lowest().expires_never();
    upstream.pool.Give(target.label, std::move(connection));
  }
  if (!usage) {
    // No count from the upstream: estimate. Routes without filters never built the request document.
    const int64_t prompt = context.prompt_tokens ? *context.prompt_tokens : ScanRequestBody(request_body).prompt_tokens;
    usage = prompt + static_cast<int64_t>((text_bytes + 3) / 4);
  }
  outcome.tokens = usage;
  if (audited) outcome.response_sha256 = digest.HexDigest();
  outcome.client_gone = static_cast<bool>(client_error);
  ResponseContext settled{outcome.status, "", true, outcome.tokens};
  co_await RunResponseChain(route.filters, route.filters.size(), context, settled);
  // A stream a filter ended (an error event, then the last chunk) is a whole answer in the client's eyes: its
  // connection stays open for the next request, as it would after any refusal. Clients pool connections and
  // send the next request at once; closing here made that request fail on a half-closed socket.
  co_return !client_error && chunked && (ended.empty() || ended == "blocked");
}

template asio::awaitable<bool> RelayWhole<beast::tcp_stream>(Gateway&, beast::tcp_stream&,
                                                             http::response<http::string_body>&, bool,
                                                             const GatewayConfig&, const Route&, RequestContext&,
                                                             Outcome&, Clock::time_point);
template asio::awaitable<bool> RelayWhole<TlsStream>(Gateway&, TlsStream&, http::response<http::string_body>&, bool,
                                                     const GatewayConfig&, const Route&, RequestContext&, Outcome&,
                                                     Clock::time_point);
template asio::awaitable<bool> RelayStream<beast::tcp_stream>(Gateway&, beast::tcp_stream&, UpstreamState&,
                                                              TargetState&, std::unique_ptr<UpstreamConnection>,
                                                              beast::flat_buffer&,
                                                              http::response_parser<http::empty_body>&, const Runtime&,
                                                              const Route&, RequestContext&, std::string_view, unsigned,
                                                              bool, Clock::time_point, Outcome&);
template asio::awaitable<bool> RelayStream<TlsStream>(Gateway&, TlsStream&, UpstreamState&, TargetState&,
                                                      std::unique_ptr<UpstreamConnection>, beast::flat_buffer&,
                                                      http::response_parser<http::empty_body>&, const Runtime&,
                                                      const Route&, RequestContext&, std::string_view, unsigned, bool,
                                                      Clock::time_point, Outcome&);

}  // namespace modelguard::gateway
