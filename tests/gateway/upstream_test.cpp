// Upstream connections on connected socket pairs inside the test (no gateway, no upstream process): a
// message read a piece at a time (header first, then the body, the end of the stream ending a body that
// has no length), the per-loop deadlines that bound an exchange without a timer per operation, and
// writes that the socket cannot take at once.
#include "src/gateway/wire.h"  // first: Boost 1.74 needs <utility> before asio

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <thread>

namespace modelguard::gateway {
namespace {

using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

class UpstreamIo : public ::testing::Test {
 protected:
  UpstreamIo() : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {}

  // A connection whose far end the test plays the upstream with.
  std::unique_ptr<UpstreamConnection> Connect(tcp::socket& far) {
    auto connection = std::make_unique<UpstreamConnection>(io_.get_executor());
    connection->tcp->socket().connect(acceptor_.local_endpoint());
    acceptor_.accept(far);
    return connection;
  }

  // Runs `body` as a coroutine on the test's loop until everything on the loop is done.
  template <class Body>
  void Run(Body body) {
    asio::co_spawn(io_, body, asio::detached);
    io_.run();
    io_.restart();
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
};

TEST_F(UpstreamIo, HeadThenBodyArriveInPiecesAndTheStreamEndDelimitsABodyWithoutLength) {
  tcp::socket far(io_);
  auto connection = Connect(far);
  const std::string answer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"a\":1}";
  std::thread upstream([&] {
    for (size_t at = 0; at < answer.size(); at += 7) {
      asio::write(far, asio::buffer(answer.substr(at, 7)));
      std::this_thread::sleep_for(2ms);
    }
    far.shutdown(tcp::socket::shutdown_send);
  });
  beast::error_code head_error, body_error;
  std::string body;
  bool reusable = true;
  Run([&]() -> asio::awaitable<void> {
    beast::flat_buffer buffer;
    http::response_parser<http::empty_body> head;
    co_await ReadHead(*connection, buffer, head, head_error);
    if (head_error) co_return;
    EXPECT_EQ(head.get()[http::field::content_type], "application/json");
    http::response_parser<http::string_body> parser(std::move(head));
    parser.eager(true);
    ParseBuffered(parser, buffer, body_error);
    if (!body_error && !parser.is_done()) co_await Read(*connection, buffer, parser, body_error);
    reusable = parser.keep_alive();
    body = parser.get().body();
  });
  upstream.join();
  EXPECT_FALSE(head_error) << head_error.message();
  EXPECT_FALSE(body_error) << body_error.message();
  EXPECT_EQ(body, "{\"a\":1}");
  EXPECT_FALSE(reusable);  // its end was the connection's end
}

TEST_F(UpstreamIo, AnswerCutShortIsAnErrorAndNoAnswerAtAllIsEndOfStream) {
  for (const std::string& sent : {std::string("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"),
                                  std::string("HTTP/1.1 200 OK\r\nContent-Le"), std::string()}) {
    tcp::socket far(io_);
    auto connection = Connect(far);
    if (!sent.empty()) asio::write(far, asio::buffer(sent));
    far.shutdown(tcp::socket::shutdown_send);
    beast::error_code error;
    Run([&]() -> asio::awaitable<void> {
      beast::flat_buffer buffer;
      http::response_parser<http::string_body> parser;
      co_await Read(*connection, buffer, parser, error);
    });
    EXPECT_EQ(error, sent.empty() ? beast::error_code(http::error::end_of_stream)
                                  : beast::error_code(http::error::partial_message))
        << sent;
  }
}

TEST_F(UpstreamIo, DeadlineEndsAReadAsATimeoutAndLaterReadsAtOnce) {
  tcp::socket far(io_);
  auto connection = Connect(far);
  beast::error_code first, second;
  auto waited = 0ms;
  Run([&]() -> asio::awaitable<void> {
    const auto start = std::chrono::steady_clock::now();
    connection->Arm(50ms);
    beast::flat_buffer buffer;
    http::response_parser<http::empty_body> head;
    co_await ReadHead(*connection, buffer, head, first);
    waited = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    co_await ReadHead(*connection, buffer, head, second);
  });
  EXPECT_EQ(first, beast::error_code(beast::error::timeout)) << first.message();
  EXPECT_EQ(second, beast::error_code(beast::error::timeout)) << second.message();
  EXPECT_GE(waited, 50ms);
  EXPECT_LT(waited, 5000ms);
  EXPECT_TRUE(connection->deadline.expired());
  EXPECT_FALSE(connection->deadline.armed());
}

TEST_F(UpstreamIo, ShorterDeadlineArmedLaterStillEndsFirstAndDisarmedOnesNever) {
  tcp::socket far_slow(io_), far_fast(io_), far_disarmed(io_);
  auto slow = Connect(far_slow);
  auto fast = Connect(far_fast);
  auto disarmed = Connect(far_disarmed);
  beast::error_code slow_error, fast_error, disarmed_error;
  std::string disarmed_status;
  auto read = [&](UpstreamConnection& c, beast::error_code& error, std::string* status) -> asio::awaitable<void> {
    beast::flat_buffer buffer;
    http::response_parser<http::empty_body> head;
    co_await ReadHead(c, buffer, head, error);
    c.Disarm();
    if (!error && status) *status = std::to_string(head.get().result_int());
  };
  asio::steady_timer answer_late(io_);
  Run([&]() -> asio::awaitable<void> {
    slow->Arm(400ms);  // short: the loop's timer waits for it before the test's loop runs out of work
    fast->Arm(30ms);
    disarmed->Arm(30ms);
    disarmed->Disarm();
    asio::co_spawn(io_, read(*slow, slow_error, nullptr), asio::detached);
    asio::co_spawn(io_, read(*disarmed, disarmed_error, &disarmed_status), asio::detached);
    co_await read(*fast, fast_error, nullptr);
    // The fast one timed out; the others still wait. Answer the disarmed one well past its old deadline,
    // then end the slow one's wait by closing its far end.
    EXPECT_FALSE(slow->deadline.expired());
    answer_late.expires_after(100ms);
    co_await answer_late.async_wait(asio::use_awaitable);
    asio::write(far_disarmed, asio::buffer(std::string("HTTP/1.1 204 No Content\r\n\r\n")));
    far_slow.close();
  });
  EXPECT_EQ(fast_error, beast::error_code(beast::error::timeout)) << fast_error.message();
  EXPECT_FALSE(disarmed_error) << disarmed_error.message();
  EXPECT_EQ(disarmed_status, "204");
  EXPECT_EQ(slow_error, beast::error_code(http::error::end_of_stream)) << slow_error.message();
  EXPECT_FALSE(slow->deadline.expired());
}

TEST_F(UpstreamIo, ConnectionDestroyedWhileArmedLeavesTheOthersBounded) {
  tcp::socket far_gone(io_), far_kept(io_);
  auto gone = Connect(far_gone);
  auto kept = Connect(far_kept);
  beast::error_code error;
  Run([&]() -> asio::awaitable<void> {
    gone->Arm(20ms);
    kept->Arm(40ms);
    gone.reset();  // unlinks itself
    beast::flat_buffer buffer;
    http::response_parser<http::empty_body> head;
    co_await ReadHead(*kept, buffer, head, error);
  });
  EXPECT_EQ(error, beast::error_code(beast::error::timeout)) << error.message();
}

TEST_F(UpstreamIo, DeadlineOnAnySocketCancelsItsPendingRead) {
  // As a client connection would use it: a plain socket, a read that never completes.
  tcp::socket far(io_);
  auto connection = Connect(far);
  tcp::socket& near = connection->tcp->socket();
  SocketDeadline deadline(io_.get_executor());
  beast::error_code error;
  Run([&]() -> asio::awaitable<void> {
    deadline.Arm(near, 30ms);
    char byte = 0;
    co_await near.async_read_some(asio::buffer(&byte, 1), asio::redirect_error(asio::use_awaitable, error));
  });
  EXPECT_EQ(error, asio::error::operation_aborted) << error.message();
  EXPECT_TRUE(deadline.expired());
  EXPECT_FALSE(deadline.armed());
  deadline.Arm(near, 30ms);  // armed again: no longer expired
  EXPECT_FALSE(deadline.expired());
  deadline.Disarm();
}

TEST_F(UpstreamIo, ClientRequestWhoseBodyComesLaterIsReadWholeAndAnOversizedOneRefused) {
  // ReadUntil on a client stream, as session.cpp may use it: head first, the body in a later segment.
  for (const size_t limit : {size_t{1024}, size_t{4}}) {
    tcp::socket far(io_);
    auto connection = Connect(far);
    beast::tcp_stream client(std::move(*connection->tcp));
    std::thread sender([&] {
      asio::write(far, asio::buffer(std::string("POST /v1/x HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\n\r\n")));
      std::this_thread::sleep_for(20ms);
      asio::write(far, asio::buffer(std::string("{\"a\":1}")));
    });
    beast::error_code error;
    std::string body;
    Run([&]() -> asio::awaitable<void> {
      beast::flat_buffer buffer;
      http::request_parser<http::string_body> parser;
      ConfigureRequestParser(parser, limit);
      co_await ReadUntil(client, buffer, parser, false, nullptr, error);
      if (!error) body = parser.get().body();
    });
    sender.join();
    if (limit == 4) {
      EXPECT_EQ(error, beast::error_code(http::error::body_limit)) << error.message();
    } else {
      EXPECT_FALSE(error) << error.message();
      EXPECT_EQ(body, "{\"a\":1}");
    }
  }
}

TEST(UpstreamOrder, HealthyTargetsRoundRobinFirstThenTheUnhealthyOnesInTheSameRotation) {
  Upstream config;
  config.name = "models";
  config.targets = {{"a", "1"}, {"b", "1"}, {"c", "1"}, {"d", "1"}};
  auto upstream = *MakeUpstreamState(config);
  upstream->targets[1]->healthy = false;  // b
  upstream->targets[3]->healthy = false;  // d
  auto labels = [&] {
    std::string out;
    for (const TargetState* t : upstream->Order()) out += t->label.substr(0, 1);
    return out;
  };
  EXPECT_EQ(labels(), "acbd");  // rotation a b c d
  EXPECT_EQ(labels(), "cabd");  // rotation b c d a
  EXPECT_EQ(labels(), "cadb");  // rotation c d a b
}

TEST_F(UpstreamIo, AnswerLargerThanTheSocketTakesAtOnceIsWrittenWhole) {
  tcp::socket far(io_);
  auto connection = Connect(far);  // only for the pair: the near socket serves as the client here
  beast::tcp_stream client(std::move(*connection->tcp));
  http::response<http::string_body> answer{http::status::ok, 11};
  answer.body() = std::string(8 << 20, 'x');
  std::string received;
  std::thread reader([&] {
    std::this_thread::sleep_for(50ms);  // let the first write fill the socket's buffers
    beast::flat_buffer buffer;
    http::response<http::string_body> got;
    beast::error_code error;
    http::read(far, buffer, got, error);
    EXPECT_FALSE(error) << error.message();
    received = std::move(got.body());
  });
  bool sent = false;
  Run([&]() -> asio::awaitable<void> { sent = co_await SendResponse(client, answer, true, 10s, false); });
  reader.join();
  EXPECT_TRUE(sent);
  EXPECT_EQ(received.size(), answer.body().size());
  EXPECT_EQ(received, answer.body());
}

TEST_F(UpstreamIo, WriteToAClosedPeerFails) {
  tcp::socket far(io_);
  auto connection = Connect(far);
  beast::tcp_stream client(std::move(*connection->tcp));
  far.set_option(asio::socket_base::linger(true, 0));
  far.close();  // a reset: writes fail
  std::this_thread::sleep_for(20ms);
  http::response<http::string_body> answer{http::status::ok, 11};
  answer.body() = "{}";
  bool sent = true;
  Run([&]() -> asio::awaitable<void> { sent = co_await SendResponse(client, answer, true, 10s, false); });
  EXPECT_FALSE(sent);
}

}  // namespace
}  // namespace modelguard::gateway
