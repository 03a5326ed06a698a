#pragma once
// HTTP messages at the proxy's edges: how a client request is parsed (limits, strict framing), how the
// head of a proxied message is rebuilt for the next hop (hop-by-hop and framing fields dropped, then set
// for that hop), and the gateway's own JSON answers. No sockets here: everything is testable on bytes.
// GCC 12 reports boost::optional inside Beast's parser as maybe-uninitialized at -O2 (a known false
// positive of the optional's storage union); nothing of ours is involved.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <utility>  // before asio: Boost 1.74 awaitable.hpp uses std::exchange without it

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <string>

namespace modelguard::gateway {

namespace beast = boost::beast;
namespace http = beast::http;

// Connection-level fields (RFC 9110 §7.6.1): never forwarded, each hop sets its own.
bool HopByHop(http::field name);

// The client request parser as every client connection uses it: a 32 KiB head, a body of at most
// `max_body_bytes`, read eagerly. Beast refuses the framing ambiguities request smuggling relies on
// (Content-Length with Transfer-Encoding, two Content-Lengths, lines ended by a bare LF) and unfolds
// obs-fold continuation lines into spaces, so the head rebuilt for the upstream holds one line per field.
void ConfigureRequestParser(http::request_parser<http::string_body>& parser, uint64_t max_body_bytes);

// What Beast lets through and RFC 9112 §6.1 and §6.3 forbid: a request whose Transfer-Encoding does not end
// in chunked (gzip, identity, "chunked, gzip"), names chunked twice, or comes with HTTP/1.0. Beast would read
// such a request as having no body, and the body as the next request. Sets `error` (bad_transfer_encoding)
// once the head is parsed; the connection is then answered 400 and closed.
void CheckRequestFraming(const http::request<http::string_body>& head, beast::error_code& error);

// Feeds what is already buffered to the parser without another trip through the event loop: a request or
// answer usually arrives in one read, and each asynchronous operation that completes at once still costs a
// post. Leaves `error` set only for malformed input; need_more means "read on". With `header_only` it
// stops once the header is parsed (the parser must not be eager then, or it would go on into the body).
template <class Parser>
void ParseBuffered(Parser& parser, beast::flat_buffer& buffer, beast::error_code& error, bool header_only = false) {
  while (buffer.size() > 0 && !(header_only ? parser.is_header_done() : parser.is_done())) {
    const size_t used = parser.put(buffer.data(), error);
    buffer.consume(used);
    if (error == http::error::need_more) {
      error = {};
      return;
    }
    if (error || used == 0) return;
  }
}

// The request target as the gateway routes it and forwards it, so that no spelling of a path reaches
// another route than the path itself (RFC 3986 §6.2.2): percent-encoded unreserved characters decoded
// (%76 -> v), other escapes kept with upper-case hex, empty segments collapsed ("//", and a trailing "/":
// "/v1/chat/completions/" is "/v1/chat/completions"), "." and ".." segments removed (§5.2.4, never above
// the root). The query is kept as sent. Refused (false, with `why` for the 400 answer): a target that is not
// an absolute path, a backslash, a malformed escape, and escapes of '/', '\' and '.' (%2F, %5C, %2E), which
// upstreams decode into separators and dot segments after the gateway has chosen the route.
bool NormalizeTarget(std::string_view target, std::string& normalized, std::string& why);

// Proxied messages are written by hand: their head as one string, then the body, in one gathered write.
// Beast's serializer produces the same bytes but walks nested buffer sequences piece by piece, and
// erasing hop-by-hop fields from a parsed message one by one costs a tree search each; together they
// cost more than the rest of the proxy's work for a small request. The head is rebuilt as it is written
// instead: hop-by-hop fields, Host and the framing fields are left out, then set for the next hop.

// To the upstream: always HTTP/1.1 and keep-alive (its default, so no Connection field), Host for the
// target, and the body's length as Beast's prepare_payload would frame it. Expect is dropped: the body is
// already here, and a 100 Continue from the upstream would be taken for its answer.
std::string UpstreamRequestHead(const http::request<http::string_body>& request, beast::string_view host);

// To the client, in its HTTP version: Content-Length for the (possibly filtered) body, except on answers
// that never have one, and Connection only where the version's default is not what happens. An answer
// to HEAD has no body; it keeps the length the message states (the upstream's, or our own body's).
// `with_body` says whether the body follows the head.
std::string ClientResponseHead(const http::response<http::string_body>& response, bool keep_alive, bool head_request,
                               bool& with_body);

// The head of a streamed answer to the client: the upstream's fields without hop-by-hop and length
// fields, chunked for HTTP/1.1 clients, delimited by the connection's end for HTTP/1.0 ones.
http::response<http::empty_body> StreamResponseHead(const http::response<http::empty_body>& upstream, unsigned version,
                                                    bool keep_alive);

// OpenAI-compatible error body, so SDKs surface the message.
std::string ErrorBody(const std::string& type, const std::string& message);
http::response<http::string_body> JsonResponse(unsigned status, std::string body, unsigned version);
http::response<http::string_body> JsonError(unsigned status, const std::string& type, const std::string& message,
                                            unsigned version);

}  // namespace modelguard::gateway
