#pragma once
// Reading and writing HTTP messages on the gateway's streams: client connections (plain or TLS) and pooled
// upstream connections (either kind, chosen at run time). Every operation reports through `error` instead
// of throwing, so a broken peer is an outcome, not an exception crossing a coroutine.
#include "src/gateway/http_head.h"  // first: Boost 1.74 needs <utility> before asio

// GCC 12 at -O1 and above reports the frame of an explicitly instantiated coroutine template as freed by
// Asio's awaitable_frame_base::operator delete after allocation by another operator new. It is a false
// positive: the frame is allocated and freed by that class's own pair (the same code compiled without
// warning while it was an implicitly instantiated member template).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/read_size.hpp>
#include <chrono>
#include <type_traits>

#include "src/gateway/upstream.h"

namespace modelguard::gateway {

// The header carrying RequestContext::request_id to the upstream and back to the client.
inline constexpr const char* kRequestIdField = "X-Modelguard-Request-Id";

template <class Stream>
beast::tcp_stream& Lowest(Stream& stream) {
  return beast::get_lowest_layer(stream);
}

// Writes as much of `buffers` as the socket takes at once, without waiting: a small answer or request
// usually fits in the socket's send buffer, and then no asynchronous operation (with its timer and its
// trip through the event loop) is needed at all. Returns the bytes written; would_block is not an error
// (nothing was written). The socket is switched to non-blocking mode once, on its first such write.
template <class Buffers>
size_t WriteNow(asio::ip::tcp::socket& socket, const Buffers& buffers, beast::error_code& error) {
  if (!socket.non_blocking()) {
    socket.non_blocking(true, error);
    if (error) return 0;
  }
  const size_t written = socket.write_some(buffers, error);
  if (error == asio::error::would_block || error == asio::error::try_again) error = {};
  return written;
}

// Head then body, with as few operations as possible: plain TCP tries the write at once (WriteNow) and
// waits, bounded by the stream's expiry (`arm` sets it), only for what the socket did not take.
template <class S, class Arm>
asio::awaitable<void> WriteHeadAndBody(S& stream, std::string& head, const std::string& body, Arm arm,
                                       beast::error_code& error) {
  using asio::redirect_error, asio::use_awaitable;
  if constexpr (std::is_same_v<S, TlsStream>) {
    // Beast's TLS stream loses the rest of a two-buffer write once the first TLS record is full (seen with
    // bodies over 16 KiB), so TLS gets one contiguous buffer; encryption copies the bytes anyway.
    head += body;
    arm();
    co_await asio::async_write(stream, asio::buffer(head), redirect_error(use_awaitable, error));
  } else {
    std::array<asio::const_buffer, 2> buffers{asio::buffer(head), asio::buffer(body)};
    size_t written = WriteNow(stream.socket(), buffers, error);
    if (error || written == head.size() + body.size()) co_return;
    for (auto& buffer : buffers) {
      const size_t skip = std::min(written, buffer.size());
      buffer += skip;
      written -= skip;
    }
    arm();
    co_await asio::async_write(stream, buffers, redirect_error(use_awaitable, error));
  }
}

// One answer to the client within `timeout`; false when the client is gone.
template <class Stream>
asio::awaitable<bool> SendResponse(Stream& stream, const http::response<http::string_body>& response, bool keep_alive,
                                   std::chrono::milliseconds timeout, bool head_request) {
  bool with_body = true;
  std::string head = ClientResponseHead(response, keep_alive, head_request, with_body);
  static const std::string kNothing;
  beast::error_code error;
  // Named, not a temporary inside co_await: GCC 12 destroys such temporaries twice.
  bool armed = false;
  const auto arm = [&] {
    Lowest(stream).expires_after(timeout);
    armed = true;
  };
  co_await WriteHeadAndBody(stream, head, with_body ? response.body() : kNothing, arm, error);
  // No expiry is left behind on the client stream: whatever reads next sets its own bound (a connection
  // bounded by a SocketDeadline has none on the stream, and a stale one would cut its next read short).
  if (armed) Lowest(stream).expires_never();
  co_return !error;
}

// The same operations on an upstream connection, whichever stream it holds.
// The connection must be armed (UpstreamConnection::Arm): its deadline bounds whatever part of the write
// has to wait.
inline asio::awaitable<void> WriteRequest(UpstreamConnection& c, const http::request<http::string_body>& request,
                                          beast::string_view host, beast::error_code& e) {
  std::string head = UpstreamRequestHead(request, host);
  const auto armed = [] {};
  if (c.tls)
    co_await WriteHeadAndBody(*c.tls, head, request.body(), armed, e);
  else
    co_await WriteHeadAndBody(*c.tcp, head, request.body(), armed, e);
  if (e && c.deadline.expired()) e = beast::error::timeout;
}
template <class Message>
asio::awaitable<void> Write(UpstreamConnection& c, Message& m, beast::error_code& e) {
  using asio::redirect_error, asio::use_awaitable;
  if (c.tls)
    co_await http::async_write(*c.tls, m, redirect_error(use_awaitable, e));
  else
    co_await http::async_write(*c.tcp, m, redirect_error(use_awaitable, e));
}
// Reads from `stream` until the parser has the message's header (header_only) or the whole message: what
// is buffered first, then one read_some at a time. Beast's async_read does the same through layers of
// composed operations that cost more than the parsing of a small message. The end of the stream ends a
// message as Beast's does: a body delimited by the connection's end is then whole, anything else was cut
// off, and nothing at all is end_of_stream. With a `deadline`, a read it cut off or that would start after
// it passed ends as a timeout. Works for client connections as well as upstream ones.
template <class Stream, class Parser>
asio::awaitable<void> ReadUntil(Stream& stream, beast::flat_buffer& b, Parser& p, bool header_only,
                                const SocketDeadline* deadline, beast::error_code& e) {
  using asio::redirect_error, asio::use_awaitable;
  for (;;) {
    ParseBuffered(p, b, e, header_only);
    if (e || (header_only ? p.is_header_done() : p.is_done())) co_return;
    if (deadline && deadline->expired()) {
      e = beast::error::timeout;
      co_return;
    }
    const size_t got =
        co_await stream.async_read_some(b.prepare(beast::read_size(b, 64 * 1024)), redirect_error(use_awaitable, e));
    b.commit(got);
    if (e == asio::error::eof) {
      if (!p.got_some()) {
        e = http::error::end_of_stream;
        co_return;
      }
      e = {};
      p.put_eof(e);
      co_return;
    }
    if (e && deadline && deadline->expired()) e = beast::error::timeout;
    if (e) co_return;
  }
}

// The same on an upstream connection, within its deadline (or its stream's expiry). Plain functions that
// hand back ReadUntil's awaitable: no coroutine frame of their own (the caller awaits it at once, while
// the arguments live).
template <class Parser>
asio::awaitable<void> ReadMessage(UpstreamConnection& c, beast::flat_buffer& b, Parser& p, bool header_only,
                                  beast::error_code& e) {
  return c.tls ? ReadUntil(*c.tls, b, p, header_only, &c.deadline, e)
               : ReadUntil(*c.tcp, b, p, header_only, &c.deadline, e);
}
template <class Parser>
asio::awaitable<void> ReadHead(UpstreamConnection& c, beast::flat_buffer& b, Parser& p, beast::error_code& e) {
  return ReadMessage(c, b, p, true, e);
}
template <class Parser>
asio::awaitable<void> Read(UpstreamConnection& c, beast::flat_buffer& b, Parser& p, beast::error_code& e) {
  return ReadMessage(c, b, p, false, e);
}
// Returns as soon as some body bytes arrived: what streams need (async_read would wait for a full buffer).
template <class Parser>
asio::awaitable<void> ReadPart(UpstreamConnection& c, beast::flat_buffer& b, Parser& p, beast::error_code& e) {
  using asio::redirect_error, asio::use_awaitable;
  if (c.tls)
    co_await http::async_read_some(*c.tls, b, p, redirect_error(use_awaitable, e));
  else
    co_await http::async_read_some(*c.tcp, b, p, redirect_error(use_awaitable, e));
}

}  // namespace modelguard::gateway
