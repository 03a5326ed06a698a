// The response relay on connected socket pairs inside the test (no gateway, no upstream process): a
// server-sent-event stream passes event by event through the stream filters, a refusal ends it with an
// error event, an oversized event ends it as an upstream error, and a whole answer goes through the
// response filters, which may replace it. With the tools filter in front: the calls it held pass the filters
// after it, and calls held when the stream ends early are audited, never sent.
#include "src/gateway/relay.h"  // first: Boost 1.74 needs <utility> before asio

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "modelguard/core/hash.h"
#include "modelguard/gateway/limits.h"

namespace modelguard::gateway {
namespace {

using tcp = asio::ip::tcp;

// Refuses any stream event whose data mentions "secret", and replaces whole answers that do.
class Leaky final : public Filter {
 public:
  const char* name() const override { return "leaky"; }
  std::optional<Answer> OnRequest(RequestContext&) override { return std::nullopt; }
  std::optional<Answer> OnStreamEvent(RequestContext&, StreamEvent& event) override {
    if (event.data.find("secret") != std::string::npos) return Answer{403, "canary_leak", "stopped a leak", {}};
    return std::nullopt;
  }
  void OnResponse(RequestContext&, ResponseContext& response) override {
    ++responses;
    settled_tokens = response.total_tokens;
    if (response.body.find("secret") != std::string::npos) response.status = 403, response.body = "{}";
  }
  int responses = 0;
  std::optional<int64_t> settled_tokens;
};

class Relay : public ::testing::Test {
 protected:
  Relay() : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    Upstream upstream;
    upstream.name = "models";
    upstream.targets = {{"127.0.0.1", "9"}};
    upstream_ = *MakeUpstreamState(upstream);
    runtime_.config.max_stream_event_bytes = 64;
    route_.name = "chat";
    route_.type = RouteType::kOpenAi;
    route_.filters = {filter_};
    gateway_.emplace(nullptr, nullptr, std::make_unique<Metrics>());
  }

  // A connected pair: what one end writes, the other reads.
  std::pair<tcp::socket, tcp::socket> Pair() {
    tcp::socket a(io_), b(io_);
    a.connect(acceptor_.local_endpoint());
    acceptor_.accept(b);
    return {std::move(a), std::move(b)};
  }

  // The upstream answers `bytes` and closes; the relay streams it to a client reading over HTTP/1.1.
  // Returns what the client received, decoded.
  std::string RunStream(const std::string& bytes, bool& reusable) {
    auto [upstream_near, upstream_far] = Pair();
    auto [client_near, client_far] = Pair();
    asio::write(upstream_far, asio::buffer(bytes));
    upstream_far.shutdown(tcp::socket::shutdown_send);
    auto connection = std::make_unique<UpstreamConnection>(io_.get_executor());
    connection->tcp->socket() = std::move(upstream_near);
    beast::tcp_stream client(std::move(client_near));
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
          beast::flat_buffer buffer;
          http::response_parser<http::empty_body> head;
          beast::error_code error;
          co_await ReadHead(*connection, buffer, head, error);
          EXPECT_FALSE(error) << error.message();
          reusable =
              co_await RelayStream(*gateway_, client, *upstream_, *upstream_->targets[0], std::move(connection), buffer,
                                   head, runtime_, route_, context_, "", 11, true, Clock::now(), outcome_);
          client.socket().shutdown(tcp::socket::shutdown_send);
        },
        asio::detached);
    io_.run();
    io_.restart();
    beast::flat_buffer buffer;
    http::response<http::string_body> received;
    beast::error_code error;
    http::read(client_far, buffer, received, error);
    EXPECT_FALSE(error) << error.message();
    EXPECT_TRUE(received.chunked());
    return received.body();
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::shared_ptr<UpstreamState> upstream_;
  Runtime runtime_;
  std::shared_ptr<Leaky> filter_ = std::make_shared<Leaky>();
  Route route_;
  std::optional<Gateway> gateway_;
  RequestContext context_;
  Outcome outcome_;
};

const std::string kStreamHead = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n";

TEST_F(Relay, StreamPassesEventsAndSettlesWithTheUpstreamCount) {
  bool reusable = true;
  const std::string body = RunStream(kStreamHead +
                                         "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\n: keep-alive\n\n"
                                         "data: {\"usage\":{\"total_tokens\":7}}\n\ndata: [DONE]\n\n",
                                     reusable);
  EXPECT_EQ(body,
            "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\n: keep-alive\n\n"
            "data: {\"usage\":{\"total_tokens\":7}}\n\ndata: [DONE]\n\n");
  EXPECT_TRUE(reusable);  // the client connection; the upstream one closed and is not pooled
  EXPECT_TRUE(outcome_.streamed);
  EXPECT_EQ(outcome_.status, 200u);
  EXPECT_EQ(outcome_.tokens, 7);
  EXPECT_EQ(filter_->responses, 1);
  EXPECT_EQ(filter_->settled_tokens, 7);
  EXPECT_TRUE(context_.verdicts.empty());
  EXPECT_EQ(upstream_->pool.Take("127.0.0.1:9", EventLoopOf(io_.get_executor())), nullptr);
}

TEST_F(Relay, StreamFilterRefusalEndsTheStreamWithAnErrorEvent) {
  bool reusable = true;
  const std::string body =
      RunStream(kStreamHead + "data: {\"a\":1}\n\ndata: the secret\n\ndata: {\"never\":1}\n\n", reusable);
  EXPECT_EQ(body,
            "data: {\"a\":1}\n\ndata: "
            "{\"error\":{\"code\":\"canary_leak\",\"message\":\"stopped a leak\",\"type\":\"canary_leak\"}}\n\n");
  // The client got a whole answer (error event, last chunk): its connection serves the next request.
  EXPECT_TRUE(reusable);
  EXPECT_EQ(context_.verdicts["stream"], "block:canary_leak");
  EXPECT_NE(gateway_->metrics().Prometheus().find(
                "modelguard_gateway_blocks_total{filter=\"leaky\",reason=\"canary_leak\"} 1"),
            std::string::npos);
  EXPECT_EQ(filter_->responses, 1);  // reservations are settled however the stream ended
}

TEST_F(Relay, EventTheFiltersCannotReadEndsTheStream) {
  // A "data" line behind a byte-order mark is no data line to the gateway, but clients that strip a BOM
  // from each line read it: on a filtered route it never passes unjudged. Comments and "event" lines do.
  bool reusable = true;
  const std::string body = RunStream(kStreamHead + ": keep-alive\n\nevent: ping\n\n\xEF\xBB\xBF" +
                                         "data: {\"choices\":[{\"delta\":{\"content\":\"the secret\"}}]}\n\n" +
                                         "data: {\"never\":1}\n\n",
                                     reusable);
  EXPECT_EQ(body.rfind(": keep-alive\n\nevent: ping\n\ndata: {\"error\":", 0), 0u) << body;
  EXPECT_EQ(body.find("secret"), std::string::npos) << body;
  EXPECT_EQ(body.find("never"), std::string::npos) << body;
  EXPECT_EQ(context_.verdicts["upstream"], "error:unreadable_event");
}

TEST_F(Relay, EventGrowingPastTheLimitEndsTheStreamAsAnUpstreamError) {
  // The limit bounds what is held while an event is incomplete; here the event never ends.
  bool reusable = true;
  const std::string body = RunStream(kStreamHead + "data: {\"a\":1}\n\ndata: " + std::string(100, 'x'), reusable);
  EXPECT_EQ(body.rfind("data: {\"a\":1}\n\ndata: {\"error\":", 0), 0u) << body;
  EXPECT_NE(body.find("\"type\":\"upstream_error\""), std::string::npos) << body;
  EXPECT_NE(body.find("grew past 64 bytes"), std::string::npos) << body;
  EXPECT_FALSE(reusable);
  EXPECT_EQ(context_.verdicts["upstream"], "error:stream_event_too_large");
}

// The tools filter in front of Leaky, as a route lists `tools` before `guard`; the request has passed it.
void ToolsBefore(Route& route, const std::shared_ptr<Filter>& after, RequestContext& context) {
  auto tools = CreateFilter("tools", nlohmann::json::parse(R"({"tools": [{"name": "read_file",
                                "arguments": [{"field": "/path", "allow_globs": ["/srv/data/*"]}]}]})"),
                            FilterEnvironment{MakeMemoryLimitStore(), nullptr, false});
  ASSERT_TRUE(tools) << tools.error().message;
  route.filters = {*tools, after};
  context.route = "chat";
  context.key_id = "k";
  context.json = nlohmann::json::parse(R"({"model": "m", "stream": true, "messages": [],
      "tools": [{"type": "function", "function": {"name": "read_file"}}]})");
  EXPECT_FALSE((*tools)->OnRequest(context));
}

const std::string kHeldCall =
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c1\",\"function\":"
    "{\"name\":\"read_file\",\"arguments\":\"{\\\"path\\\": \\\"/srv/data/secret\\\"}\"}}]},"
    "\"finish_reason\":null}]}\n\n";

TEST_F(Relay, CallsTheToolsFilterHeldPassTheFiltersAfterIt) {
  // The call is held until [DONE] and sent just before it: Leaky, listed after `tools`, reads it then.
  ToolsBefore(route_, filter_, context_);
  bool reusable = true;
  const std::string body = RunStream(kStreamHead + kHeldCall + "data: [DONE]\n\n", reusable);
  EXPECT_EQ(body.find("/srv/data/secret"), std::string::npos) << body;
  EXPECT_EQ(body.rfind("data: {\"error\":{\"code\":\"canary_leak\"", 0), 0u) << body;
  EXPECT_EQ(body.find("[DONE]"), std::string::npos) << body;
  EXPECT_EQ(context_.verdicts["stream"], "block:canary_leak");
  ASSERT_EQ(context_.tool_decisions.size(), 1u);
  EXPECT_EQ(context_.tool_decisions[0].decision, "allow");  // judged by `tools`, refused after it
}

TEST_F(Relay, CallsHeldWhenTheStreamEndsEarlyAreAuditedAndNeverSent) {
  // The upstream closes the connection after the call's delta: no finish_reason, no [DONE].
  ToolsBefore(route_, filter_, context_);
  bool reusable = true;
  const std::string body = RunStream(kStreamHead +
                                         "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},"
                                         "\"finish_reason\":null}]}\n\n" +
                                         kHeldCall,
                                     reusable);
  EXPECT_EQ(body.find("read_file"), std::string::npos) << body;
  EXPECT_NE(body.find("\"hi\""), std::string::npos) << body;
  EXPECT_EQ(filter_->responses, 1);
  ASSERT_EQ(context_.tool_decisions.size(), 1u);
  EXPECT_EQ(context_.tool_decisions[0].tool, "read_file");
  EXPECT_EQ(context_.tool_decisions[0].arguments_sha256, Sha256Hex(R"({"path": "/srv/data/secret"})"));
  EXPECT_EQ(context_.tool_decisions[0].decision, "dropped");
  EXPECT_EQ(context_.tool_decisions[0].rule, "stream_ended");
}

TEST_F(Relay, WholeAnswerPassesTheResponseFiltersWhichMayReplaceIt) {
  for (const bool leak : {false, true}) {
    auto [client_near, client_far] = Pair();
    beast::tcp_stream client(std::move(client_near));
    http::response<http::string_body> answer{http::status::ok, 11};
    answer.body() = leak ? R"({"text":"the secret"})" : R"({"usage":{"total_tokens":3}})";
    bool sent = false;
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
          sent = co_await RelayWhole(*gateway_, client, answer, false, runtime_.config, route_, context_, outcome_,
                                     Clock::now());
          client.socket().shutdown(tcp::socket::shutdown_send);
        },
        asio::detached);
    io_.run();
    io_.restart();
    EXPECT_TRUE(sent);
    beast::flat_buffer buffer;
    http::response<http::string_body> received;
    beast::error_code error;
    http::read(client_far, buffer, received, error);
    ASSERT_FALSE(error) << error.message();
    EXPECT_EQ(received.result_int(), leak ? 403u : 200u);
    EXPECT_EQ(received.body(), leak ? "{}" : R"({"usage":{"total_tokens":3}})");
    EXPECT_FALSE(received.keep_alive());
    EXPECT_EQ(outcome_.status, leak ? 403u : 200u);
    if (!leak) {
      EXPECT_EQ(outcome_.tokens, 3);
    }
  }
}

}  // namespace
}  // namespace modelguard::gateway
