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
#include <chrono>
#include <type_traits>

#include "src/gateway/upstream.h"

namespace modelguard::gateway {

template <class Stream>
beast::tcp_stream& Lowest(Stream& stream) {
  return beast::get_lowest_layer(stream);
}

template <class S>
asio::awaitable<void> WriteHeadAndBody(S& stream, std::string& head, const std::string& body,
                                       beast::error_code& error) {
  using asio::redirect_error, asio::use_awaitable;
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

template <class S>
asio::awaitable<void> WriteResponse(S& stream, const http::response<http::string_body>& response, bool keep_alive,
                                    bool head_request, beast::error_code& e) {
  bool with_body = true;
  std::string head = ClientResponseHead(response, keep_alive, head_request, with_body);
  static const std::string kNothing;
  co_await WriteHeadAndBody(stream, head, with_body ? response.body() : kNothing, e);
}

// One answer to the client within `timeout`; false when the client is gone.
template <class Stream>
asio::awaitable<bool> SendResponse(Stream& stream, const http::response<http::string_body>& response, bool keep_alive,
                                   std::chrono::milliseconds timeout, bool head_request) {
  Lowest(stream).expires_after(timeout);
  beast::error_code error;
  co_await WriteResponse(stream, response, keep_alive, head_request, error);
  co_return !error;
}

// The same operations on an upstream connection, whichever stream it holds.
inline asio::awaitable<void> WriteRequest(UpstreamConnection& c, const http::request<http::string_body>& request,
                                          beast::string_view host, beast::error_code& e) {
  std::string head = UpstreamRequestHead(request, host);
  if (c.tls)
    co_await WriteHeadAndBody(*c.tls, head, request.body(), e);
  else
    co_await WriteHeadAndBody(*c.tcp, head, request.body(), e);
}
template <class Message>
asio::awaitable<void> Write(UpstreamConnection& c, Message& m, beast::error_code& e) {
  using asio::redirect_error, asio::use_awaitable;
  if (c.tls)
    co_await http::async_write(*c.tls, m, redirect_error(use_awaitable, e));
  else
    co_await http::async_write(*c.tcp, m, redirect_error(use_awaitable, e));
}
template <class Parser>
asio::awaitable<void> ReadHead(UpstreamConnection& c, beast::flat_buffer& b, Parser& p, beast::error_code& e) {
  using asio::redirect_error, asio::use_awaitable;
  if (c.tls)
    co_await http::async_read_header(*c.tls, b, p, redirect_error(use_awaitable, e));
  else
    co_await http::async_read_header(*c.tcp, b, p, redirect_error(use_awaitable, e));
}
template <class Parser>
asio::awaitable<void> Read(UpstreamConnection& c, beast::flat_buffer& b, Parser& p, beast::error_code& e) {
  using asio::redirect_error, asio::use_awaitable;
  if (c.tls)
    co_await http::async_read(*c.tls, b, p, redirect_error(use_awaitable, e));
  else
    co_await http::async_read(*c.tcp, b, p, redirect_error(use_awaitable, e));
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
